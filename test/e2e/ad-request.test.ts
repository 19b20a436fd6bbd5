import t from 'tap';
import { ManualClock } from '../../core/runtime/clock.js';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const at = (hour: number, minute = 0, second = 0) => Date.UTC(2031, 4, 6, hour, minute, second);

t.test('GET /ad_request', async (t) => {
  const clock = new ManualClock(at(10));
  const eng = await startTestEngine(t, {
    clock,
    ads: [row('a1', 'US', 'ENG'), row('a2', 'us', 'eng', 9, 11), row('fr1', 'fr', 'fra', 20, 22)],
  });
  const http = httpClient(t);
  const ad = (q: string, headers: Record<string, string> = { 'x-api-key': GAME_KEY }) => http.get(`${eng.url}/ad_request?${q}`, headers);

  t.test('answers 200 with id and video_url, rotating over the live ads', async (t) => {
    const first = await ad('country=us&lang=eng');
    t.equal(first.status, 200);
    t.equal(first.headers['content-type'], 'application/json');
    t.same(first.body, { id: 'a1', video_url: 'https://cdn.test/a1.mp4' });
    const second = await ad('country=us&lang=eng');
    t.same(second.body, { id: 'a2', video_url: 'https://cdn.test/a2.mp4' });
    t.same((await ad('country=us&lang=eng')).body, first.body);
  });

  t.test('is case-insensitive in country and lang', async (t) => {
    const r = await ad('country=Us&lang=eNG');
    t.equal(r.status, 200);
    t.match(r.body, { id: /^a[12]$/ });
  });

  t.test('404 no_ad for a well-formed market with nothing live', async (t) => {
    for (const q of ['country=fr&lang=fra', 'country=zz&lang=zzz']) {
      const r = await ad(q);
      t.equal(r.status, 404);
      t.same(r.body, { error: 'no_ad', message: 'no eligible ad for this country, language and hour' });
    }
  });

  t.test('400 naming the parameter', async (t) => {
    const cases: [string, string][] = [
      ['lang=eng', 'country is missing'],
      ['country=us', 'lang is missing'],
      ['country=&lang=eng', 'country is empty'],
      ['country=us&country=us&lang=eng', 'country is given more than once'],
      ['country=usa&lang=eng', 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"'],
      ['country=u1&lang=eng', 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"'],
      ['country=us&lang=en', 'lang must be a 3-letter ISO 639-2 code, e.g. "eng"'],
      ['country=%zz&lang=eng', 'country is badly percent-encoded'],
      ['country=%C3%A9s&lang=eng', 'country must be printable ASCII'],
    ];
    for (const [q, message] of cases) {
      const r = await ad(q);
      t.equal(r.status, 400, q);
      t.same(r.body, { error: 'bad_param', message }, q);
    }
  });

  t.test('keys: query, x-api-key and Bearer; 401 without, 401 wrong, admin may too', async (t) => {
    t.equal((await ad(`country=us&lang=eng&api_key=${GAME_KEY}`, {})).status, 200);
    t.equal((await ad('country=us&lang=eng', { authorization: `Bearer ${GAME_KEY}` })).status, 200);
    t.equal((await ad('country=us&lang=eng', { 'x-api-key': ADMIN_KEY })).status, 200);
    const none = await ad('country=us&lang=eng', {});
    t.equal(none.status, 401);
    t.same(none.body, { error: 'unauthorized', message: 'missing or unknown API key' });
    t.equal((await ad('country=us&lang=eng', { 'x-api-key': 'not-a-key-at-all' })).status, 401);
    t.equal((await ad('country=us&lang=eng', { authorization: 'Basic abc' })).status, 401);
  });

  t.test('follows the clock: fr/fra live 20:00–21:59:59 only', async (t) => {
    clock.set(at(19, 59, 59));
    t.equal((await ad('country=fr&lang=fra')).status, 404);
    clock.set(at(20));
    t.same((await ad('country=fr&lang=fra')).body, { id: 'fr1', video_url: 'https://cdn.test/fr1.mp4' });
    clock.set(at(21, 59, 59));
    t.equal((await ad('country=fr&lang=fra')).status, 200);
    clock.set(at(22));
    t.equal((await ad('country=fr&lang=fra')).status, 404);
  });

  t.test('player_id: never the same ad twice in a row while another is live', async (t) => {
    clock.set(at(10));
    let last = '';
    for (let i = 0; i < 20; i++) {
      // Another player's requests in between move the shared rotation.
      if (i % 3 === 0) await ad('country=us&lang=eng&player_id=someone-else');
      const r = await ad('country=us&lang=eng&player_id=p-42');
      const id = (r.body as { id: string }).id;
      t.not(id, last, `request ${i}`);
      last = id;
    }
    clock.set(at(12)); // only a1 is live: the same ad is better than none
    t.same((await ad('country=us&lang=eng&player_id=p-42')).body, { id: 'a1', video_url: 'https://cdn.test/a1.mp4' });
    t.same((await ad('country=us&lang=eng&player_id=p-42')).body, { id: 'a1', video_url: 'https://cdn.test/a1.mp4' });
  });

  t.test('404 for unknown routes, 405 with Allow for other methods', async (t) => {
    const nf = await http.get(`${eng.url}/nope`, {});
    t.equal(nf.status, 404);
    t.same(nf.body, { error: 'not_found', message: 'no such route' });
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await http.send(method, `${eng.url}/ad_request?country=us&lang=eng`, undefined, { 'x-api-key': GAME_KEY });
      t.equal(r.status, 405, method);
      t.equal(r.headers.allow, 'GET');
      t.same(r.body, { error: 'method_not_allowed', message: 'method not allowed on this route' });
    }
  });
});

t.test('503 not_ready until an index is loaded; /readyz follows', async (t) => {
  const eng = await startTestEngine(t);
  const http = httpClient(t);
  const r = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY });
  t.equal(r.status, 503);
  t.equal(r.headers['retry-after'], '1');
  t.same(r.body, { error: 'not_ready', message: 'no index loaded yet; retry shortly' });
  t.equal((await http.get(`${eng.internalUrl}/readyz`)).status, 503);
  t.equal((await http.get(`${eng.internalUrl}/healthz`)).status, 200);

  const version = await eng.publish([row('x', 'us', 'eng')]);
  t.equal((await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY })).status, 200);
  const ready = await http.get(`${eng.internalUrl}/readyz`);
  t.equal(ready.status, 200);
  t.same(ready.body, { status: 'ready', version, workers: 1 });
});
