// A few hundred malformed /ad_request queries: every one gets a 400 in the one error shape (never a
// 500, never a dropped connection), and the server then still answers normally.

import t from 'tap';
import { httpClient } from '../helpers/http.js';
import { rawGet } from '../helpers/raw-http.js';
import { row } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const param = ['country', 'lang', 'player_id', 'api_key'];
const good: Record<string, string> = { country: 'us', lang: 'eng', player_id: 'p1', api_key: GAME_KEY };

/** Generates bad queries: each takes the good query and breaks one parameter in one way. */
function badQueries(): string[] {
  const breakers: ((name: string) => string)[] = [
    (n) => `${n}=`, // empty
    (n) => `${n}=${good[n]}&${n}=${good[n]}`, // repeated
    (n) => `${n}=${'x'.repeat(300)}`, // overlong value
    (n) => `${n}=%zz`, // bad escape
    (n) => `${n}=%`, // truncated escape
    (n) => `${n}=%C3`, // truncated UTF-8
    (n) => `${n}=%C3%A9`, // non-ASCII after decoding
    (n) => `${n}=%00`, // NUL
    (n) => `${n}=%0A`, // newline
    (n) => `${n}=%7F`, // DEL
    (n) => `${n}=a${'%20'.repeat(300)}b`, // too long even once decoded
  ];
  const out: string[] = [];
  for (const name of param) {
    for (const breaker of breakers) {
      out.push(param.map((p) => (p === name ? breaker(p) : `${p}=${good[p]}`)).join('&'));
    }
  }
  const missingOrMalformed = ['', 'lang=eng', 'country=us', 'country=u&lang=eng', 'country=us&lang=english', 'country=12&lang=eng',
    'country=us&lang=e1g', 'country=u%73&lang=en%67g', 'country=+us&lang=eng', 'country=us&lang=eng&country='];
  for (const q of missingOrMalformed) out.push(`${q}&api_key=${GAME_KEY}`);
  out.push(`country=us&lang=eng&api_key=${GAME_KEY}&pad=${'y'.repeat(10_000)}`); // 10 kB query
  return out;
}

t.test('hundreds of malformed queries → 400 in the one error shape, then business as usual', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a1', 'us', 'eng')] });
  const http = httpClient(t);
  const port = Number(new URL(eng.url).port);
  const queries = badQueries();
  let requests = 0;
  for (let round = 0; round < 6; round++) {
    for (const q of queries) {
      const r = await http.get(`${eng.url}/ad_request?${q}`);
      requests++;
      if (r.status !== 400 || !isErrorShape(r.body, 'bad_param')) t.fail(`expected 400 bad_param for ${q.slice(0, 120)}`, { got: r });
    }
  }
  // Bytes an HTTP client will not send: raw non-ASCII in the request line, and a 10 kB target.
  const rawTargets: Buffer[] = [
    Buffer.from('/ad_request?country=\xc3\xa9s&lang=eng', 'latin1'),
    Buffer.from('/ad_request?country=\xffs&lang=eng', 'latin1'),
    Buffer.from('/ad_request?country=us&lang=\xe6\x97\xa5\xe6\x9c\xac', 'latin1'),
    Buffer.from(`/ad_request?country=us&lang=eng&x=${'z'.repeat(10_000)}`),
  ];
  for (const target of rawTargets) {
    const r = await rawGet(port, target, { 'x-api-key': GAME_KEY });
    requests++;
    t.equal(r.status, 400, target.toString('latin1').slice(0, 60));
    t.ok(isErrorShape(JSON.parse(r.body), 'bad_param'));
  }
  t.ok(requests >= 300, `sent ${requests} malformed requests`);

  const ok = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY });
  t.equal(ok.status, 200);
  t.same(ok.body, { id: 'a1', video_url: 'https://cdn.test/a1.mp4' });
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, new RegExp(`engine_http_requests_total\\{route="ad_request",status="400"\\} ${requests}\\n`));
  t.match(metrics, /engine_http_requests_total\{route="ad_request",status="200"\} 1\n/);
});

function isErrorShape(body: unknown, code: string): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const keys = Object.keys(body).sort().join(',');
  const b = body as { error?: unknown; message?: unknown };
  return keys === 'error,message' && b.error === code && typeof b.message === 'string' && b.message.length > 0;
}
