// GET /ad_request answering VAST 4.2, read the way players read it: every VAST answer these tests
// get is parsed by @dailymotion/vast-client (on @xmldom/xmldom's DOMParser, with any parse error or
// VAST-warning a failure) and validated by xmllint against test/fixtures/vast-4-inline.xsd (element
// order, required elements and attributes). Checked: what the player finds in it (ad, media file,
// duration, impression, tracking events, clicks, error URL), the same rotation as JSON, counted
// decisions, no fill as an empty VAST, the Accept rule, errors in the JSON shape, and feed values
// that are hostile to XML. Tracking URLs are checked for their shape and their token's claim, and
// one test plays an ad through with vast-client's VASTTracker, which fires them as a player does:
// each is counted once in GET /reports/ads, however often it is fired.

import { VASTClient, VASTParser, VASTTracker } from '@dailymotion/vast-client';
import { DOMParser, type Document } from '@xmldom/xmldom';
import t, { type Test } from 'tap';
import { BeaconVerifier, type BeaconClaim } from '../../core/domain/beacons/token.js';
import { beaconKinds } from '../../core/domain/beacons/kinds.js';
import { packagePath } from '../../core/runtime/package-root.js';
import { countryCode, langCode } from '../../engine/decision/market.js';
import { requireTool, run } from '../deploy/tools.js';
import { eventually } from '../helpers/eventually.js';
import { row, type FeedRow } from '../helpers/feed-rows.js';
import { httpClient, type Reply } from '../helpers/http.js';
import { TEST_BEACON_KEY } from '../helpers/spawn.js';
import { reportTotals } from '../helpers/reports.js';
import { GAME_KEY, startTestEngine, type TestEngine } from '../helpers/test-engine.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';

const xmllint = requireTool('xmllint', 'libxml2-utils');
const XSD = packagePath('test/fixtures/vast-4-inline.xsd');
const XML_TYPE = 'application/xml; charset=utf-8';
const NO_AD = '<?xml version="1.0" encoding="UTF-8"?><VAST version="4.2"/>';
const verifier = new BeaconVerifier([Buffer.from(TEST_BEACON_KEY)]);

/** xmllint's verdict on a document against the schema: status 0 when it validates. */
function validate(text: string): { ok: boolean; out: string } {
  const r = run(xmllint, ['--noout', '--schema', XSD, '-'], { input: text });
  return { ok: r.status === 0, out: r.stderr.trim() };
}

// biome-ignore lint/suspicious/noExplicitAny: vast-client's response is untyped (its .d.ts says any)
type VastResponse = any;

interface Vast {
  text: string;
  doc: Document;
  response: VastResponse;
}

/** Parses a VAST answer as a player would, and holds it to the schema. Fails the test on any complaint. */
async function readVast(t: Test, reply: Reply, what: string): Promise<Vast> {
  t.equal(reply.status, 200, `${what}: 200`);
  t.equal(reply.headers['content-type'], XML_TYPE, `${what}: XML`);
  const problems: string[] = [];
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') problems.push(`${level}: ${message}`);
    },
  }).parseFromString(reply.text, 'text/xml');
  t.same(problems, [], `${what}: well-formed XML`);
  const parser = new VASTParser();
  const warnings: unknown[] = [];
  parser.on('VAST-warning', (w: unknown) => warnings.push(w));
  const response: VastResponse = await parser.parseVAST(doc);
  t.same(warnings, [], `${what}: vast-client finds every required element and attribute`);
  const schema = validate(reply.text);
  t.ok(schema.ok, `${what}: valid against the VAST 4 InLine schema (${schema.out})`);
  return { text: reply.text, doc, response };
}

