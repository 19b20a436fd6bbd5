// Beacons and reports through a real engine and its file log, with the embedded counter: a signed
// tracking URL answers 204 (a GIF to an image request) and counts once however often it is fired;
// forged, cut, expired and random tokens answer 4xx by reason and never count; GET /reports/ads
// shows the counts per ad and hour, in JSON and CSV, to the admin scope only.

import t from 'tap';
import { BeaconSigner } from '../../core/domain/beacons/token.js';
import { beaconKinds } from '../../core/domain/beacons/kinds.js';
import { countryCode, langCode } from '../../engine/decision/market.js';
import { eventually } from '../helpers/eventually.js';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { reportAroundNow } from '../helpers/reports.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { TEST_BEACON_KEY } from '../helpers/spawn.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';

const K = Object.fromEntries(beaconKinds.map((k, i) => [k, i])) as Record<(typeof beaconKinds)[number], number>;

t.test('beacons count once; bad tokens answer 4xx by reason and count nothing; reports in JSON and CSV', async (t) => {
  const te = await startTestEngine(t, { ads: [row('ad-1', 'us', 'eng')] });
  await startVoteProcessor(t, te.events);
  const http = httpClient(t);
  const signer = new BeaconSigner([Buffer.from(TEST_BEACON_KEY)], 3600);
  const url = (token: string) => `${te.url}/beacon/${token}`;
  const report = (query = '') => reportAroundNow(http, te.url, query);

  // Three ads served, two in JSON and one in VAST: three decisions in the report.
  for (const format of ['json', 'json', 'vast']) {
    t.equal((await http.get(`${te.url}/ad_request?country=us&lang=eng&format=${format}`, { 'x-api-key': GAME_KEY })).status, 200, `an ad in ${format}`);
  }

  // Three decisions signed here: A complete with a click, B fired twice over, C a click with no impression.
  const decisions: string[][] = [];
  for (let d = 0; d < 3; d++) {
    signer.sign('ad-1', countryCode('us'), langCode('eng'), Date.now());
    decisions.push([...signer.tokens]);
  }
  const [a, b, c] = decisions as [string[], string[], string[]];
  const fired = [
    ...['impression', 'start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete', 'click'].map((k) => a[K[k as keyof typeof K]]!),
    b[K.impression]!,
    b[K.impression]!,
    b[K.start]!,
    c[K.click]!,
  ];
  for (const token of fired) {
    const r = await http.get(url(token));
    t.equal(r.status, 204, 'a valid beacon: 204');
    t.equal(r.headers['cache-control'], 'no-store');
  }
  const pixel = await http.get(url(b[K.start]!), { accept: 'image/avif,image/webp,image/*,*/*;q=0.8' });
  t.equal(pixel.status, 200, 'an image request gets the pixel');
  t.equal(pixel.headers['content-type'], 'image/gif');
  t.equal(Buffer.from(pixel.text, 'latin1').subarray(0, 6).toString(), 'GIF89a');
  const err = await http.send('POST', `${url(b[K.error]!)}?code=405`);
  t.equal(err.status, 204, 'POST too (navigator.sendBeacon), with a VAST error code');

  const body = await eventually(
    async () => (await report()).body as { rows: Record<string, unknown>[]; totals: Record<string, number> },
    (r) => r.totals.decisions === 3 && r.totals.impressions === 2 && r.totals.errors === 1 && r.totals.clicks_without_impression === 1,
    10_000,
    'the beacons counted and folded',
  );
  t.equal(body.rows.length, 1, 'one ad, one hour');
  t.match(body.rows[0], {
    ad_id: 'ad-1',
    country: 'us',
    lang: 'eng',
    decisions: 3,
    impressions: 2,
    starts: 2,
    first_quartiles: 1,
    midpoints: 1,
    third_quartiles: 1,
    completes: 1,
    clicks: 1,
    errors: 1,
    clicks_without_impression: 1,
    completes_without_start: 0,
    click_through_rate: 0.5,
    completion_rate: 0.5,
  });
  t.match(body.rows[0]!.hour, /^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);

  // Bad tokens: 4xx by reason, never counted.
  const [claim, tail] = a[K.impression]!.split('.') as [string, string];
  const forged = `${claim}.${K.click}${tail.slice(1)}`;
  t.match(await http.get(url(forged)), { status: 403, body: { error: 'beacon_forged' } }, 'an impression tag does not make a click');
  t.match(await http.get(url(a[K.impression]!.slice(0, -3))), { status: 400, body: { error: 'bad_beacon' } }, 'cut short');
  t.match(await http.get(url('%ff%fe')), { status: 400, body: { error: 'bad_beacon' } });
  t.match(await http.get(url('x'.repeat(5000))), { status: 400, body: { error: 'bad_beacon' } });
  const old = new BeaconSigner([Buffer.from(TEST_BEACON_KEY)], 60);
  old.sign('ad-1', countryCode('us'), langCode('eng'), Date.now() - 120_000);
  t.match(await http.get(url(old.tokens[K.impression]!)), { status: 410, body: { error: 'beacon_expired' } }, 'expired');
  const alien = new BeaconSigner([Buffer.from('another-ad-server-key-0123456789abcdef')], 3600);
  alien.sign('ad-1', countryCode('us'), langCode('eng'), Date.now());
  t.match(await http.get(url(alien.tokens[K.impression]!)), { status: 403, body: { error: 'beacon_forged' } }, 'another key');

  // 10,000 random tokens: all 4xx, none counted.
  const statuses = new Map<number, number>();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
  for (let i = 0; i < 10_000; i++) {
    let s = '';
    const length = 1 + Math.floor(Math.random() * 120);
    for (let j = 0; j < length; j++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
    // Some shaped like a real token: the claim of a real one with a random tag.
    const token = i % 2 === 0 ? s : `${claim}.${i % 8}${s.padEnd(11, 'A').slice(0, 11)}`;
    const r = await http.get(url(token));
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  t.ok([...statuses.keys()].every((s) => s >= 400 && s < 500), `every random token 4xx: ${JSON.stringify([...statuses])}`);
  const metrics = (await http.get(`${te.internalUrl}/metrics`)).text;
  t.match(metrics, /engine_beacons_rejected_total\{reason="bad_signature"\} [1-9]/);
  t.match(metrics, /engine_beacons_rejected_total\{reason="malformed"\} [1-9]/);
  t.match(metrics, /engine_beacons_rejected_total\{reason="expired"\} 1\n/);
  t.match(metrics, /engine_beacons_accepted_total\{kind="impression"\} 2\n/, "A's and B's: each decision and kind once per server");
  t.match(metrics, /engine_beacons_repeated_total\{kind="impression"\} 1\n/, "B's again");
  const after = (await report()).body as { totals: Record<string, number> };
  t.same(after.totals, body.totals, 'no count moved');

  // CSV, filters, scope and bad parameters.
  const csv = await report('&format=csv&ad_id=ad-1&country=US&lang=eng');
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  const lines = csv.text.trimEnd().split('\r\n');
  t.equal(lines[0], 'hour,ad_id,country,lang,decisions,impressions,starts,first_quartiles,midpoints,third_quartiles,completes,clicks,errors,clicks_without_impression,completes_without_start,click_through_rate,completion_rate');
  t.match(lines[1], /^\d{4}-[^,]+,"ad-1",us,eng,3,2,2,1,1,1,1,1,1,1,0,0\.5,0\.5$/);
  t.equal(((await report('&ad_id=other')).body as { rows: unknown[] }).rows.length, 0, 'filtered out');
  t.equal((await http.get(`${te.url}/reports/ads?from=2026-01-01&to=2026-01-02`, { 'x-api-key': GAME_KEY })).status, 403, 'admin scope only');
  t.match(await http.get(`${te.url}/reports/ads?to=2026-01-02`, { 'x-api-key': ADMIN_KEY }), { status: 400, body: { error: 'bad_param', message: /^from is missing/ } });
  t.match(await http.get(`${te.url}/reports/ads?from=yesterday&to=2026-01-02`, { 'x-api-key': ADMIN_KEY }), { status: 400, body: { message: /^from must be an ISO 8601/ } });
  t.match(await http.get(`${te.url}/reports/ads?from=2026-01-02&to=2026-01-01`, { 'x-api-key': ADMIN_KEY }), { status: 400, body: { message: 'to must be later than from' } });
  t.match(await http.get(`${te.url}/reports/ads?from=2026-01-01&to=2026-01-02&format=xml`, { 'x-api-key': ADMIN_KEY }), { status: 400, body: { message: 'format must be json or csv' } });
  t.match(await http.get(`${te.url}/reports/ads?from=2026-01-01&to=2026-01-02&country=usa`, { 'x-api-key': ADMIN_KEY }), { status: 400 });
});
