// Per-key token buckets: the arithmetic on a fake clock, and the defaults per mode. Over HTTP (the
// 429, keys limited separately, keys never logged): test/e2e/rate-limit.test.ts.

import t from 'tap';
import { loadConfig } from '../../../../core/runtime/config.js';
import { RateLimiter } from '../../../../engine/http/rate-limit.js';

t.test('token bucket: burst, refill at the rate, Retry-After in whole seconds', async (t) => {
  const limiter = new RateLimiter(2, 3); // 2 per second, bursts of 3
  t.same([0, 0, 0].map((at) => limiter.take('k', at)), [0, 0, 0], 'the burst');
  t.equal(limiter.take('k', 0), 1, 'empty: wait (rounded up to) 1 s');
  t.equal(limiter.take('k', 499), 1, 'half a token is not a token');
  t.equal(limiter.take('k', 500), 0, 'one token after 0.5 s');
  t.equal(limiter.take('other', 500), 0, 'keys have their own buckets');
  t.equal(limiter.take('k', 10_000), 0);
  t.same([0, 0].map(() => limiter.take('k', 10_000)), [0, 0], 'refill caps at the burst');
  t.equal(limiter.take('k', 10_000), 1);
  const slow = new RateLimiter(0.1, 1); // one request per 10 s
  t.equal(slow.take('k', 0), 0);
  t.equal(slow.take('k', 0), 10, 'Retry-After says when a token will be there');
});

t.test('defaults: off in embedded mode, 1000/s per key in production', async (t) => {
  t.equal(loadConfig({}, 'embedded').rateLimitPerSecond, 0);
  const prod = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', API_KEYS: 'game:long-enough-key', BEACON_KEYS: 'k'.repeat(44) }, 'engine');
  t.match(prod, { rateLimitPerSecond: 1000, rateLimitBurst: 1000 });
  t.throws(() => loadConfig({ RATE_LIMIT_PER_SECOND: 'lots' }, 'embedded'), { code: 'CONFIG_INVALID', message: /RATE_LIMIT_PER_SECOND must be an integer/ });
});