/** A tracking URL's token, checked to be ours: the beacon URL prefix, a valid signature, the kind asked. */
function claimOf(t: Test, eng: TestEngine, url: string, kind: (typeof beaconKinds)[number], nowMs = Date.now()): BeaconClaim {
  const prefix = `${eng.url}/beacon/`;
  t.ok(url.startsWith(prefix), `${kind}: ${url} is on ${prefix}`);
  const token = url.slice(prefix.length).replace(/\?code=\[ERRORCODE\]$/, '');
  t.match(token, /^[A-Za-z0-9_-]+\.\d[A-Za-z0-9_-]{11}$/, `${kind}: a token`);
  const claim = verifier.verify(token, nowMs);
  if (typeof claim === 'string') {
    t.fail(`${kind}: token refused (${claim})`);
    throw new Error(claim);
  }
  t.equal(beaconKinds[claim.kind], kind, `${kind}: the token is for ${kind}`);
  return claim;
}

const full: FeedRow = row('spring-1', 'us', 'eng', 0, 0, {
  duration: 15.5,
  mime: 'video/webm',
  width: 1920,
  height: 1080,
  bitrate: 4500,
  click_url: 'https://brand.test/spring?utm_source=arcade&utm_medium=video',
  title: 'Spring sale',
  video_url: 'https://cdn.test/spring-1.webm',
});

