// Erasure end to end (README "Erasure"): after DELETE /players and a compaction, no byte any store
// keeps holds the email: the data folder of embedded mode (event log and snapshots), and in
// production Redis (every key, whatever its type) and S3 (every object s3rver keeps on disk).
// Stored bytes are read as they are and, when gzip, inflated: a compressed copy still counts. Each
// test first proves its scan finds the email while it is stored.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import type { Redis } from 'ioredis';
import { httpClient } from '../helpers/http.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf, row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { streamJobs } from '../helpers/stream-jobs.js';
import { startEngineProc, startStack, startSyncer } from '../helpers/production.js';
import { connectRedis } from '../helpers/redis.js';

const ERASED = 'erase.me+games@example.com';
const KEPT = 'kept@example.com';
const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });

/** The bytes as stored and, for gzip, inflated. */
function readable(bytes: Buffer): Buffer[] {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return [bytes];
  try {
    return [bytes, gunzipSync(bytes)];
  } catch {
    return [bytes];
  }
}

/** Where `needle` occurs among named blobs. */
const holding = (blobs: [string, Buffer][], needle: string): string[] =>
  blobs.filter(([, b]) => readable(b).some((x) => x.includes(needle))).map(([name]) => name);

async function folderBlobs(dir: string): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    // The syncer may delete a file between the listing and the read: then it is not stored.
    const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (bytes !== null) out.push([file.slice(dir.length + 1), bytes]);
  }
  return out;
}

/** Every key of the Redis dataset, with every value it holds as bytes. */
async function redisBlobs(redis: Redis): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for (const key of await redis.keys('*')) {
    const type = await redis.type(key);
    const values: Buffer[] =
      type === 'string'
        ? [await redis.getBuffer(key)].filter((v): v is Buffer => v !== null)
        : type === 'hash'
          ? await redis.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([k, v]) => [Buffer.from(k), v]))
          : type === 'stream'
            ? (await redis.xrangeBuffer(key, '-', '+')).map(([id, fields]) => Buffer.concat([id, ...fields]))
            : type === 'set'
              ? await redis.smembersBuffer(key)
              : type === 'zset'
                ? await redis.zrangeBuffer(key, '0', '-1')
                : type === 'list'
                  ? await redis.lrangeBuffer(key, 0, -1)
                  : type === 'none'
                    ? [] // deleted since the listing: not stored
                    : [Buffer.from(`unread type ${type}`)];
    for (const [i, v] of values.entries()) out.push([`${key}[${type} ${i}]`, v]);
  }
  return out;
}

t.test('embedded mode: after erasure and compaction no file in the data folder holds the email', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const post = (path: string, body: unknown, key: string, extra: Record<string, string> = {}) =>
    http.send('POST', `${eng.url}${path}`, JSON.stringify(body), { ...json(key), ...extra });
  await post('/games', { name: 'g1' }, ADMIN_KEY);
  await post('/games', { name: 'g2' }, ADMIN_KEY);
  const jobs = streamJobs(eng.dir, eng.events);
  // Two snapshots and a stream tail that hold the email: every place a copy can be.
  t.equal((await post('/blacklist', { game_id: 1, email: ERASED, reason: 'cheating' }, GAME_KEY)).status, 201);
  t.equal((await post('/blacklist', { game_id: 1, email: KEPT, reason: 'spam' }, GAME_KEY)).status, 201);
  t.match(await jobs.compact.run(), { outcome: 'published' });
  t.equal((await post('/blacklist', { game_id: 2, email: ERASED, reason: 'cheating', expires_at: '2099-01-01T00:00:00Z' }, GAME_KEY)).status, 201);
  t.match(await jobs.compact.run(), { outcome: 'published' });
  // A report sent with an Idempotency-Key: its recorded answer (which names the email) goes too.
  t.equal((await post('/blacklist', { game_id: 2, email: ERASED, reason: 'spam' }, GAME_KEY, { 'idempotency-key': 'retry-1' })).status, 201);
  const before = holding(await folderBlobs(eng.dir), ERASED);
  t.ok(before.some((f) => f.startsWith('events')), `the event log holds it (${before})`);
  t.equal(before.filter((f) => f.startsWith('snapshots/stream/')).length, 2, 'and both stream snapshots');

  t.match(await http.send('DELETE', `${eng.url}/players?email=${encodeURIComponent(ERASED)}`, undefined, { 'x-api-key': ADMIN_KEY }), {
    status: 200,
    body: { email: ERASED, reports_erased: 3 },
  });
  t.match(await jobs.compact.run(), { outcome: 'published', removed: 2 });
  const files = await folderBlobs(eng.dir);
  t.same(holding(files, ERASED), [], `none of ${files.length} files holds the email`);
  t.same(holding(files, 'erase.me'), [], 'nor its local part');
  t.ok(holding(files, KEPT).length > 0, 'the other player is still stored');
  t.equal((await http.get(`${eng.url}/blacklist/check?email=${KEPT}`, { 'x-api-key': GAME_KEY })).status, 200);
  t.match(await jobs.compact.run(), { removed: 0 }, 'nothing more to remove');
});

