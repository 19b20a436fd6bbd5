// The campaign model through the HTTP API (README "Campaigns"): tiers and house ads, a flight that
// starts and ends mid-hour and hours in a time zone across a daylight-saving change (the engine
// moving to its next plans as the manual clock moves), platform and key-value targeting, count for
// several ads at once, explain for admins, and every bad parameter a 400 in the one error shape.
// The index's own walks against an oracle are in test/unit/engine/indexes/campaigns.test.ts.

import t from 'tap';
import { ManualClock } from '../../core/runtime/clock.js';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

t.test('tiers, house ads, a mid-hour flight and a zone across both daylight-saving changes, as the clock moves', async (t) => {
  // 2026-03-29: Europe/Paris goes from UTC+1 to UTC+2 at 01:00 UTC.
  const clock = new ManualClock(Date.UTC(2026, 2, 28, 12));
  const eng = await startTestEngine(t, {
    clock,
    ads: [
      row('flight', 'fr', 'fra', 0, 0, { priority: 5, starts_at: '2026-03-28T12:30:00Z', ends_at: '2026-03-28T13:45:30.500+01:00' }),
      row('paris-morning', 'fr', 'fra', 8, 10, { priority: 1, timezone: 'Europe/Paris' }),
      row('house', 'fr', 'fra', 0, 0, { house: true }),
    ],
  });
  const http = httpClient(t);
  const at = async (iso: string) => {
    clock.set(Date.parse(iso));
    await eng.engine.planned();
    const r = await http.get(`${eng.url}/ad_request?country=fr&lang=fra`, { 'x-api-key': GAME_KEY });
    return r.status === 200 ? (r.body as { id: string }).id : r.status;
  };
  t.equal(await at('2026-03-28T12:29:59.999Z'), 'house', 'nothing paid on the air: the house ad, not a 404');
  t.equal(await at('2026-03-28T12:30:00.000Z'), 'flight', 'the flight from its first millisecond');
  t.equal(await at('2026-03-28T12:45:30.499Z'), 'flight', 'its last millisecond (13:45:30.499 in +01:00)');
  t.equal(await at('2026-03-28T12:45:30.500Z'), 'house', 'ended');
  // The window is 08:00 to 10:00 in Paris: 07:00 to 09:00 UTC in winter, 06:00 to 08:00 in summer.
  t.equal(await at('2026-03-28T06:59:59.999Z'), 'house', '07:59:59 in Paris (winter time); the clock went back: plans follow');
  t.equal(await at('2026-03-28T07:00:00.000Z'), 'paris-morning', '08:00 Paris winter time = 07:00 UTC');
  t.equal(await at('2026-03-29T05:59:59.999Z'), 'house', 'after the change: 07:59:59 Paris summer time');
  t.equal(await at('2026-03-29T06:00:00.000Z'), 'paris-morning', '08:00 Paris summer time = 06:00 UTC');
  t.equal(await at('2026-03-29T08:00:00.000Z'), 'house', '10:00 Paris: the window is over');
  // And back on 2026-10-25 at 01:00 UTC (UTC+2 to UTC+1).
  t.equal(await at('2026-10-24T06:00:00.000Z'), 'paris-morning', 'the day before: 08:00 Paris summer time = 06:00 UTC');
  t.equal(await at('2026-10-25T06:30:00.000Z'), 'house', 'after the change: 07:30 Paris winter time');
  t.equal(await at('2026-10-25T07:00:00.000Z'), 'paris-morning', '08:00 Paris winter time = 07:00 UTC');
  const none = await http.get(`${eng.url}/ad_request?country=de&lang=deu`, { 'x-api-key': GAME_KEY });
  t.same([none.status, none.body], [404, { error: 'no_ad', message: 'no eligible ad for this country, language and hour' }], 'a market with neither: 404 as before');
});