t.test('format=vast: one InLine ad a player reads whole', async (t) => {
  const eng = await startTestEngine(t, { ads: [full, row('plain-2', 'us', 'eng')] });
  const http = httpClient(t);
  const get = (q: string) => http.get(`${eng.url}/ad_request?${q}`, { 'x-api-key': GAME_KEY });

  const first = await readVast(t, await get('country=us&lang=eng&format=vast'), 'first');
  t.equal(first.response.ads.length, 1);
  const ad = first.response.ads[0];
  t.equal(first.response.version, '4.2');
  t.equal(ad.id, 'spring-1');
  t.match(ad.system, { value: 'arcade-edge', version: /^\d+\.\d+\.\d+/ });
  t.equal(ad.title, 'Spring sale');
  t.match(ad.adServingId, /^[A-Za-z0-9_-]{16}$/, 'AdServingId: the decision id');

  const impression = claimOf(t, eng, ad.impressionURLTemplates[0].url, 'impression');
  t.same(ad.impressionURLTemplates.map((i: { id: string }) => i.id), ['arcade-edge']);
  t.equal(impression.decisionId, ad.adServingId, 'the tokens carry the decision id AdServingId shows');
  t.equal(impression.adId, 'spring-1');
  t.equal(impression.country, countryCode('us'));
  t.equal(impression.lang, langCode('eng'));
  t.equal(ad.errorURLTemplates.length, 1);
  t.match(ad.errorURLTemplates[0], /\?code=\[ERRORCODE\]$/, 'the error URL takes the [ERRORCODE] macro');
  t.equal(claimOf(t, eng, ad.errorURLTemplates[0], 'error').decisionId, ad.adServingId);

  t.equal(ad.creatives.length, 1);
  const creative = ad.creatives[0];
  t.match(creative, { type: 'linear', id: 'spring-1', adId: 'spring-1', duration: 15.5 });
  t.same(creative.universalAdIds, [{ idRegistry: 'unknown', value: 'spring-1' }]);
  t.equal(creative.mediaFiles.length, 1);
  t.match(creative.mediaFiles[0], { fileURL: 'https://cdn.test/spring-1.webm', deliveryType: 'progressive', mimeType: 'video/webm', width: 1920, height: 1080, bitrate: 4500 });
  const events = ['start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete'] as const;
  t.same(Object.keys(creative.trackingEvents).sort(), [...events].sort(), 'the five progress events, no other');
  const tokens = new Set<string>();
  for (const e of events) {
    t.equal(creative.trackingEvents[e].length, 1, `${e}: one URL`);
    t.equal(claimOf(t, eng, creative.trackingEvents[e][0], e).decisionId, ad.adServingId);
    tokens.add(creative.trackingEvents[e][0]);
  }
  t.equal(tokens.size, 5, 'one token per event');
  t.same(creative.videoClickThroughURLTemplate, { id: 'arcade-edge', url: 'https://brand.test/spring?utm_source=arcade&utm_medium=video' });
  t.equal(creative.videoClickTrackingURLTemplates.length, 1);
  t.equal(claimOf(t, eng, creative.videoClickTrackingURLTemplates[0].url, 'click').decisionId, ad.adServingId);

  // The next ad gives no creative field: the defaults, its id as title, no click-through.
  const second = await readVast(t, await get('country=us&lang=eng&format=vast'), 'second');
  const plain = second.response.ads[0];
  t.equal(plain.id, 'plain-2');
  t.equal(plain.title, 'plain-2');
  t.not(plain.adServingId, ad.adServingId, 'each decision its own id');
  t.match(plain.creatives[0], { duration: 30, videoClickThroughURLTemplate: null });
  t.match(plain.creatives[0].mediaFiles[0], { fileURL: 'https://cdn.test/plain-2.mp4', mimeType: 'video/mp4', width: 1280, height: 720, bitrate: 0 });
  t.notMatch(second.text, /bitrate=/, 'no bitrate attribute when the feed gives none');
  t.notMatch(second.text, /<!\[CDATA\[/, 'escaped text, never CDATA');
});

t.test('count=3 with format=vast: an ad pod of three distinct ads, each its own decision, in sequence', async (t) => {
  const eng = await startTestEngine(t, { ads: [full, row('plain-2', 'us', 'eng'), row('plain-3', 'us', 'eng'), row('plain-4', 'us', 'eng')] });
  const http = httpClient(t);
  const pod = await readVast(t, await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast&count=3`, { 'x-api-key': GAME_KEY }), 'pod');
  const ads = pod.response.ads as { id: string; sequence: number; adServingId: string; impressionURLTemplates: { url: string }[] }[];
  t.equal(ads.length, 3, 'three ads');
  t.same(ads.map((a) => a.sequence), [1, 2, 3], 'played in sequence');
  t.equal(new Set(ads.map((a) => a.id)).size, 3, 'distinct ads');
  t.equal(new Set(ads.map((a) => a.adServingId)).size, 3, 'each its own decision');
  for (const a of ads) t.equal(claimOf(t, eng, a.impressionURLTemplates[0]!.url, 'impression').adId, a.id, `${a.id}: its own tokens`);
  // The pod holds what there is: four ads, count 5, four answered; none at all is the empty VAST.
  const five = await readVast(t, await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast&count=5`, { 'x-api-key': GAME_KEY }), 'count 5');
  t.equal(five.response.ads.length, 4);
  const none = await http.get(`${eng.url}/ad_request?country=zz&lang=zzz&format=vast&count=2`, { 'x-api-key': GAME_KEY });
  t.equal(none.text, NO_AD);
});

t.test('a player fetching the ad URL itself (VASTClient.get) gets the same document', async (t) => {
  const eng = await startTestEngine(t, { ads: [full] });
  const client = new VASTClient();
  const response: VastResponse = await client.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast&api_key=${GAME_KEY}`);
  t.equal(response.ads.length, 1);
  t.match(response.ads[0], { id: 'spring-1', title: 'Spring sale' });
  t.equal(response.ads[0].creatives[0].mediaFiles[0].fileURL, 'https://cdn.test/spring-1.webm');
});

t.test('a player plays the ad through: vast-client\'s tracker fires every tracking URL, each counted once', async (t) => {
  const eng = await startTestEngine(t, { ads: [full] });
  await startVoteProcessor(t, eng.events);
  const http = httpClient(t);
  const client = new VASTClient();
  const response: VastResponse = await client.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast&api_key=${GAME_KEY}`);
  const ad = response.ads[0];
  const creative = ad.creatives[0];
  // vast-client fires a tracking URL the way a browser player does, by setting an Image's src, once
  // it sees a window. Node has neither (and VASTClient.get must not see a window: it would read
  // location): this Image loads the URL as a browser loads a pixel, Accept header included.
  const loads: Promise<{ status: number; type: string | null; url: string }>[] = [];
  const g = globalThis as Record<string, unknown>;
  g.window = globalThis;
  g.Image = class {
    set src(url: string) {
      loads.push(fetch(url, { headers: { accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8' } }).then(async (r) => {
        await r.arrayBuffer();
        return { status: r.status, type: r.headers.get('content-type'), url };
      }));
    }
  };
  t.teardown(() => {
    delete g.window;
    delete g.Image;
  });

  const play = () => {
    const tracker = new VASTTracker(client, ad, creative);
    const clickThrough: string[] = [];
    tracker.on('clickthrough', (url: string) => clickThrough.push(url));
    tracker.trackImpression();
    // The player's timeupdate events, through the 15.5 s creative.
    for (const at of [0.25, 4, 8, 12, 15.4]) tracker.setProgress(at);
    tracker.complete();
    tracker.click();
    tracker.errorWithCode('405');
    return clickThrough;
  };
  t.same(play(), ['https://brand.test/spring?utm_source=arcade&utm_medium=video'], 'a click opens the advertiser\'s page');
  // The same ad played again (a player that retries, or a replayed page): every URL fires again.
  play();
  const fired = await Promise.all(loads);
  t.equal(fired.length, 16, 'eight tracking URLs, twice');
  t.same(fired.filter((f) => f.status !== 200 || f.type !== 'image/gif'), [], 'every one answered with the pixel');
  t.ok(fired.some((f) => f.url.endsWith('?code=405')), 'the error URL with its [ERRORCODE] filled in');

  const totals = await eventually(
    () => reportTotals(http, eng.url),
    (r) => r.decisions === 1 && r.errors === 1 && r.clicks === 1,
    10_000,
    'the beacons counted and folded',
  );
  t.match(totals, {
    decisions: 1,
    impressions: 1,
    starts: 1,
    first_quartiles: 1,
    midpoints: 1,
    third_quartiles: 1,
    completes: 1,
    clicks: 1,
    errors: 1,
    clicks_without_impression: 0,
    completes_without_start: 0,
    click_through_rate: 1,
    completion_rate: 1,
  }, 'the ad played through once, however often its URLs were fired');
});

t.test('server processes (ENGINE_WORKERS=2) answer VAST from their own index and signer', async (t) => {
  const eng = await startTestEngine(t, { ads: [full], workers: 2 });
  const http = httpClient(t, 4);
  const ids = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const vast = await readVast(t, await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast`, { 'x-api-key': GAME_KEY }), `request ${i}`);
    const ad = vast.response.ads[0];
    t.equal(ad.id, 'spring-1');
    t.equal(claimOf(t, eng, ad.impressionURLTemplates[0].url, 'impression').decisionId, ad.adServingId);
    ids.add(ad.adServingId as string);
  }
  t.equal(ids.size, 6, 'a decision id per answer');
});

t.test('JSON and VAST walk one rotation, each decision counted once, JSON byte for byte as before', async (t) => {
  const eng = await startTestEngine(t, {
    ads: [row('a', 'us', 'eng'), row('b', 'us', 'eng', 0, 0, { title: 'B' }), row('c', 'us', 'eng')],
    env: { DECISION_FLUSH_MS: '50' },
  });
  const http = httpClient(t);
  const seen: string[] = [];
  for (let i = 0; i < 9; i++) {
    const vast = i % 2 === 1;
    const r = await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=${vast ? 'vast' : 'json'}`, { 'x-api-key': GAME_KEY });
    if (vast) {
      seen.push((await readVast(t, r, `request ${i}`)).response.ads[0].id as string);
    } else {
      t.equal(r.status, 200);
      t.equal(r.headers['content-type'], 'application/json');
      const id = (r.body as { id: string }).id;
      t.equal(r.text, `{"id":"${id}","video_url":"https://cdn.test/${id}.mp4"}`, 'the JSON body as it always was');
      seen.push(id);
    }
  }
  t.same(seen, ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c'], 'one round-robin, whatever the format');

  // decisions_served events reach the stream: 3 decisions per ad, JSON and VAST alike.
  const counted = await eventually(
    async () => {
      const byAd: Record<string, number> = {};
      for (const e of await eng.events.read('0-0', { count: 10_000 })) {
        if (e.type !== 'decisions_served') continue;
        for (const [adId, country, lang, , column, n] of (e.data as { counts: [string, string, string, number, string, number][] }).counts) {
          t.same([country, lang, column], ['us', 'eng', 'decisions']);
          byAd[adId] = (byAd[adId] ?? 0) + n;
        }
      }
      return byAd;
    },
    (byAd) => Object.values(byAd).reduce((a, b) => a + b, 0) >= 9,
    10_000,
    'decisions flushed to the event log',
  );
  t.same(counted, { a: 3, b: 3, c: 3 });
});

t.test('no fill: an empty VAST, 200, that players read as no ads; JSON keeps its 404', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('fr1', 'fr', 'fra', 20, 22)] });
  const http = httpClient(t);
  for (const [what, q, headers] of [
    ['format=vast', 'country=zz&lang=zzz&format=vast', {}],
    ['Accept: application/xml', 'country=zz&lang=zzz', { accept: 'application/xml' }],
  ] as const) {
    const r = await http.get(`${eng.url}/ad_request?${q}`, { 'x-api-key': GAME_KEY, ...headers });
    t.equal(r.text, NO_AD, `${what}: the empty document`);
    const vast = await readVast(t, r, what);
    t.same(vast.response.ads, [], `${what}: vast-client finds no ad`);
    t.equal(vast.response.version, '4.2');
  }
  const json = await http.get(`${eng.url}/ad_request?country=zz&lang=zzz`, { 'x-api-key': GAME_KEY });
  t.equal(json.status, 404);
  t.same(json.body, { error: 'no_ad', message: 'no eligible ad for this country, language and hour' });
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_http_requests_total\{route="ad_request",status="200"\} 2$/m, 'no fill in VAST is counted as a 200');
  t.match(metrics, /^engine_http_requests_total\{route="ad_request",status="404"\} 1$/m);
});

