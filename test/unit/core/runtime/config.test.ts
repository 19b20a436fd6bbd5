// Configuration: defaults for embedded mode, production needs keys, every bad variable reported at
// once with its name and value, and the result frozen.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../../../core/runtime/config.js';
import { ConfigError } from '../../../../core/errors.js';

const BEACON_KEYS = 'a-beacon-key-of-thirty-two-bytes-or-more';

t.test('defaults of npm start: embedded mode, dev keys on loopback, the bundled sample feed', async (t) => {
  const c = loadConfig({}, 'embedded');
  t.match(c, { mode: 'embedded', devKeys: true, port: 8080, internalPort: 9464, host: '127.0.0.1', internalHost: '127.0.0.1', syncSchedule: '*/1 * * * *', logLevel: 'info', redisUrl: null, s3: null });
  t.same(c.apiKeys.map((k) => k.scope), ['admin', 'game']);
  t.ok(existsSync(fileURLToPath(c.feedUrl)), 'sample feed file exists');
  t.ok(Object.isFrozen(c));
  t.ok(c.engineWorkers >= 1);
});

t.test('production mode when REDIS_URL or S3_BUCKET is set; it needs API_KEYS', async (t) => {
  t.throws(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, 'engine'), { code: 'CONFIG_INVALID', message: /^API_KEYS is required/ });
  const c = loadConfig({ S3_BUCKET: 'snaps', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true', API_KEYS: 'game:long-enough-key', BEACON_KEYS }, 'engine');
  t.match(c, { mode: 'production', devKeys: false, s3: { bucket: 'snaps', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true } });
});

t.test('every problem at once, naming the variable and the value', async (t) => {
  let err: unknown;
  try {
    loadConfig({
      PORT: 'abc',
      ENGINE_WORKERS: '0',
      FEED_URL: 'ftp://x/feed.json',
      SYNC_SCHEDULE: 'not cron',
      LOG_LEVEL: 'loud',
      S3_BUCKET: 'b',
      S3_FORCE_PATH_STYLE: 'maybe',
      API_KEYS: 'game:ok-key-123',
      BEACON_KEYS,
      REDIS_URL: 'http://not-redis',
    }, 'engine');
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof ConfigError);
  t.same((err as ConfigError).problems, [
    "REDIS_URL must be a redis:// or rediss:// URL, got 'http://not-redis'",
    "SYNC_SCHEDULE must be a cron expression, got 'not cron'",
    "S3_FORCE_PATH_STYLE must be true or false, got 'maybe'",
    "PORT must be an integer 0..65535, got 'abc'",
    "FEED_URL must be a http:// or https:// or file:// URL, got 'ftp://x/feed.json'",
    "ENGINE_WORKERS must be an integer 1..256, got '0'",
    "LOG_LEVEL must be one of debug, info, warn, error, got 'loud'",
  ]);
  t.equal((err as ConfigError).code, 'CONFIG_INVALID');
});

t.test('settings with no effect in this mode are warnings, not errors', async (t) => {
  const c = loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_REGION: 'eu-west-1' }, 'embedded');
  t.same(c.warnings, ['S3_ENDPOINT has no effect without S3_BUCKET', 'S3_REGION has no effect without S3_BUCKET']);
});

t.test('only embedded mode falls back to the dev keys: a standalone engine without API_KEYS does not start', async (t) => {
  // The image's command, with the folder store (no REDIS_URL, no S3_BUCKET): once it served the
  // public dev-admin-key on 0.0.0.0.
  t.throws(() => loadConfig({ BEACON_KEYS }, 'engine'), { code: 'CONFIG_INVALID', problems: [/^API_KEYS is required: /] });
  t.throws(() => loadConfig({ DATA_DIR: '/tmp/x', HOST: '127.0.0.1' }, 'engine'), { code: 'CONFIG_INVALID', problems: [/^API_KEYS is required: /, /^BEACON_KEYS is required: /] });
  const c = loadConfig({ API_KEYS: 'game:long-enough-key', BEACON_KEYS }, 'engine');
  t.match(c, { devKeys: false, host: '0.0.0.0', internalHost: '0.0.0.0' });
  t.same(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, 'syncer').apiKeys, [], 'the syncer serves no API and needs no keys');
  t.throws(() => loadConfig({}, 'syncer'), { code: 'CONFIG_INVALID', problems: [/^REDIS_URL or S3_BUCKET is required: the syncer publishes/] });
});

