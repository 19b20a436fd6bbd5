// The log contract (README "Logs"): stdout carries JSON lines only, one per start-up step, sync,
// swap and error, none per request, filtered by LOG_LEVEL; secrets never appear; a field never
// overwrites the line's own keys; nothing a caller passes makes the logger throw. Checked on the
// logger itself and on real processes (embedded mode, production syncers against a real Redis and
// a real S3).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { createLogger, logLevels, redactUrls, type LogFields, type LogLevel } from '../engine/core/logger.js';
import { packagePath } from '../engine/core/package-root.js';
import { httpClient } from './helpers/http.js';
import { startRedis } from './helpers/redis.js';
import { S3_CREDENTIALS, startS3 } from './helpers/s3.js';
import { EMBEDDED_SERVING, startProcess, type RunningProcess } from './helpers/spawn.js';

interface Line {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

/** Every stdout line, parsed; a line that is not a JSON object with time, level and msg fails the test. */
function lines(t: Test, text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      t.fail(`stdout line is not JSON: ${raw}`);
      continue;
    }
    const line = parsed as Line;
    if (!(typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time)) && logLevels.includes(line.level) && typeof line.msg === 'string')) {
      t.fail(`stdout line lacks time, level or msg: ${raw}`);
      continue;
    }
    out.push(line);
  }
  return out;
}

const SECRET = 's3cr3t-token-value';
// A feed URL whose query carries a token: the logs may name the feed, never the token.
const sampleFeedWithToken = `${pathToFileURL(packagePath('syncer/sample/campaign-feed.json')).href}?token=${SECRET}`;
// Nothing scheduled during a test: the lines seen are the start-up's and the test's own.
const NEVER = '0 0 1 1 *';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-edge-logs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const embeddedEnv = (dir: string, more: Record<string, string>) => ({
  DATA_DIR: dir,
  HOST: '127.0.0.1',
  PORT: '0',
  INTERNAL_PORT: '0',
  ENGINE_WORKERS: '1',
  SYNC_SCHEDULE: NEVER,
  COMPACT_SCHEDULE: NEVER,
  ...more,
});

t.test('the logger: one JSON object per line, the level threshold, secrets masked', async (t) => {
  for (const level of logLevels) {
    const written: string[] = [];
    const log = createLogger(level, { service: 'test' }, (l) => written.push(l));
    for (const l of logLevels) log[l](`a ${l} line`, { n: 1 });
    const expected = logLevels.slice(logLevels.indexOf(level));
    t.same(
      written.map((w) => (JSON.parse(w) as Line).level),
      expected,
      `LOG_LEVEL=${level} writes ${expected.join(', ')}`,
    );
    t.ok(written.every((w) => w.endsWith('\n') && w.indexOf('\n') === w.length - 1), 'each call is exactly one line');
  }

  const written: string[] = [];
  const log = createLogger('debug', { service: 'test' }, (l) => written.push(l)).child({ job: 'j' });
  const err = Object.assign(new Error(`GET https://user:${SECRET}@feeds.example/x failed`), { code: 'E_X' });
  log.error('something failed', {
    api_key: 'k1',
    authorization: 'Bearer k2',
    password: 'p',
    keys: 3,
    feed: `https://feeds.example/c.json?token=${SECRET}&v=2`,
    redis: `redis://:${SECRET}@cache:6379/0`,
    problems: [`FEED_URL bad: https://feeds.example/?sig=${SECRET}`],
    err,
  });
  const line = JSON.parse(written[0]!) as Line;
  t.match(line, { level: 'error', msg: 'something failed', service: 'test', job: 'j' });
  t.same([line.api_key, line.authorization, line.password, line.keys], ['[redacted]', '[redacted]', '[redacted]', 3], 'secret-named fields are masked');
  t.equal(line.feed, 'https://feeds.example/c.json?token=[redacted]&v=[redacted]', 'query values are masked');
  t.equal(line.redis, 'redis://:[redacted]@cache:6379/0', 'a URL password is masked');
  t.same(line.problems, ['FEED_URL bad: https://feeds.example/?sig=[redacted]'], 'strings inside arrays too');
  t.same(line.err, { name: 'Error', message: 'GET https://user:[redacted]@feeds.example/x failed', code: 'E_X' }, 'an error is name, message, code: no stack');
  t.notMatch(written[0]!, SECRET);
});

/** A debug logger bound to service=test, job=j, and the lines it wrote. */
function capture(): { log: ReturnType<typeof createLogger>; written: string[]; line(i?: number): Line } {
  const written: string[] = [];
  const log = createLogger('debug', { service: 'test' }, (l) => written.push(l)).child({ job: 'j' });
  return { log, written, line: (i = 0) => JSON.parse(written[i]!) as Line };
}