t.test('without format, the Accept header decides: XML preferred over JSON is VAST, anything else JSON', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const cases: [string | null, 'vast' | 'json'][] = [
    [null, 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['application/xml', 'vast'],
    ['text/xml', 'vast'],
    ['Application/XML', 'vast'],
    ['application/xml, application/json', 'json'],
    ['application/json;q=0.5, application/xml', 'vast'],
    ['application/xml;q=0.5, */*;q=0.8', 'json'],
    ['application/xml, */*;q=0.8', 'vast'],
    ['application/xml;q=0, */*', 'json'],
    ['application/xml;q=0.001', 'vast'],
    ['application/xml;q=2', 'json'],
    ['application/xml;q=bogus', 'json'],
    ['application/*;q=0.9, text/xml', 'vast'],
    ['application/xhtml+xml', 'json'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'vast'],
  ];
  for (const [accept, expected] of cases) {
    const headers: Record<string, string> = { 'x-api-key': GAME_KEY };
    if (accept !== null) headers.accept = accept;
    const r = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, headers);
    const what = `Accept: ${accept ?? '(none)'}`;
    if (expected === 'vast') {
      t.equal((await readVast(t, r, what)).response.ads[0].id, 'a', `${what}: VAST`);
    } else {
      t.same([r.status, r.headers['content-type'], r.body], [200, 'application/json', { id: 'a', video_url: 'https://cdn.test/a.mp4' }], `${what}: JSON`);
    }
  }
  // format wins over Accept, both ways.
  const forcedJson = await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=json`, { 'x-api-key': GAME_KEY, accept: 'application/xml' });
  t.same([forcedJson.status, forcedJson.headers['content-type']], [200, 'application/json'], 'format=json with Accept: application/xml');
  const forcedVast = await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast`, { 'x-api-key': GAME_KEY, accept: 'application/json' });
  await readVast(t, forcedVast, 'format=vast with Accept: application/json');
});

