// The logger (README "Logs"): one JSON object per line, filtered by level; secrets masked wherever
// they sit; a field never overwrites the line's own keys; nothing a caller passes makes it throw.
// The same contract on real processes: test/e2e/logs.test.ts.

import t from 'tap';
import { createLogger, logLevels, redactUrls, type LogFields, type LogLevel } from '../../../../core/runtime/logger.js';

interface Line {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

const SECRET = 's3cr3t-token-value';

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
