// /metrics on the internal port: every series an operator relies on exists from the start (at zero),
// request counters and latency count what was answered, and the public port does not serve it.

import t from 'tap';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

t.test('metrics on the internal port only, with closed label sets', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng'), row('b', 'fr', 'fra')] });
  const http = httpClient(t);
  for (let i = 0; i < 3; i++) await http.get(`${eng.url}/ad_request?country=us&lang=eng&api_key=${GAME_KEY}`);
  await http.get(`${eng.url}/ad_request?country=us&api_key=${GAME_KEY}`);
  await http.get(`${eng.url}/ad_request?country=us&lang=eng`);
  await http.get(`${eng.url}/ad_request?country=de&lang=deu&api_key=${GAME_KEY}`);
  await http.get(`${eng.url}/metrics`);

  const r = await http.get(`${eng.internalUrl}/metrics`);
  t.equal(r.status, 200);
  t.match(r.headers['content-type'], /^text\/plain/);
  const text = r.text;
  const expectLines = [
    'engine_http_requests_total{route="ad_request",status="200"} 3',
    'engine_http_requests_total{route="ad_request",status="400"} 1',
    'engine_http_requests_total{route="ad_request",status="401"} 1',
    'engine_http_requests_total{route="ad_request",status="404"} 1',
    'engine_http_requests_total{route="ad_request",status="503"} 0',
    'engine_http_requests_total{route="unmatched",status="404"} 1',
    'engine_http_request_duration_seconds_count{route="ad_request",status="200"} 3',
    'engine_http_request_duration_seconds_bucket{route="ad_request",status="200",le="+Inf"} 3',
    'engine_ready 1',
    'engine_workers 1',
    'engine_index_ads 2',
    'engine_index_markets 2',
    'engine_index_swaps_total 1',
    `engine_index_info{version="${eng.engine.follower.version}"} 1`,
    'engine_snapshot_load_failures_total{reason="corrupt"} 0',
  ];
  for (const line of expectLines) t.ok(text.includes(`${line}\n`), line);
  t.match(text, /^engine_index_age_seconds \d+(\.\d+)?$/m);
  // The helper stamps snapshots in 2030 (versions must grow whatever the clock), so the age is negative here.
  t.match(text, /^engine_snapshot_age_seconds -?\d+(\.\d+)?(e[+-]?\d+)?$/m);
  t.match(text, /^engine_index_bytes [1-9]\d*$/m);
  t.match(text, /^process_cpu_seconds_total /m, 'process metrics');
  // Nothing client-supplied becomes a label value.
  t.notMatch(text, /="(us|eng|fr|fra|de|deu)"/);
  t.notMatch(text, GAME_KEY);
});