t.test('dev keys bind loopback only: the default, and a rule', async (t) => {
  t.match(loadConfig({}, 'embedded'), { host: '127.0.0.1', internalHost: '127.0.0.1' });
  t.match(loadConfig({ HOST: '::1' }, 'embedded'), { host: '::1', internalHost: '::1' });
  t.match(loadConfig({ HOST: 'localhost', INTERNAL_HOST: '127.0.0.2' }, 'embedded'), { host: 'localhost', internalHost: '127.0.0.2' });
  t.throws(() => loadConfig({ HOST: '0.0.0.0' }, 'embedded'), {
    code: 'CONFIG_INVALID',
    problems: ["HOST must be a loopback address while the dev keys are in use (API_KEYS unset), got '0.0.0.0': set API_KEYS to serve other machines"],
  });
  t.throws(() => loadConfig({ INTERNAL_HOST: '10.0.0.5' }, 'embedded'), { code: 'CONFIG_INVALID', problems: [/^INTERNAL_HOST must be a loopback address/] });
  t.match(loadConfig({ HOST: '0.0.0.0', API_KEYS: 'admin:my-own-secret-key', BEACON_KEYS }, 'embedded'), { devKeys: false, host: '0.0.0.0' }, 'own keys may serve anywhere');
});

t.test('embedded mode refuses production stores as a config problem', async (t) => {
  t.throws(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', API_KEYS: 'game:long-enough-key' }, 'embedded'), {
    code: 'CONFIG_INVALID',
    problems: [/^REDIS_URL and S3_BUCKET are for the standalone engine and syncer/],
  });
});

t.test('durability and group commit: safe defaults, validated, warned about where they do nothing', async (t) => {
  const prod = { REDIS_URL: 'redis://127.0.0.1:6379', API_KEYS: 'game:long-enough-key', BEACON_KEYS, PUBLIC_BASE_URL: 'https://ads.example' };
  const c = loadConfig(prod, 'engine');
  t.same(c.durability, { mode: 'aof', replicas: 1, waitMs: 1000 }, 'aof by default: no write acknowledged that a restart would lose');
  t.same(c.writeBatch, { maxEvents: 512, maxBytes: 1 << 20, windowMs: 0 });
  t.same(loadConfig({ ...prod, EVENT_LOG_DURABILITY: 'Replicas', EVENT_LOG_REPLICAS: '2', EVENT_LOG_WAIT_MS: '50' }, 'engine').durability, { mode: 'replicas', replicas: 2, waitMs: 50 });
  t.throws(() => loadConfig({ ...prod, EVENT_LOG_DURABILITY: 'fsync', WRITE_BATCH_MAX_EVENTS: '0', WRITE_BATCH_WINDOW_MS: '-1' }, 'engine'), {
    code: 'CONFIG_INVALID',
    problems: [
      "EVENT_LOG_DURABILITY must be one of aof, replicas, memory, got 'fsync'",
      "WRITE_BATCH_MAX_EVENTS must be an integer 1..65536, got '0'",
      "WRITE_BATCH_WINDOW_MS must be an integer 0..1000, got '-1'",
    ],
  });
  t.same(loadConfig({ ...prod, EVENT_LOG_REPLICAS: '2' }, 'engine').warnings, ['EVENT_LOG_REPLICAS has no effect unless EVENT_LOG_DURABILITY=replicas']);
  t.same(loadConfig({ EVENT_LOG_DURABILITY: 'memory' }, 'embedded').warnings, ['EVENT_LOG_DURABILITY has no effect without REDIS_URL (the file event log fsyncs every batch)']);
});

