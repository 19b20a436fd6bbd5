// The beacons crash test: N distinct beacons, each fired three times across two engine processes
// on real Redis, the counting syncer killed with SIGKILL mid-stream and restarted twice; exactly
// N counted, none lost, none doubled, and both engines' reports agree.

import { Redis } from 'ioredis';
import t from 'tap';
import { BeaconSigner } from '../../core/domain/beacons/token.js';
import { countryCode, langCode } from '../../engine/decision/market.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf } from '../helpers/feed-rows.js';
import { startEngineProc, startStack, startSyncer } from '../helpers/production.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { STREAM } from '../helpers/redis-votes.js';
import { reportTotals } from '../helpers/reports.js';
import { TEST_BEACON_KEY } from '../helpers/spawn.js';
import { VOTES_GROUP } from '../../syncer/votes/vote-processor.js';

const BEACONS = `${STREAM}:beacons:processed`;
const KINDS = [0, 1, 3, 5]; // impression, start, midpoint, complete

t.test('crash test: 4,000 beacons fired 3 times each over two engines, the counter SIGKILLed twice; exactly 4,000 counted', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  const keys = { API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}` };
  const engines = [await startEngineProc(t, stack, { ...keys, ENGINE_WORKERS: '2' }), await startEngineProc(t, stack, keys)];
  const syncerEnv = { ...keys, VOTE_CLAIM_IDLE_MS: '500' };
  let syncer = await startSyncer(t, stack, syncerEnv);
  const redis = new Redis(stack.redis.url);
  t.teardown(() => redis.disconnect());

  const signer = new BeaconSigner([Buffer.from(TEST_BEACON_KEY)], 3600);
  const urls: string[] = [];
  for (let d = 0; d < 1000; d++) {
    signer.sign('ad-1', countryCode('us'), langCode('eng'), Date.now());
    for (const k of KINDS) for (let copy = 0; copy < 3; copy++) urls.push(`/beacon/${signer.tokens[k]}`);
  }
  const TOTAL = urls.length / 3;
  // Shuffled, so copies of one beacon land on different engines at different times.
  for (let i = urls.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [urls[i], urls[j]] = [urls[j]!, urls[i]!];
  }
  const refused: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < urls.length) {
      const i = next++;
      const r = await stack.http.get(`${engines[i % 2]!.base}${urls[i]}`);
      if (r.status !== 204) refused.push(r.status);
    }
  };
  const load = Promise.all(Array.from({ length: 32 }, client));
  for (const after of [600, 2_000]) {
    await eventually(() => redis.zcard(BEACONS), (n) => n >= after, 60_000, `${after} beacons counted`);
    syncer.proc.child.kill('SIGKILL');
    await syncer.proc.exited;
    syncer = await startSyncer(t, stack, syncerEnv);
  }
  await load;
  t.same(refused, [], 'every beacon answered 204');

  await eventually(() => redis.zcard(BEACONS), (n) => n >= TOTAL, 60_000, 'every beacon counted');
  await eventually(async () => Number(((await redis.xpending(STREAM, VOTES_GROUP)) as [number])[0]), (n) => n === 0, 10_000, 'nothing pending');
  t.equal(await redis.zcard(BEACONS), TOTAL, 'the processed set: exactly the distinct beacons');
  const entries = (await redis.xrange(STREAM, '-', '+')) as [string, string[]][];
  let counted = 0;
  for (const [, f] of entries) if (f[1] === 'beacons_counted') for (const c of (JSON.parse(f[3]!) as { counts: [string, string, string, number, string, number][] }).counts) counted += c[5];
  t.equal(counted, TOTAL, 'beacons_counted events: each beacon once');

  for (const engine of engines) {
    const totals = await eventually(
      () => reportTotals(stack.http, engine.base),
      (x) => x.impressions! + x.starts! + x.midpoints! + x.completes! + x.completes_without_start! === TOTAL,
      10_000,
      'the engine reports every beacon once',
    );
    // Shuffled, a complete often comes before its start: counted once all the same, in its own column.
    t.same(
      [totals.impressions, totals.starts, totals.midpoints, totals.completes! + totals.completes_without_start!],
      [1000, 1000, 1000, 1000],
      '1,000 of each kind',
    );
  }
});
