// Rate limits over HTTP: the burst, the 429 with Retry-After in the one error shape, one bucket per
// key across routes, counted in /metrics. Also: keys never reach the logs, even sent in the query
// string. The bucket arithmetic: test/unit/engine/http/rate-limit.test.ts.

import t from 'tap';
import { row } from '../helpers/feed-rows.js';
import { httpClient } from '../helpers/http.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

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
