// The write path across engines on real Redis: a report made on engine A is answered by
// engine B's check within 100 ms, because every engine tails the same stream; an engine started
// later replays the stream before it says it is ready; and the syncer merges the blacklist feed,
// compacts into S3 and Redis and trims the stream, so a new engine boots from snapshot + tail.

import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import t from 'tap';
import { startFeedServer } from '../helpers/feed-server.js';
import { S3_CREDENTIALS } from '../helpers/s3.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf } from '../helpers/feed-rows.js';
import { BUCKET, startEngineProc, startStack, startSyncer, type EngineProc } from '../helpers/production.js';
import { redisKeys } from '../../core/store/redis-keys.js';

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
  t.equal((await stack.http.get(`${late.internal}/readyz`)).status, 503, 'not ready: the routes on the event log refuse');
  t.equal((await stack.http.get(`${late.internal}/readyz/ads`)).status, 200, 'ready for ads');
  t.match(await stack.http.get(`${late.base}/blacklist/check?email=p@example.com`, { 'x-api-key': GAME_KEY }), { status: 503, body: { error: 'not_ready', message: /event log/ } });
  t.match(
    await stack.http.send('POST', `${late.base}/blacklist`, '{}', { 'content-type': 'application/json', 'x-api-key': GAME_KEY }),
    { status: 503, headers: { 'retry-after': '1' } },
  );

  await stack.redis.start(); // empty: no persistence in tests
  await eventually(async () => (await stack.http.get(`${late.base}/blacklist/check?email=p@example.com`, { 'x-api-key': GAME_KEY })).status, (s) => s === 404, 10_000, 'replayed once Redis is back');
  t.equal((await stack.http.get(`${late.internal}/readyz`)).status, 200, 'and ready');
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

t.test('the syncer merges the blacklist feed, compacts into S3 and Redis, trims the stream; a new engine boots from snapshot + tail', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  const a = await startEngineProc(t, stack, { API_KEYS: KEYS });
  const post = (path: string, body: unknown, key: string) =>
    stack.http.send('POST', `${a.base}${path}`, JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': key });
  const check = (e: EngineProc, email: string) => stack.http.get(`${e.base}/blacklist/check?email=${email}`, { 'x-api-key': GAME_KEY }).then((r) => r.text);
  await eventually(async () => (await post('/games', { name: 'Space Raiders' }, ADMIN_KEY)).status, (s) => s === 201, 10_000, 'game created');
  for (let i = 0; i < 300; i++) t.equal((await post('/blacklist', { game_id: 1, email: `p${i % 40}@example.com`, reason: i % 3 ? 'cheating' : 'spam' }, GAME_KEY)).status, 201);
  const feed = await startFeedServer(t, {
    body: [
      { game_name: 'Space Raiders', email: 'feed1@example.com', reason: 'botting', reported_at: new Date().toISOString() },
      { game_id: 1, email: 'p1@example.com', reason: 'spam', reported_at: Date.now() - 1000 },
      { game_id: 7, email: 'p2@example.com', reason: 'spam', reported_at: Date.now() - 1000 },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  });
  // Events stay at least a second (retention) so an engine that is a few ms behind never misses one.
  const syncer = await startSyncer(t, stack, { BLACKLIST_FEED_URL: feed.url, COMPACT_SCHEDULE: '* * * * * *', EVENT_RETENTION_SECONDS: '1' });
  await syncer.proc.waitFor(/"msg":"blacklist feed merged".*?"merged":2/, 10_000);
  await syncer.proc.waitFor(/"msg":"event stream trimmed"/, 10_000);

  const redis = new Redis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  await eventually(() => redis.xlen(redisKeys().events), (n) => n === 0, 10_000, 'the stream trimmed behind the snapshot');
  const s3Latest = await eventually(() => listS3(stack), (keys) => keys.includes('snapshots/stream/latest'), 5_000, 'stream snapshot in S3');
  t.ok(s3Latest.some((k) => /^snapshots\/stream\/\d{8}T/.test(k)), 'a version object beside the pointer');
  t.ok(await redis.get(redisKeys().snapshotLatest('stream')), 'and the pointer in Redis');
  // A report after the snapshot: the tail a new engine replays.
  t.equal((await post('/blacklist', { game_id: 1, email: 'late@example.com', reason: 'cheating' }, GAME_KEY)).status, 201);

  const b = await startEngineProc(t, stack, { API_KEYS: KEYS });
  const [, reports] = await b.proc.waitFor(/"msg":"stream snapshot loaded".*?"reports":(\d+)/, 10_000);
  // 300 reports and 2 feed rows; the late report too when a compaction ran before B started.
  t.ok(Number(reports) === 302 || Number(reports) === 303, `B booted from a snapshot of ${reports} reports`);
  await eventually(async () => (await stack.http.get(`${b.internal}/readyz`)).status, (s) => s === 200, 10_000, 'B ready');
  const emails = ['feed1@example.com', 'late@example.com', 'p2@example.com', ...Array.from({ length: 40 }, (_, i) => `p${i}@example.com`)];
  const onA = await Promise.all(emails.map((e) => check(a, e)));
  t.same(await Promise.all(emails.map((e) => check(b, e))), onA, 'B answers every check as A does');
  t.match(JSON.parse(onA[0]!), { most_common_reason: 'botting', number_of_games_reported: 1 }, 'the feed row is live on A too');
  t.match(JSON.parse(onA[1]!), { most_common_reason: 'cheating' });
});

async function listS3(stack: { s3: { endpoint: string } }): Promise<string[]> {
  const client = new S3Client({ endpoint: stack.s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3_CREDENTIALS });
  try {
    const r = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'snapshots/stream/' }));
    return (r.Contents ?? []).map((o) => o.Key!);
  } finally {
    client.destroy();
  }
}
