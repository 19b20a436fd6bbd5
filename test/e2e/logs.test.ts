// The log contract (README "Logs") on real processes (embedded mode, production syncers against a
// real Redis and a real S3): stdout carries JSON lines only, one per start-up step, sync, swap and
// error, none per request, filtered by LOG_LEVEL; secrets never appear. The logger on its own:
// test/unit/core/runtime/logger.test.ts.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { logLevels, type LogLevel } from '../../core/runtime/logger.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { eventually } from '../helpers/eventually.js';
import { httpClient } from '../helpers/http.js';
import { startRedis } from '../helpers/redis.js';
import { S3_CREDENTIALS, startS3 } from '../helpers/s3.js';
import { EMBEDDED_SERVING, startProcess, type RunningProcess } from '../helpers/spawn.js';
import { scratchDir } from '../helpers/scratch-dir.js';

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
  const proc = startProcess(t, 'embedded/main.ts', embeddedEnv(scratchDir(t), { LOG_LEVEL: 'info', FEED_URL: sampleFeedWithToken }));
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
  const dir = scratchDir(t);
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
  const dir = scratchDir(t);
  const missing = `${pathToFileURL(join(dir, 'gone.json')).href}?token=${SECRET}`;
  const startSyncer = (feedUrl: string): RunningProcess =>
    startProcess(t, 'syncer/main.ts', {
      REDIS_URL: redis.url,
      EVENT_LOG_DURABILITY: 'memory',
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
  const dir = scratchDir(t);
  // Preloaded into every process (NODE_OPTIONS reaches the forked servers): a warning once each is
  // running. Main threads only: tsx's module loader runs in a thread of its own, which is not ours.
  // The delay outlasts a server process's start from TypeScript on a busy machine (a 1.5 s delay
  // once fired before a server had installed its warning handler, under a parallel test run).
  const preload = join(dir, 'warn.cjs');
  await writeFile(
    preload,
    "if (require('node:worker_threads').isMainThread) setTimeout(() => process.emitWarning('a test warning', { type: 'TestWarning', code: 'ARCADE_TEST' }), 5000).unref();\n",
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
  await eventually(() => warnings().length, (n) => n >= 3, 20_000, 'three warning lines');
  proc.child.kill('SIGTERM');
  await proc.exited;
  t.equal(warnings().length, 3, 'one line from the main process and one from each server process');
  for (const w of warnings()) t.match(w, { level: 'warn', service: 'engine', warning: { name: 'TestWarning', message: 'a test warning', code: 'ARCADE_TEST' } });
  t.equal(proc.stderr(), '', 'nothing on stderr');
});
