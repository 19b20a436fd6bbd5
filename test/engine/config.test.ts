// Configuration: defaults for embedded mode, production needs keys, every bad variable reported at
// once with its name and value, and the result frozen.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../engine/core/config.js';
import { ConfigError } from '../../engine/core/errors.js';

t.test('defaults: embedded mode, dev keys, the bundled sample feed', async (t) => {
  const c = loadConfig({});
  t.match(c, { mode: 'embedded', devKeys: true, port: 8080, internalPort: 9464, host: '0.0.0.0', syncSchedule: '*/1 * * * *', logLevel: 'info', redisUrl: null, s3: null });
  t.same(c.apiKeys.map((k) => k.scope), ['admin', 'game']);
  t.ok(existsSync(fileURLToPath(c.feedUrl)), 'sample feed file exists');
  t.ok(Object.isFrozen(c));
  t.ok(c.engineWorkers >= 1);
});

t.test('production mode when REDIS_URL or S3_BUCKET is set; it needs API_KEYS', async (t) => {
  t.throws(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }), { code: 'CONFIG_INVALID', message: /API_KEYS is required outside embedded mode/ });
  const c = loadConfig({ S3_BUCKET: 'snaps', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true', API_KEYS: 'game:long-enough-key' });
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
      REDIS_URL: 'http://not-redis',
    });
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
  const c = loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_REGION: 'eu-west-1' });
  t.same(c.warnings, ['S3_ENDPOINT has no effect without S3_BUCKET', 'S3_REGION has no effect without S3_BUCKET']);
});