t.test('errors other than no fill keep the JSON error shape, whatever the format', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const get = (q: string, headers: Record<string, string> = { 'x-api-key': GAME_KEY }) => http.get(`${eng.url}/ad_request?${q}`, headers);
  const cases: [string, Record<string, string> | undefined, number, unknown][] = [
    ['country=us&lang=eng&format=xml', undefined, 400, { error: 'bad_param', message: 'format must be json or vast' }],
    ['country=us&lang=eng&format=VAST', undefined, 400, { error: 'bad_param', message: 'format must be json or vast' }],
    ['country=us&lang=eng&format=', undefined, 400, { error: 'bad_param', message: 'format is empty' }],
    ['country=us&lang=eng&format=vast&format=vast', undefined, 400, { error: 'bad_param', message: 'format is given more than once' }],
    [`country=us&lang=eng&format=${'v'.repeat(17)}`, undefined, 400, { error: 'bad_param', message: 'format is too long' }],
    ['country=usa&lang=eng&format=vast', undefined, 400, { error: 'bad_param', message: 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"' }],
    ['country=usa&lang=eng', { 'x-api-key': GAME_KEY, accept: 'application/xml' }, 400, { error: 'bad_param', message: 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"' }],
    ['country=us&lang=eng&format=vast', {}, 401, { error: 'unauthorized', message: 'missing or unknown API key' }],
  ];
  for (const [q, headers, status, body] of cases) {
    const r = await get(q, headers);
    t.same([r.status, r.headers['content-type'], r.body], [status, 'application/json', body], q);
  }
  const cold = await startTestEngine(t);
  const notReady = await http.get(`${cold.url}/ad_request?country=us&lang=eng&format=vast`, { 'x-api-key': GAME_KEY });
  t.same([notReady.status, notReady.headers['retry-after'], notReady.body], [503, '1', { error: 'not_ready', message: 'no index loaded yet; retry shortly' }]);
});

t.test('feed values hostile to XML: escaped, never breaking the document, and read back as they were', async (t) => {
  // Tab, LF and CR survive (as character references); other controls and a lone surrogate cannot be
  // in XML 1.0 and come back as U+FFFD.
  const hostile = 'ad <1> & "two" \'three\' ]]> \u0001 \ud800 end';
  const hostileBack = 'ad <1> & "two" \'three\' ]]> \ufffd \ufffd end';
  const title = 'Title <b>&amp;</b> ]]> "q" \'a\'\tTAB\nLF\rCR \u0007 done';
  const titleBack = 'Title <b>&amp;</b> ]]> "q" \'a\'\tTAB\nLF\rCR \ufffd done';
  const videoUrl = 'https://cdn.test/v.mp4?a=1&b=<2>&c="3"&d=]]>';
  const clickUrl = "https://brand.test/?x=1&y='2'&z=]]>";
  const eng = await startTestEngine(t, {
    ads: [row(hostile, 'us', 'eng', 0, 0, { video_url: videoUrl, click_url: clickUrl, title, mime: 'video/x-a&b' })],
    env: { PUBLIC_BASE_URL: 'https://ads.test/t?a=1&b=<x>' },
  });
  const http = httpClient(t);
  const r = await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast`, { 'x-api-key': GAME_KEY });
  t.same([...r.text].filter((c) => c < ' ' && c !== '\t' && c !== '\n' && c !== '\r'), [], 'no control character XML 1.0 refuses');
  t.notMatch(r.text, /[\t\n\r]/, 'not even tab, LF or CR: they are character references');
  t.notMatch(r.text, /\]\]>/, 'no `]]>` anywhere: it is escaped');
  const vast = await readVast(t, r, 'hostile row');

  // What the document says, exactly (DOM, no trimming).
  const ad = vast.doc.getElementsByTagName('Ad')[0]!;
  t.equal(ad.getAttribute('id'), hostileBack, 'Ad id');
  t.equal(vast.doc.getElementsByTagName('AdTitle')[0]!.textContent, titleBack, 'AdTitle, tab, LF and CR included');
  t.equal(vast.doc.getElementsByTagName('UniversalAdId')[0]!.textContent, hostileBack);
  const creative = vast.doc.getElementsByTagName('Creative')[0]!;
  t.same([creative.getAttribute('id'), creative.getAttribute('adId')], [hostileBack, hostileBack]);
  t.equal(vast.doc.getElementsByTagName('MediaFile')[0]!.textContent, videoUrl);
  t.equal(vast.doc.getElementsByTagName('MediaFile')[0]!.getAttribute('type'), 'video/x-a&b');
  t.equal(vast.doc.getElementsByTagName('ClickThrough')[0]!.textContent, clickUrl);

  // What the player makes of it.
  const parsed = vast.response.ads[0];
  t.equal(parsed.id, hostileBack);
  t.equal(parsed.creatives[0].mediaFiles[0].fileURL, videoUrl);
  t.equal(parsed.creatives[0].videoClickThroughURLTemplate.url, clickUrl);
  // The prefix comes from PUBLIC_BASE_URL as configured; the token's claim carries the id as it was.
  const impression = parsed.impressionURLTemplates[0].url as string;
  t.ok(impression.startsWith('https://ads.test/t?a=1&b=<x>/beacon/'), impression);
  const claim = verifier.verify(impression.slice('https://ads.test/t?a=1&b=<x>/beacon/'.length), Date.now());
  t.match(claim, { adId: hostile.replace('\ud800', '\ufffd') }, 'the token names the ad (as UTF-8 can carry it)');
});

t.test('the schema is a real check: it refuses documents that break the VAST 4 structure', async (t) => {
  const eng = await startTestEngine(t, { ads: [full] });
  const http = httpClient(t);
  const good = (await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast`, { 'x-api-key': GAME_KEY })).text;
  t.ok(validate(good).ok, 'the real answer validates');
  t.ok(validate(NO_AD).ok, 'the no-ad answer validates');
  const broken: [string, string][] = [
    ['no AdServingId', good.replace(/<AdServingId>[^<]*<\/AdServingId>/, '')],
    ['no Impression', good.replace(/<Impression [^>]*>[^<]*<\/Impression>/, '')],
    ['no UniversalAdId', good.replace(/<UniversalAdId [^>]*>[^<]*<\/UniversalAdId>/, '')],
    ['no Duration', good.replace(/<Duration>[^<]*<\/Duration>/, '')],
    ['no MediaFile width', good.replace(/ width="\d+"/, '')],
    ['no VAST version', good.replace(' version="4.2"', '')],
    ['AdTitle before AdServingId', good.replace(/(<AdServingId>[^<]*<\/AdServingId>)(<AdTitle>[^<]*<\/AdTitle>)/, '$2$1')],
    ['a Duration that is not a time', good.replace(/<Duration>[^<]*</, '<Duration>15.5s<')],
    ['an unknown tracking event', good.replace('event="midpoint"', 'event="halfway"')],
  ];
  for (const [what, doc] of broken) {
    t.not(doc, good, `${what}: the document was changed`);
    const verdict = validate(doc);
    t.notOk(verdict.ok, `${what}: refused`);
    t.match(verdict.out, /fails to validate/, `${what}: xmllint says why`);
  }
});