t.test('platform and kv.<key> choose among targeted ads; count gives distinct ads; explain says why', async (t) => {
  const eng = await startTestEngine(t, {
    ads: [
      row('ios', 'us', 'eng', 0, 0, { platforms: ['ios'], priority: 2 }),
      row('level-3', 'us', 'eng', 0, 0, { kv: { level: ['3'] }, priority: 2 }),
      row('any-1', 'us', 'eng'),
      row('any-2', 'us', 'eng'),
      row('any-3', 'us', 'eng'),
      row('late', 'us', 'eng', 0, 0, { starts_at: '2099-01-01T00:00:00Z' }),
    ],
  });
  const http = httpClient(t);
  const get = (q: string, key = GAME_KEY) => http.get(`${eng.url}/ad_request?country=us&lang=eng&${q}`, { 'x-api-key': key });
  const id = async (q: string) => ((await get(q)).body as { id: string }).id;
  t.equal(await id('platform=ios'), 'ios');
  t.equal(await id('platform=android&kv.level=3'), 'level-3');
  t.match(await id('platform=android&kv.level=2'), /^any-/, 'no match: the next tier');
  t.match(await id('kv.mode=easy'), /^any-/, 'a key no row names is ignored');

  const three = await get('count=3&platform=web');
  t.equal(three.status, 200);
  const ids = (three.body as { id: string }[]).map((a) => a.id);
  t.equal(ids.length, 3);
  t.equal(new Set(ids).size, 3, 'three distinct ads');
  t.ok(ids.every((i) => i.startsWith('any-')));
  const five = ((await get('count=5&platform=ios')).body as { id: string }[]).map((a) => a.id);
  t.equal(five[0], 'ios', 'the best tier first');
  t.same([...five].sort(), ['any-1', 'any-2', 'any-3', 'ios'], 'then the next tier; count is a maximum: four eligible, four answered');
  t.ok(Array.isArray((await get('count=1')).body), 'count asks for an array, even of one');
  const miss = await http.get(`${eng.url}/ad_request?country=zz&lang=zzz&count=2`, { 'x-api-key': GAME_KEY });
  t.equal(miss.status, 404);

  const explained = await get('explain=true&platform=ios&kv.level=1', ADMIN_KEY);
  t.equal(explained.status, 200);
  const body = explained.body as { candidates: { id: string; eligible: boolean; in_winning_tier: boolean; reasons: string[] }[]; platform: string; kv: unknown };
  t.match(body, { platform: 'ios', kv: { level: '1' } });
  const why = Object.fromEntries(body.candidates.map((c) => [c.id, c.reasons]));
  t.same(why, { ios: [], 'level-3': ['kv'], 'any-1': ['outranked'], 'any-2': ['outranked'], 'any-3': ['outranked'], late: ['flight_not_started'] });
  t.same(body.candidates.filter((c) => c.in_winning_tier).map((c) => c.id), ['ios']);
  t.equal(await id('platform=ios'), 'ios', 'explaining picked nothing: the rotation is where it was');
  t.equal((await get('explain=true')).status, 403, 'explain needs an admin key');
});

t.test('bad campaign parameters: a 400 in the one error shape, naming the parameter', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const cases: [string, string][] = [
    ['platform=amiga', 'platform must be one of ios, android, windows, macos, linux, switch, playstation, xbox, web'],
    ['platform=IOS', 'platform must be one of ios, android, windows, macos, linux, switch, playstation, xbox, web'],
    ['kv.Level=1', 'kv.<key>: the key must be 1 to 32 lower-case letters, digits or _'],
    ['kv.=1', 'kv.<key>: the key must be 1 to 32 lower-case letters, digits or _'],
    ['kv.level=1&kv.level=2', 'each kv.<key> is given more than once'],
    ['kv.level=', 'each kv.<key> is empty'],
    [`kv.level=${'x'.repeat(65)}`, 'each kv.<key> is too long'],
    [Array.from({ length: 17 }, (_, i) => `kv.k${i}=v`).join('&'), 'at most 16 kv.<key> parameters'],
    ['count=0', 'count must be an integer from 1 to 5'],
    ['count=6', 'count must be an integer from 1 to 5'],
    ['count=two', 'count must be an integer from 1 to 5'],
    ['count=1&count=2', 'count is given more than once'],
  ];
  for (const [q, message] of cases) {
    const r = await http.get(`${eng.url}/ad_request?country=us&lang=eng&${q}`, { 'x-api-key': GAME_KEY });
    t.same([r.status, r.body], [400, { error: 'bad_param', message }], q);
  }
  const r = await http.get(`${eng.url}/ad_request?country=us&lang=eng&explain=yes`, { 'x-api-key': ADMIN_KEY });
  t.same([r.status, r.body], [400, { error: 'bad_param', message: 'explain must be true or false' }]);
});
