// Per-key token buckets: the arithmetic on a fake clock, then over HTTP — the burst, the 429 with
// Retry-After in the one error shape, keys limited separately, and the defaults per mode. Also: keys
// never reach the logs, even sent in the query string.

import t from 'tap';
import { loadConfig } from '../../engine/core/config.js';
import { RateLimiter } from '../../engine/http/rate-limit.js';
import { httpClient } from '../helpers/http.js';
import { ADMIN_KEY, GAME_KEY, row, startTestEngine } from '../helpers/test-engine.js';

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
  const prod = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', API_KEYS: 'game:long-enough-key' }, 'engine');
  t.match(prod, { rateLimitPerSecond: 1000, rateLimitBurst: 1000 });
  t.throws(() => loadConfig({ RATE_LIMIT_PER_SECOND: 'lots' }, 'embedded'), { code: 'CONFIG_INVALID', message: /RATE_LIMIT_PER_SECOND must be an integer/ });
});

t.test('over HTTP: 429 in the one error shape with Retry-After, per key, on every keyed route', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' } });
  const http = httpClient(t);
  const ad = (key: string) => http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': key });
  t.same(await Promise.all([ad(GAME_KEY), ad(GAME_KEY), ad(GAME_KEY)]).then((rs) => rs.map((r) => r.status)), [200, 200, 200]);
  const limited = await ad(GAME_KEY);
  t.equal(limited.status, 429);
  t.equal(limited.headers['retry-after'], '1');
  t.same(limited.body, { error: 'rate_limited', message: 'this API key is over its request rate; retry after the Retry-After seconds' });
  t.equal((await ad(ADMIN_KEY)).status, 200, 'another key is not limited');
  t.equal((await http.get(`${eng.url}/blacklist/check?email=a@b.co&api_key=${GAME_KEY}`)).status, 429, 'one bucket per key across routes');
  t.equal((await http.send('POST', `${eng.url}/blacklist`, '{}', { 'content-type': 'application/json', 'x-api-key': GAME_KEY })).status, 429);
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /engine_http_requests_total\{route="ad_request",status="429"\} 1/);
});

t.test('keys never reach the logs, from the header or the query string, valid or not', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const secretish = 'not-a-configured-key-1234';
  await http.get(`${eng.url}/ad_request?country=us&lang=eng&api_key=${GAME_KEY}`);
  await http.get(`${eng.url}/ad_request?country=us&lang=eng&api_key=${secretish}`);
  await http.get(`${eng.url}/blacklist/check?email=a@b.co&api_key=${secretish}`);
  await http.send('POST', `${eng.url}/games`, '{"name":"x"}', { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` });
  const all = JSON.stringify(eng.logs);
  for (const key of [GAME_KEY, ADMIN_KEY, secretish]) t.notOk(all.includes(key), `${key} is not in any log line`);
});
