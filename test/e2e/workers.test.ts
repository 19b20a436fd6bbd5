// ENGINE_WORKERS > 1: server processes share the public port, each installs every snapshot,
// /metrics adds up their request counts, and a write taken by one is seen by all at once.

import t from 'tap';
import { Agent, request } from 'undici';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { eventually } from '../helpers/eventually.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

t.test('two server processes on one port, both swapped, metrics merged', async (t) => {
  const eng = await startTestEngine(t, { workers: 2, ads: [row('v1', 'us', 'eng')] });
  const http = httpClient(t);
  const ready = await http.get(`${eng.internalUrl}/readyz`);
  t.same(ready.body, { status: 'ready', version: eng.engine.follower.version, workers: 2 });

  // Fresh connections spread over both processes by the kernel: all must see the new version.
  await eng.publish([row('v2', 'us', 'eng')]);
  const ids = new Set<string>();
  const N = 64;
  for (let i = 0; i < N; i++) {
    const agent = new Agent({ connections: 1 });
    const r = await request(`${eng.url}/ad_request?country=us&lang=eng&api_key=${GAME_KEY}`, { dispatcher: agent });
    ids.add(((await r.body.json()) as { id: string }).id);
    await agent.close();
  }
  t.same([...ids], ['v2'], 'every connection, whichever process took it, serves the new index');
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, `engine_http_requests_total{route="ad_request",status="200"} ${N}\n`);
  t.match(metrics, 'engine_workers 2');
});

t.test('a report or vote taken by one server process is seen at once by every one, before the fold; then once', async (t) => {
  // The engine's tail of the log fails while `cut` is set: only the write path can tell the other
  // process about the write.
  let cut = false;
  const eng = await startTestEngine(t, {
    workers: 2,
    ads: [row('v1', 'us', 'eng')],
    wrapEvents: (log) =>
      new Proxy(log, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) =>
            cut && (prop === 'read' || prop === 'first') ? Promise.reject(new Error('injected: tail cut')) : (value as (...a: unknown[]) => unknown).apply(target, args);
        },
      }),
  });
  const http = httpClient(t);
  const post = (path: string, body: unknown, key: string) => http.send('POST', `${eng.url}${path}`, JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': key });
  t.equal((await post('/games', { name: 'g' }, ADMIN_KEY)).status, 201);
  const topic = (await post('/topics', { title: 't', choices: [{ description: 'a' }] }, ADMIN_KEY)).body as { id: number; choices: { id: number }[] };
  await eventually(async () => (await http.get(`${eng.internalUrl}/readyz`)).status, (s) => s === 200, 10_000, 'replayed');

  cut = true;
  t.equal((await post('/blacklist', { game_id: 1, email: 'p@example.com', reason: 'cheating' }, GAME_KEY)).status, 201);
  const vote = (await post('/votes', { topic_id: topic.id, choice_id: topic.choices[0]!.id }, GAME_KEY)).body as { id: string };
  // Fresh connections land on either process.
  const seen = new Set<string>();
  for (let i = 0; i < 32; i++) {
    const agent = new Agent({ connections: 1 });
    const check = await request(`${eng.url}/blacklist/check?email=p@example.com&api_key=${GAME_KEY}`, { dispatcher: agent });
    seen.add(`${check.statusCode} ${await check.body.text()}`);
    const receipt = await request(`${eng.url}/votes/${vote.id}?api_key=${GAME_KEY}`, { dispatcher: agent });
    seen.add(`${receipt.statusCode} ${((await receipt.body.json()) as { status?: string }).status}`);
    await agent.close();
  }
  t.same([...seen].sort(), ['200 {"most_common_reason":"cheating","number_of_games_reported":1,"times_reported_last_90_days":1}', '202 queued']);

  cut = false;
  await eventually(async () => Number(/^engine_events_applied_total (\d+)/m.exec((await http.get(`${eng.internalUrl}/metrics`)).text)?.[1]), (n) => n >= 4, 10_000, 'folded');
  t.same((await http.get(`${eng.url}/blacklist/check?email=p@example.com&api_key=${GAME_KEY}`)).body, {
    most_common_reason: 'cheating',
    number_of_games_reported: 1,
    times_reported_last_90_days: 1,
  }, 'folded: counted once');
});
