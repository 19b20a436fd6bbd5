// The feed client against a real local HTTP server and real files: bodies, encodings, conditional
// requests, and every bound (status, size, time) turned into a FeedFetchError, never a crash.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { FeedClient } from '../../../../syncer/feed/feed-client.js';
import { startFeedServer } from '../../../helpers/feed-server.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

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
  const dir = scratchDir(t);
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

t.test('a 429 or 503 with Retry-After is retried no earlier than asked: delta-seconds and HTTP-date', async (t) => {
  for (const [status, form] of [[429, 'seconds'], [503, 'HTTP-date'], [429, 'HTTP-date'], [503, 'seconds']] as const) {
    const feed = await startFeedServer(t, { body: '{"ads":[]}' });
    // An HTTP-date has whole seconds: two seconds ahead, truncated, is still at least one away.
    const value = form === 'seconds' ? '1' : new Date(Date.now() + 2_000).toUTCString();
    feed.next = [{ status, headers: { 'retry-after': value } }];
    const statuses: (number | 'error')[] = [];
    // backoffMs 1: without Retry-After the retry would come within milliseconds.
    const c = new FeedClient(feed.url, { maxBytes: 1 << 20, timeoutMs: 5_000, retries: 2, backoffMs: 1, maxWaitMs: 10_000, onResponse: (s) => statuses.push(s) });
    t.teardown(() => c.close());
    t.match(await c.pull(), { changed: true, text: '{"ads":[]}' }, `${status} with ${form}`);
    t.same(statuses, [status, 200], `${status} with ${form}: one retry, both answers counted`);
    const [answered, retried] = feed.arrivals as [number, number];
    const notBefore = form === 'seconds' ? answered + 1_000 : Date.parse(value);
    t.ok(retried >= notBefore, `${status} with ${form}: retried ${retried - answered} ms after the answer, asked ${notBefore - answered} ms`);
  }
});

t.test('a Retry-After past the wait cap fails the pull at once, without a second request', async (t) => {
  for (const value of ['3600', new Date(Date.now() + 3_600_000).toUTCString()]) {
    const feed = await startFeedServer(t, { status: 429, headers: { 'retry-after': value } });
    // The defaults: two retries, 500 ms backoff, so a 1.5 s cap. Sleeping an hour would time the test out.
    const c = new FeedClient(feed.url, { maxBytes: 1 << 20, timeoutMs: 5_000 });
    t.teardown(() => c.close());
    await t.rejects(c.pull(), {
      code: 'FEED_FETCH_FAILED',
      message: /^feed answered HTTP 429 and asked to wait 3\d{3} s \(Retry-After\), past the 1500 ms left of this pull's 1500 ms wait cap; not retried/,
    }, value);
    t.equal(feed.requests.length, 1, `${value}: no second request`);
  }
});

t.test('the cap is on the whole pull: a second Retry-After that no longer fits gives up', async (t) => {
  const feed = await startFeedServer(t, { body: '{}' });
  feed.next = [{ status: 503, headers: { 'retry-after': '1' } }, { status: 503, headers: { 'retry-after': '1' } }];
  const c = new FeedClient(feed.url, { maxBytes: 1 << 20, timeoutMs: 5_000, retries: 3, backoffMs: 1, maxWaitMs: 1_500 });
  t.teardown(() => c.close());
  await t.rejects(c.pull(), { message: /HTTP 503 and asked to wait 1 s \(Retry-After\), past the 500 ms left of this pull's 1500 ms wait cap/ });
  t.equal(feed.requests.length, 2, 'waited for the first, not for the second');
  t.ok(feed.arrivals[1]! >= feed.arrivals[0]! + 1_000, 'the first wait was honoured');
});

t.test('Retry-After on other statuses, or malformed, leaves the backoff in charge', async (t) => {
  // An hour asked on a 500, 502 or 504 (HTTP defines it for 503 and 429 only), or an unreadable value on a
  // 429: honoured, any of these would fail the pull or time the test out; with the backoff all is retried.
  const feed = await startFeedServer(t, { body: '{}' });
  feed.next = [
    { status: 500, headers: { 'retry-after': '3600' } },
    { status: 502, headers: { 'retry-after': '3600' } },
    { status: 429, headers: { 'retry-after': 'soon' } },
    { status: 503, headers: { 'retry-after': '-5' } },
  ];
  const statuses: (number | 'error')[] = [];
  const c = new FeedClient(feed.url, { maxBytes: 1 << 20, timeoutMs: 5_000, retries: 4, backoffMs: 1, onResponse: (s) => statuses.push(s) });
  t.teardown(() => c.close());
  t.match(await c.pull(), { changed: true, text: '{}' });
  t.same(statuses, [500, 502, 429, 503, 200]);
});

t.test('an unreachable feed fails after the retries, each attempt reported as "error"', async (t) => {
  const feed = await startFeedServer(t, { body: '{}' });
  const statuses: (number | 'error')[] = [];
  const c = new FeedClient(feed.url.replace(/:\d+\//, ':1/'), { maxBytes: 1 << 20, timeoutMs: 2_000, retries: 1, backoffMs: 5, onResponse: (s) => statuses.push(s) });
  t.teardown(() => c.close());
  await t.rejects(c.pull(), { code: 'FEED_FETCH_FAILED', message: /request failed/ });
  t.same(statuses, ['error', 'error']);
});
