// The feed client against a real local HTTP server and real files: bodies, encodings, conditional
// requests, and every bound (status, size, time) turned into a FeedFetchError, never a crash.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { FeedClient } from '../../syncer/feed/feed-client.js';
import { startFeedServer } from '../helpers/feed-server.js';

const client = (t: { teardown(fn: () => unknown): void }, url: string, maxBytes = 1 << 20, timeoutMs = 5_000) => {
  const c = new FeedClient(url, { maxBytes, timeoutMs });
  t.teardown(() => c.close());
  return c;
};

t.test('200 bodies, plain, gzip and br', async (t) => {
  const feed = await startFeedServer(t, { body: '{"ads":[]}' });
  const c = client(t, feed.url);
  t.same(await c.pull(), { changed: true, text: '{"ads":[]}', bytes: 10, status: 200 });
  for (const encoding of ['gzip', 'br'] as const) {
    feed.respond = { body: `{"enc":"${encoding}"}`, encoding };
    t.match(await c.pull(), { changed: true, text: `{"enc":"${encoding}"}` }, encoding);
  }
  t.match(feed.requests[0], { accept: 'application/json', 'accept-encoding': /gzip/ });
});

t.test('ETag and Last-Modified make the next pull conditional; 304 is "not changed"', async (t) => {
  const feed = await startFeedServer(t, { body: '{}', headers: { etag: '"v1"', 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' } });
  const c = client(t, feed.url);
  await c.pull();
  feed.respond = { status: 304 };
  t.same(await c.pull(), { changed: false, status: 304 });
  t.match(feed.requests[1], { 'if-none-match': '"v1"', 'if-modified-since': 'Tue, 01 Jan 2030 00:00:00 GMT' });
  c.forgetValidators();
  feed.respond = { body: '{}' };
  await c.pull();
  t.notOk('if-none-match' in feed.requests[2]!, 'unconditional after forgetValidators');
});

t.test('failures are FeedFetchError: status, size cap (plain and decoded), timeout, bad encoding', async (t) => {
  const feed = await startFeedServer(t, { status: 500, body: 'oops' });
  const small = client(t, feed.url, 1024, 300);
  await t.rejects(small.pull(), { code: 'FEED_FETCH_FAILED', message: 'feed answered HTTP 500' });
  feed.respond = { body: 'x'.repeat(2048) };
  await t.rejects(small.pull(), { code: 'FEED_FETCH_FAILED', message: /over the 1024-byte cap/ });
  feed.respond = { body: 'x'.repeat(1 << 20), encoding: 'gzip' }; // ~1 kB on the wire, 1 MiB decoded
  await t.rejects(small.pull(), { code: 'FEED_FETCH_FAILED', message: /over the 1024-byte cap/ });
  feed.respond = { body: 'x', headers: { 'content-encoding': 'zstd-ish' } };
  await t.rejects(small.pull(), { code: 'FEED_FETCH_FAILED', message: /unsupported content-encoding/ });
  feed.respond = { hang: true };
  await t.rejects(small.pull(), { code: 'FEED_FETCH_FAILED' }, 'a server that never answers');
  const refused = client(t, 'http://127.0.0.1:1/feed.json', 1024, 1_000);
  await t.rejects(refused.pull(), { code: 'FEED_FETCH_FAILED', message: /feed request failed/ });
});

t.test('file:// feeds: read, missing, too large', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-edge-feed-file-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'feed.json');
  await writeFile(file, '{"ads":[1]}');
  t.same(await client(t, pathToFileURL(file).href).pull(), { changed: true, text: '{"ads":[1]}', bytes: 11, status: 200 });
  await t.rejects(client(t, pathToFileURL(join(dir, 'nope.json')).href).pull(), { code: 'FEED_FETCH_FAILED', message: /cannot read feed file/ });
  await t.rejects(client(t, pathToFileURL(file).href, 5).pull(), { code: 'FEED_FETCH_FAILED', message: /11 bytes, over the 5-byte cap/ });
});

t.test('transient failures are retried with backoff; the pull succeeds on a later attempt', async (t) => {
  const feed = await startFeedServer(t, { body: '{"ads":[]}' });
  feed.next = [{ status: 503 }, { status: 429 }];
  const statuses: (number | 'error')[] = [];
  const c = new FeedClient(feed.url, { maxBytes: 1 << 20, timeoutMs: 5_000, retries: 2, backoffMs: 5, onResponse: (s) => statuses.push(s) });
  t.teardown(() => c.close());
  t.match(await c.pull(), { changed: true, text: '{"ads":[]}' });
  t.equal(feed.requests.length, 3);
  t.same(statuses, [503, 429, 200], 'every answer reported, retries included');
});

t.test('retries run out: the last failure is reported', async (t) => {
  const feed = await startFeedServer(t, { status: 502 });
  const c = new FeedClient(feed.url, { maxBytes: 1 << 20, timeoutMs: 5_000, retries: 2, backoffMs: 5 });
  t.teardown(() => c.close());
  await t.rejects(c.pull(), { code: 'FEED_FETCH_FAILED', message: /HTTP 502/ });
  t.equal(feed.requests.length, 3, 'one attempt and two retries');
});

t.test('a 4xx, or a body over the cap, is not retried', async (t) => {
  const feed = await startFeedServer(t, { status: 404 });
  const c = new FeedClient(feed.url, { maxBytes: 64, timeoutMs: 5_000, retries: 2, backoffMs: 5 });
  t.teardown(() => c.close());
  await t.rejects(c.pull(), { message: /HTTP 404/ });
  t.equal(feed.requests.length, 1);
  feed.respond = { body: 'x'.repeat(1000) };
  await t.rejects(c.pull(), { message: /cap/ });
  t.equal(feed.requests.length, 2);
});

t.test('an unreachable feed fails after the retries, each attempt reported as "error"', async (t) => {
  const feed = await startFeedServer(t, { body: '{}' });
  const statuses: (number | 'error')[] = [];
  const c = new FeedClient(feed.url.replace(/:\d+\//, ':1/'), { maxBytes: 1 << 20, timeoutMs: 2_000, retries: 1, backoffMs: 5, onResponse: (s) => statuses.push(s) });
  t.teardown(() => c.close());
  await t.rejects(c.pull(), { code: 'FEED_FETCH_FAILED', message: /request failed/ });
  t.same(statuses, ['error', 'error']);
});