t.test('beacon keys: required by a standalone engine, checked, never echoed; a dev key only in embedded mode on loopback', async (t) => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379', API_KEYS: 'game:long-enough-key' };
  t.throws(() => loadConfig(base, 'engine'), { code: 'CONFIG_INVALID', problems: [/^BEACON_KEYS is required: /] });
  t.same(loadConfig(base, 'syncer').beaconKeys, [], 'the syncer signs nothing');
  let err: ConfigError | null = null;
  try {
    loadConfig({ ...base, BEACON_KEYS: `${BEACON_KEYS},too-short-secret` }, 'engine');
  } catch (e) {
    err = e as ConfigError;
  }
  t.same(err?.problems, ['BEACON_KEYS entry 2 is 16 bytes: each key must be at least 32 bytes of secret (e.g. openssl rand -base64 32)']);
  t.notMatch(err?.message ?? '', /too-short-secret/, 'the key itself is never in the message');
  const c = loadConfig({ ...base, BEACON_KEYS: ` ${BEACON_KEYS} , ${'k'.repeat(40)} `, PUBLIC_BASE_URL: 'https://ads.example/' }, 'engine');
  t.equal(c.beaconKeys.length, 2);
  t.equal(Buffer.from(c.beaconKeys[0]!).toString(), BEACON_KEYS, 'the first signs');
  t.equal(c.publicBaseUrl, 'https://ads.example', 'trailing slash dropped');
  t.equal(c.beaconTtlSec, 86_400, 'tokens last 24 h by default');
  t.match(loadConfig({ ...base, BEACON_KEYS }, 'engine').warnings, [/^PUBLIC_BASE_URL is unset/]);
  t.throws(() => loadConfig({ ...base, BEACON_KEYS, PUBLIC_BASE_URL: 'ftp://x' }, 'engine'), { code: 'CONFIG_INVALID', problems: [/^PUBLIC_BASE_URL must be a http:\/\/ or https:\/\/ URL/] });
  t.match(loadConfig({}, 'embedded'), { devBeaconKey: true });
  t.throws(() => loadConfig({ HOST: '0.0.0.0', API_KEYS: 'admin:my-own-secret-key' }, 'embedded'), { code: 'CONFIG_INVALID',
    problems: ["HOST must be a loopback address while the dev beacon key is in use (BEACON_KEYS unset), got '0.0.0.0': set BEACON_KEYS to serve other machines"],
  });
});

t.test('CORS_ORIGINS: off by default; exact origins, lower-cased; every bad entry named', async (t) => {
  const base = { API_KEYS: 'game:long-enough-key', BEACON_KEYS };
  t.same(loadConfig(base, 'engine').corsOrigins, [], 'unset: CORS off');
  t.same(loadConfig({ ...base, CORS_ORIGINS: '  ' }, 'engine').corsOrigins, [], 'blank: CORS off');
  const c = loadConfig({ ...base, CORS_ORIGINS: 'https://Play.Example.com, http://127.0.0.1:5173,https://play.example.com,capacitor://localhost,http://[::1]:8081' }, 'engine');
  t.same(c.corsOrigins, ['https://play.example.com', 'http://127.0.0.1:5173', 'capacitor://localhost', 'http://[::1]:8081'], 'lower-cased, once each');
  t.same(loadConfig({ ...base, CORS_ORIGINS: '*' }, 'engine').corsOrigins, ['*']);
  t.same(loadConfig({ CORS_ORIGINS: 'http://localhost:3000' }, 'embedded').corsOrigins, ['http://localhost:3000'], 'embedded mode too');

  const problems = (value: string): readonly string[] => {
    try {
      loadConfig({ ...base, CORS_ORIGINS: value }, 'engine');
    } catch (e) {
      return (e as ConfigError).problems;
    }
    return [];
  };
  const shape = 'must be an origin, scheme://host[:port] with no path or trailing slash (e.g. https://play.example.com)';
  t.same(problems('https://play.example.com/'), [`CORS_ORIGINS entry 'https://play.example.com/' ${shape}, in 'https://play.example.com/'`], 'a trailing slash');
  t.same(problems('https://a.example,https://b.example/game,play.example.com'), [
    `CORS_ORIGINS entry 'https://b.example/game' ${shape}, in 'https://a.example,https://b.example/game,play.example.com'`,
    `CORS_ORIGINS entry 'play.example.com' ${shape}, in 'https://a.example,https://b.example/game,play.example.com'`,
  ], 'a path, no scheme: each entry its own line');
  for (const bad of ['https://a.example,', 'https://user@a.example', 'https://a.example?x=1', 'https://a.example:0', 'https://a.example:', 'https://*.example.com', 'null', 'https://a_b.example']) {
    t.match(problems(bad), [/^CORS_ORIGINS entry '.*' must be an origin/], `${bad} is refused`);
  }
  t.same(problems('https://a.example:443'), ["CORS_ORIGINS entry 'https://a.example:443' names its scheme's default port, which browsers leave out of Origin: write 'https://a.example'"]);
  t.same(problems('http://a.example:80'), ["CORS_ORIGINS entry 'http://a.example:80' names its scheme's default port, which browsers leave out of Origin: write 'http://a.example'"]);
  t.same(problems('http://a.example:70000'), ["CORS_ORIGINS entry 'http://a.example:70000' has a port over 65535"]);
  t.same(problems('*,https://a.example'), ["CORS_ORIGINS must be '*' alone (every origin) or a list of origins, got '*,https://a.example'"]);
});