t.test('the logger: secrets nested in objects and arrays are masked', async (t) => {
  const { log, written, line } = capture();
  log.info('connecting', {
    redis: { host: 'cache', password: SECRET },
    headers: { authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET, accept: 'application/json' },
    upstream: { request: { headers: { Authorization: `Bearer ${SECRET}` } } },
    clients: [{ id: 1, token: SECRET }],
    s3: { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } },
    store: { url: `redis://:${SECRET}@cache:6379/0`, replicas: [`rediss://u:${SECRET}@replica:6380`] },
  });
  t.match(line(), {
    redis: { host: 'cache', password: '[redacted]' },
    headers: { authorization: '[redacted]', 'x-api-key': '[redacted]', accept: 'application/json' },
    upstream: { request: { headers: { Authorization: '[redacted]' } } },
    clients: [{ id: 1, token: '[redacted]' }],
    s3: { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: '[redacted]' } },
    store: { url: 'redis://:[redacted]@cache:6379/0', replicas: ['rediss://u:[redacted]@replica:6380'] },
  });
  t.notMatch(written[0]!, SECRET);
});

t.test('the logger: flags and counts named like secrets are not secrets', async (t) => {
  const { log, line } = capture();
  const fields = { dev_keys: true, api_keys_count: 2, keys: 3, tokens_issued: 4, redis_key: 'arcade:lock:syncer', password_set: false };
  log.info('embedded mode serving', fields);
  t.match(line(), fields);
});

t.test("the logger: a field never overwrites the line's time, level, msg or bindings", async (t) => {
  const { log, written, line } = capture();
  log.warn('the event', { time: 'yesterday', level: 'fatal', msg: 'forged', service: 'other', job: 'k' });
  t.match(line(), { level: 'warn', msg: 'the event', service: 'test', job: 'j' });
  t.ok(Date.parse(line().time) > Date.parse('2020-01-01'), 'time is the line\'s own');
  t.match(line(), { field_time: 'yesterday', field_level: 'fatal', field_msg: 'forged', field_service: 'other', field_job: 'k' }, 'the colliding fields are kept, renamed');
  for (const key of ['time', 'level', 'msg', 'service', 'job']) t.equal(written[0]!.split(`"${key}":`).length, 2, `one "${key}" key in the line`);

  // A child's binding may not take a name the line already has either.
  const child = createLogger('debug', { service: 'test' }, (l) => written.push(l)).child({ service: 'x', level: 'y' });
  child.info('from the child');
  t.match(line(1), { level: 'info', msg: 'from the child', service: 'test', field_service: 'x', field_level: 'y' });
});

t.test('the logger: circular objects and BigInt values print, they do not throw', async (t) => {
  const { log, written, line } = capture();
  const loop: LogFields = { name: 'loop' };
  loop.self = loop;
  const big = 2n ** 70n;
  t.doesNotThrow(() => log.info('odd values', { loop, twice: [loop, loop], n: 10n, nested: { big, list: [big] } }));
  t.equal(written.length, 1, 'one line');
  t.match(line(), {
    loop: { name: 'loop', self: '[Circular]' },
    twice: [{ name: 'loop', self: '[Circular]' }, { name: 'loop', self: '[Circular]' }],
    n: '10',
    nested: { big: '1180591620717411303424', list: ['1180591620717411303424'] },
  });
});

t.test('the logger: text after a URL is kept whole (a config problem keeps its closing quote)', async (t) => {
  t.equal(
    redactUrls(`FEED_URL must be a http:// or https:// or file:// URL, got 'ftp://feeds.example/c.json?token=${SECRET}'`),
    "FEED_URL must be a http:// or https:// or file:// URL, got 'ftp://feeds.example/c.json?token=[redacted]'",
  );
  t.equal(redactUrls(`see "https://a.example/b?x=${SECRET}&y=2", then retry`), 'see "https://a.example/b?x=[redacted]&y=[redacted]", then retry');
  t.equal(redactUrls(`<https://u:${SECRET}@a.example/p?q=1>`), '<https://u:[redacted]@a.example/p?q=[redacted]>');
});

t.test('a config problem naming a URL with a token: exit 78, printed whole, the token masked', async (t) => {
  const proc = startProcess(t, 'syncer/main.ts', { REDIS_URL: 'redis://127.0.0.1:1', FEED_URL: `ftp://feeds.example/c.json?token=${SECRET}` });
  t.equal((await proc.exited).code, 78);
  const problem = "FEED_URL must be a http:// or https:// or file:// URL, got 'ftp://feeds.example/c.json?token=[redacted]'";
  t.match(lines(t, proc.stdout()), [{ level: 'error', msg: 'config invalid; not starting', problems: [problem] }]);
  t.equal(proc.stderr(), `syncer: config: ${problem}\n`);
});