t.test('production: after erasure and compaction neither Redis nor S3 holds a byte of the email', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  await startSyncer(t, stack, { COMPACT_SCHEDULE: '* * * * * *', EVENT_RETENTION_SECONDS: '0' });
  const keys = { API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}` };
  const engines = [await startEngineProc(t, stack, keys), await startEngineProc(t, stack, keys)];
  const [a, b] = engines as [(typeof engines)[0], (typeof engines)[0]];
  const { http } = stack;
  const redis = await connectRedis(t, stack.redis.url);
  const stored = async () => [...(await redisBlobs(redis)), ...(await folderBlobs(stack.s3.dir))];
  const ready = async (base: string) => (await http.get(`${base}/games`, { 'x-api-key': GAME_KEY })).status;
  for (const e of engines) await eventually(() => ready(e.base), (s) => s === 200, 15_000, 'engine ready');
  await http.send('POST', `${a.base}/games`, JSON.stringify({ name: 'g1' }), json(ADMIN_KEY));
  for (const email of [ERASED, KEPT]) {
    t.equal((await http.send('POST', `${a.base}/blacklist`, JSON.stringify({ game_id: 1, email, reason: 'cheating' }), json(GAME_KEY))).status, 201);
  }
  // Stored first in a snapshot in Redis and one in S3 (the stream's copy may be trimmed already:
  // no retention here).
  const inSnapshots = (where: string[]) => where.some((w) => w.includes('[hash')) && where.some((w) => !w.includes('['));
  await eventually(async () => holding(await stored(), ERASED), inSnapshots, 20_000, 'the email in a Redis snapshot and an S3 object');

  const check = (base: string) => http.get(`${base}/blacklist/check?email=${encodeURIComponent(ERASED)}`, { 'x-api-key': GAME_KEY });
  await eventually(async () => (await check(b.base)).status, (s) => s === 200, 5_000, 'the other engine has folded the report');
  t.match(await http.send('DELETE', `${a.base}/players?email=${encodeURIComponent(ERASED)}`, undefined, { 'x-api-key': ADMIN_KEY }), { status: 200, body: { reports_erased: 1 } });
  t.equal((await check(a.base)).status, 404, 'gone on the engine that took it');
  await eventually(async () => (await check(b.base)).status, (s) => s === 404, 5_000, 'and on the other');

  // The syncer compacts every second with no retention: the next runs drop every copy.
  const clean = await eventually(stored, (blobs) => holding(blobs, ERASED).length === 0 && holding(blobs, 'erase.me').length === 0, 30_000, 'no stored byte holds the email');
  t.pass(`${clean.length} stored values and objects, none holds the email`);
  t.ok(holding(clean, KEPT).length > 0, 'the other player is still stored');
  t.equal((await http.get(`${b.base}/blacklist/check?email=${KEPT}`, { 'x-api-key': GAME_KEY })).status, 200);
});
