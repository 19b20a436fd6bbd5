// The write path across engines on real Redis (issue 4): a report made on engine A is answered by
// engine B's check within 100 ms, because every engine tails the same stream; and an engine started
// later replays the stream before it says it is ready.

import t from 'tap';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { eventually, feedOf, startEngineProc, startStack, startSyncer, type EngineProc } from '../helpers/production.js';

const KEYS = `game:${GAME_KEY},admin:${ADMIN_KEY}`;

t.test('a report on engine A is visible on engine B within 100 ms', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  await startSyncer(t, stack);
  const [a, b] = [await startEngineProc(t, stack, { API_KEYS: KEYS }), await startEngineProc(t, stack, { API_KEYS: KEYS })];
  const post = (e: EngineProc, path: string, body: unknown, key: string) =>
    stack.http.send('POST', `${e.base}${path}`, JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': key });
  const check = (e: EngineProc, email: string) => stack.http.get(`${e.base}/blacklist/check?email=${email}`, { 'x-api-key': GAME_KEY });

  t.match(await post(a, '/games', { name: 'Space Raiders' }, ADMIN_KEY), { status: 201, body: { id: 1 } });
  // Game ids come from the stream's order, so B agrees; a duplicate made on B is refused there.
  await eventually(async () => (await stack.http.get(`${b.base}/games`, { 'x-api-key': GAME_KEY })).body, (g) => JSON.stringify(g) === '[{"id":1,"name":"Space Raiders"}]', 2_000, 'game on B');
  t.match(await post(b, '/games', { name: 'Space Raiders' }, ADMIN_KEY), { status: 409 });

  const delays: number[] = [];
  for (let i = 0; i < 20; i++) {
    const email = `player${i}@example.com`;
    t.equal((await post(a, '/blacklist', { game_id: 1, email, reason: 'cheating' }, GAME_KEY)).status, 201);
    const answeredAt = Date.now();
    await eventually(async () => (await check(b, email)).status, (s) => s === 200, 2_000, `${email} on B`);
    delays.push(Date.now() - answeredAt);
  }
  delays.sort((x, y) => x - y);
  t.ok(delays.at(-1)! <= 100, `A's 201 → B answers the check: median ${delays[10]} ms, max ${delays.at(-1)} ms (≤ 100 ms)`);

  // An engine started now replays the stream before it is ready.
  const c = await startEngineProc(t, stack, { API_KEYS: KEYS });
  await eventually(async () => (await stack.http.get(`${c.internal}/readyz`)).status, (s) => s === 200, 10_000, 'C ready');
  t.same((await check(c, 'player7@example.com')).body, { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 1 });
});

t.test('an engine that boots with Redis down serves ads, answers blacklist routes 503 until it has replayed', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  const syncer = await startSyncer(t, stack);
  const witness = await startEngineProc(t, stack, { API_KEYS: KEYS });
  await eventually(async () => (await stack.http.get(`${witness.internal}/readyz`)).status, (s) => s === 200, 10_000, 'published');
  syncer.proc.child.kill('SIGKILL');
  await stack.redis.stop();

  const late = await startEngineProc(t, stack, { API_KEYS: KEYS });
  t.equal((await stack.http.get(`${late.base}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY })).status, 200, 'ads from S3');
  t.equal((await stack.http.get(`${late.internal}/readyz`)).status, 200, 'ready: ads are what readiness is about');
  t.match(await stack.http.get(`${late.base}/blacklist/check?email=p@example.com`, { 'x-api-key': GAME_KEY }), { status: 503, body: { error: 'not_ready', message: /event log/ } });
  t.match(
    await stack.http.send('POST', `${late.base}/blacklist`, '{}', { 'content-type': 'application/json', 'x-api-key': GAME_KEY }),
    { status: 503, headers: { 'retry-after': '1' } },
  );

  await stack.redis.start(); // empty: no persistence in tests
  await eventually(async () => (await stack.http.get(`${late.base}/blacklist/check?email=p@example.com`, { 'x-api-key': GAME_KEY })).status, (s) => s === 404, 10_000, 'replayed once Redis is back');
});

t.test('Redis down after start: writes answer 503 store_unavailable (nothing recorded), checks keep answering', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  await startSyncer(t, stack);
  const e = await startEngineProc(t, stack, { API_KEYS: KEYS });
  const post = (path: string, body: unknown, key: string) =>
    stack.http.send('POST', `${e.base}${path}`, JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': key });
  await eventually(async () => (await post('/games', { name: 'g' }, ADMIN_KEY)).status, (s) => s === 201, 10_000, 'game created');
  t.equal((await post('/blacklist', { game_id: 1, email: 'p@example.com', reason: 'cheating' }, GAME_KEY)).status, 201);

  await stack.redis.stop();
  const refused = await post('/blacklist', { game_id: 1, email: 'p@example.com', reason: 'harassment' }, GAME_KEY);
  t.match(refused, { status: 503, headers: { 'retry-after': '1' }, body: { error: 'store_unavailable', message: /nothing was recorded/ } });
  t.match(await post('/games', { name: 'h' }, ADMIN_KEY), { status: 503, body: { error: 'store_unavailable' } });
  t.same((await stack.http.get(`${e.base}/blacklist/check?email=p@example.com`, { 'x-api-key': GAME_KEY })).body, {
    most_common_reason: 'cheating',
    number_of_games_reported: 1,
    times_reported_last_90_days: 1,
  }, 'checks answer from memory');
});