t.test("a syncer with S3_BUCKET: the AWS SDK's Node-version warning is one JSON line, stderr stays empty", async (t) => {
  const s3 = await startS3(t, ['arcade-snapshots']);
  const proc = startProcess(t, 'syncer/main.ts', {
    S3_BUCKET: 'arcade-snapshots',
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    FEED_URL: sampleFeedWithToken,
    INTERNAL_HOST: '127.0.0.1',
    INTERNAL_PORT: '0',
    SYNC_SCHEDULE: NEVER,
    COMPACT_SCHEDULE: NEVER,
  });
  await proc.waitFor(/"msg":"syncer running"/);
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
  const warnings = lines(t, proc.stdout()).filter((l) => l.msg === 'process warning');
  t.match(warnings, [{ level: 'warn', service: 'syncer', warning: { name: 'Warning', message: /^NodeVersionSupportWarning: The AWS SDK for JavaScript/ } }]);
  t.equal(proc.stderr(), '', 'nothing on stderr');
});

t.test('embedded, LOG_LEVEL=info: start-up, sync and swap lines, none per request, shutdown lines', async (t) => {
  const proc = startProcess(t, 'embedded/main.ts', embeddedEnv(await tempDir(t), { LOG_LEVEL: 'info', FEED_URL: sampleFeedWithToken }));
  const [, url] = await proc.waitFor(EMBEDDED_SERVING);
  const atStart = lines(t, proc.stdout());
  const msgs = atStart.map((l) => l.msg);
  for (const expected of ['ads snapshot published', 'ad index swapped', 'event log replayed', 'engine listening', 'embedded mode serving']) {
    t.ok(msgs.includes(expected), `logs "${expected}"`);
  }
  t.match(atStart.find((l) => l.msg === 'ads snapshot published'), { level: 'info', job: 'sync-campaigns', outcome: 'published', ads: 24 });
  t.match(atStart.find((l) => l.msg === 'ad index swapped'), { level: 'info', version: String, ads: 24 });
  t.ok(atStart.every((l) => l.service === 'arcade-edge' && l.mode === 'embedded'), 'every line names its service');

  // Answers of every kind, good and bad: none of them is a log line.
  const http = httpClient(t);
  const game = { 'x-api-key': 'dev-game-key' };
  const answered = new Map<number, number>();
  for (let i = 0; i < 50; i++) {
    for (const r of await Promise.all([
      http.get(`${url}/ad_request?country=us&lang=eng`, game),
      http.get(`${url}/ad_request?country=usa&lang=eng`, game),
      http.get(`${url}/ad_request?country=us&lang=eng`),
      http.get(`${url}/nowhere`, game),
      http.send('POST', `${url}/votes`, '{"topic_id":99,"choice_id":1}', { ...game, 'content-type': 'application/json' }),
      http.send('POST', `${url}/votes`, '{not json', { ...game, 'content-type': 'application/json' }),
    ])) {
      answered.set(r.status, (answered.get(r.status) ?? 0) + 1);
    }
  }
  t.same(Object.fromEntries(answered), { 200: 50, 400: 100, 401: 50, 404: 100 }, '300 requests answered');

  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
  const all = lines(t, proc.stdout());
  t.same(
    all.slice(atStart.length).map((l) => l.msg),
    ['shutting down: draining', 'drained; exiting'],
    'between start-up and shutdown, 300 requests logged nothing',
  );
  t.notMatch(proc.stdout() + proc.stderr(), SECRET, 'the feed token is never printed');
  t.match(proc.stdout(), /"feed":"file:\/\/[^"]*campaign-feed\.json\?token=\[redacted\]"/, 'the feed is named without its token');
});

