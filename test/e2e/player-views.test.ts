// Frequency caps and "not twice in a row" across every server of every engine: two engine processes
// of two server processes each, on one real Redis and S3, behind no balancer but fresh connections
// that the kernel spreads over each engine's servers. Between requests the test waits until every
// other server has folded the player's views (engine_ad_views_folded_total on each engine's
// internal port): that wait is the stream's propagation delay, which bench:views measures. Once it
// has passed, no server answers a 4th view of an ad capped at 3, or the same ad twice in a row.

import t, { type Test } from 'tap';
import { Agent, request } from 'undici';
import { eventually } from '../helpers/eventually.js';
import { feedOf, row } from '../helpers/feed-rows.js';
import { startEngineProc, startStack, startSyncer, type EngineProc } from '../helpers/production.js';
import { GAME_KEY } from '../helpers/test-engine.js';

const SERVERS_PER_ENGINE = 2;

/** A request on a connection of its own, so the kernel picks the server process. */
async function adFor(e: EngineProc, player: string | null): Promise<string> {
  const agent = new Agent({ connections: 1 });
  try {
    const r = await request(`${e.base}/ad_request?country=us&lang=eng${player === null ? '' : `&player_id=${player}`}`, { headers: { 'x-api-key': GAME_KEY }, dispatcher: agent });
    const body = (await r.body.json()) as { id?: string; error?: string };
    return r.statusCode === 200 ? body.id! : `HTTP ${r.statusCode} ${body.error}`;
  } finally {
    await agent.close();
  }
}

/** Views other servers folded, summed over an engine's servers. */
async function folded(e: EngineProc): Promise<number> {
  const r = await request(`${e.internal}/metrics`);
  const m = /^engine_ad_views_folded_total (\d+)/m.exec(await r.body.text());
  return m === null ? 0 : Number(m[1]);
}

async function twoEngines(t: Test, feed: string): Promise<EngineProc[]> {
  const stack = await startStack(t, feed);
  await startSyncer(t, stack);
  const engines = [
    await startEngineProc(t, stack, { ENGINE_WORKERS: String(SERVERS_PER_ENGINE), VIEW_FLUSH_MS: '20' }),
    await startEngineProc(t, stack, { ENGINE_WORKERS: String(SERVERS_PER_ENGINE), VIEW_FLUSH_MS: '20' }),
  ];
  for (const e of engines) await eventually(() => adFor(e, null), (id) => !id.startsWith('HTTP'), 20_000, 'the engine serves the feed');
  return engines;
}

/** Asks the engines in turn, waiting after each answer until every other server has folded its view. */
async function walk(engines: EngineProc[], player: string, n: number, alreadyFolded: number): Promise<string[]> {
  const others = engines.length * SERVERS_PER_ENGINE - 1;
  let expected = alreadyFolded;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await adFor(engines[i % engines.length]!, player));
    expected += others;
    await eventually(async () => (await Promise.all(engines.map(folded))).reduce((a, b) => a + b, 0), (v) => v >= expected, 10_000, `view ${i + 1} folded by the ${others} other servers`);
  }
  return ids;
}

t.test('a player capped at 3 per hour gets no 4th view from any server of any engine', async (t) => {
  const feed = feedOf(row('capped', 'us', 'eng', 0, 0, { priority: 1, frequency_cap: { count: 3, seconds: 3600 } }), row('filler', 'us', 'eng'));
  const engines = await twoEngines(t, feed);
  // The warm-up asked without a player: no view was recorded before this walk.
  const ids = await walk(engines, 'p-capped', 10, 0);
  t.same(ids, ['capped', 'capped', 'capped', ...Array(7).fill('filler')], 'three of the capped ad, then the next tier, whichever server answers');
  t.equal(await adFor(engines[0]!, 'p-other'), 'capped', 'another player is not capped');
});

t.test('no server of any engine gives a player the same ad twice in a row while another is eligible', async (t) => {
  const engines = await twoEngines(t, feedOf(row('a', 'us', 'eng'), row('b', 'us', 'eng'), row('c', 'us', 'eng', 0, 0, { weight: 3 })));
  const ids = await walk(engines, 'p-norepeat', 24, 0);
  const repeats = ids.filter((id, i) => i > 0 && id === ids[i - 1]).length;
  t.equal(repeats, 0, `no back-to-back repeat in ${ids.join(' ')}`);
  t.ok(ids.every((id) => ['a', 'b', 'c'].includes(id)), 'every answer an ad of the feed');
});