t.test('embedded, LOG_LEVEL=warn: the warning and the failed sync, no info lines', async (t) => {
  const dir = await tempDir(t);
  const missing = pathToFileURL(join(dir, 'no-such-feed.json')).href;
  const proc = startProcess(t, 'embedded/main.ts', embeddedEnv(dir, { LOG_LEVEL: 'warn', FEED_URL: missing }));
  await proc.waitFor(/"msg":"campaign sync failed/);
  // The banner on stderr comes after the whole start-up: once it is there, every start-up line is too.
  await proc.waitFor(/try:\s+curl/, 30_000, 'stderr');
  proc.child.kill('SIGTERM');
  await proc.exited;
  const all = lines(t, proc.stdout());
  t.same([...new Set(all.map((l) => l.level))].sort(), ['error', 'warn'], 'only warn and error lines');
  t.match(all.find((l) => l.level === 'warn'), { msg: /DEV-ONLY/ });
  t.match(all.find((l) => l.level === 'error'), {
    msg: 'campaign sync failed; last good snapshot stays published',
    job: 'sync-campaigns',
    outcome: 'fetch_failed',
    err: { name: String, message: /no-such-feed\.json/, code: 'FEED_FETCH_FAILED' },
  });
});

t.test('a bad LOG_LEVEL: exit 78, one JSON error line on stdout, the plain line on stderr', async (t) => {
  const proc = startProcess(t, 'engine/main.ts', { LOG_LEVEL: 'loud', PORT: '0', INTERNAL_PORT: '0', API_KEYS: 'game:long-enough-key' });
  t.equal((await proc.exited).code, 78);
  const all = lines(t, proc.stdout());
  t.equal(all.length, 1);
  t.match(all[0], { level: 'error', msg: 'config invalid; not starting', service: 'engine', exit_code: 78, problems: [/^LOG_LEVEL must be one of debug, info, warn, error/] });
  t.match(proc.stderr(), /^engine: config: LOG_LEVEL must be one of/m);
});

t.test('production syncer: start-up and sync lines; a failing feed is an error line without its token', async (t) => {
  const redis = await startRedis(t);
  const dir = await tempDir(t);
  const missing = `${pathToFileURL(join(dir, 'gone.json')).href}?token=${SECRET}`;
  const startSyncer = (feedUrl: string): RunningProcess =>
    startProcess(t, 'syncer/main.ts', {
      REDIS_URL: redis.url,
      FEED_URL: feedUrl,
      INTERNAL_HOST: '127.0.0.1',
      INTERNAL_PORT: '0',
      SYNC_SCHEDULE: NEVER,
      COMPACT_SCHEDULE: NEVER,
    });
  let proc = startSyncer(sampleFeedWithToken);
  // The leader's first run starts when it wins the lock, beside the rest of start-up.
  await proc.waitFor(/"msg":"syncer running"/);
  await proc.waitFor(/"msg":"ads snapshot published"/);
  let all = lines(t, proc.stdout());
  t.match(all.find((l) => l.msg === 'became leader'), { level: 'info', service: 'syncer' });
  t.match(all.find((l) => l.msg === 'ads snapshot published'), { level: 'info', outcome: 'published', job: 'sync-campaigns' });
  t.match(all.find((l) => l.msg === 'syncer running'), { level: 'info', role: 'leader', feed: /\?token=\[redacted\]$/ });
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);

  // Same Redis, the feed now gone: the run is one error line naming why, and the token stays out.
  proc = startSyncer(missing);
  await proc.waitFor(/"msg":"syncer running"/);
  await proc.waitFor(/"job":"sync-campaigns"/);
  all = lines(t, proc.stdout());
  const syncLines = all.filter((l) => l.job === 'sync-campaigns');
  t.equal(syncLines.length, 1, 'one line for the one sync run');
  t.match(syncLines[0], { level: 'error', outcome: 'fetch_failed', kept: /^\d{8}T/, err: { code: 'FEED_FETCH_FAILED' } });
  proc.child.kill('SIGTERM');
  await proc.exited;
  t.notMatch(proc.stdout() + proc.stderr(), SECRET);
});

t.test('ENGINE_WORKERS=2: a Node warning in any process, main or server, is one JSON line; stderr stays empty', async (t) => {
  const dir = await tempDir(t);
  // Preloaded into every process (NODE_OPTIONS reaches the forked servers): a warning once each is
  // running. Main threads only: tsx's module loader runs in a thread of its own, which is not ours.
  const preload = join(dir, 'warn.cjs');
  await writeFile(
    preload,
    "if (require('node:worker_threads').isMainThread) setTimeout(() => process.emitWarning('a test warning', { type: 'TestWarning', code: 'ARCADE_TEST' }), 1500).unref();\n",
  );
  const proc = startProcess(t, 'engine/main.ts', {
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    INTERNAL_PORT: '0',
    ENGINE_WORKERS: '2',
    API_KEYS: 'game:long-enough-key',
    NODE_OPTIONS: `--require ${preload}`,
  });
  await proc.waitFor(/"msg":"engine listening"/);
  const warnings = () => lines(t, proc.stdout()).filter((l) => l.msg === 'process warning');
  for (let i = 0; i < 200 && warnings().length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  proc.child.kill('SIGTERM');
  await proc.exited;
  t.equal(warnings().length, 3, 'one line from the main process and one from each server process');
  for (const w of warnings()) t.match(w, { level: 'warn', service: 'engine', warning: { name: 'TestWarning', message: 'a test warning', code: 'ARCADE_TEST' } });
  t.equal(proc.stderr(), '', 'nothing on stderr');
});
