// Feed validation: every rule drops the row with its reason and never throws; duplicates keep the
// last row; only an unusable document or one with no valid row is refused. The campaign fields
// (campaign.ts) are read and normalised here too, through validateRow.

import t from 'tap';
import { MAX_CAP_SECONDS, platforms } from '../../../../../core/domain/ads/campaign.js';
import { defaultMime, parseFeed, rejectReasons, validateFeed, validateRow, type Ad } from '../../../../../core/domain/ads/feed.js';

const good = { id: 'a1', video_url: 'https://cdn.test/a1.mp4', country: 'US', lang: 'Eng', start_hour: 10, end_hour: 14 };

t.test('a valid row is normalised', async (t) => {
  t.same(validateRow(good), { id: 'a1', videoUrl: 'https://cdn.test/a1.mp4', country: 'us', lang: 'eng', startHour: 10, endHour: 14, weight: 1 });
  t.match(validateRow({ ...good, weight: 7 }), { weight: 7 });
  t.match(validateRow({ ...good, weight: null }), { weight: 1 });
  t.match(validateRow({ ...good, video_url: 'http://x.test/v?a=1' }), { videoUrl: 'http://x.test/v?a=1' });
  t.match(validateRow({ ...good, start_hour: 0, end_hour: 23 }), { startHour: 0, endHour: 23 });
});

t.test('each rule drops the row with its reason', async (t) => {
  const cases: [unknown, string][] = [
    [null, 'not_an_object'],
    ['row', 'not_an_object'],
    [[good], 'not_an_object'],
    [{ ...good, id: undefined }, 'bad_id'],
    [{ ...good, id: '' }, 'bad_id'],
    [{ ...good, id: '   ' }, 'bad_id'],
    [{ ...good, id: 42 }, 'bad_id'],
    [{ ...good, id: 'x'.repeat(129) }, 'bad_id'],
    [{ ...good, video_url: undefined }, 'bad_video_url'],
    [{ ...good, video_url: 'ftp://x.test/v.mp4' }, 'bad_video_url'],
    [{ ...good, video_url: 'javascript:alert(1)' }, 'bad_video_url'],
    [{ ...good, video_url: 'https://' }, 'bad_video_url'],
    [{ ...good, video_url: `https://x.test/${'v'.repeat(2048)}` }, 'bad_video_url'],
    [{ ...good, country: 'usa' }, 'bad_country'],
    [{ ...good, country: 'u1' }, 'bad_country'],
    [{ ...good, country: 1 }, 'bad_country'],
    [{ ...good, lang: 'en' }, 'bad_lang'],
    [{ ...good, lang: 'éng' }, 'bad_lang'],
    [{ ...good, start_hour: 24 }, 'bad_start_hour'],
    [{ ...good, start_hour: -1 }, 'bad_start_hour'],
    [{ ...good, start_hour: 1.5 }, 'bad_start_hour'],
    [{ ...good, start_hour: '3' }, 'bad_start_hour'],
    [{ ...good, end_hour: 24 }, 'bad_end_hour'],
    [{ ...good, end_hour: undefined }, 'bad_end_hour'],
    [{ ...good, weight: 0 }, 'bad_weight'],
    [{ ...good, weight: 1001 }, 'bad_weight'],
    [{ ...good, weight: 2.5 }, 'bad_weight'],
    [{ ...good, weight: '2' }, 'bad_weight'],
    [{ ...good, duration: 0 }, 'bad_duration'],
    [{ ...good, duration: -5 }, 'bad_duration'],
    [{ ...good, duration: 0.0004 }, 'bad_duration'],
    [{ ...good, duration: 3600.001 }, 'bad_duration'],
    [{ ...good, duration: '30' }, 'bad_duration'],
    [{ ...good, mime: 'audio/mp4' }, 'bad_mime'],
    [{ ...good, mime: 'video/' }, 'bad_mime'],
    [{ ...good, mime: 'video/mp4; codecs="avc1"' }, 'bad_mime'],
    [{ ...good, mime: 'application/x-mpegURL' }, 'bad_mime'],
    [{ ...good, mime: `video/${'x'.repeat(128)}` }, 'bad_mime'],
    [{ ...good, mime: 4 }, 'bad_mime'],
    [{ ...good, width: 0 }, 'bad_width'],
    [{ ...good, width: 1280.5 }, 'bad_width'],
    [{ ...good, width: 16385 }, 'bad_width'],
    [{ ...good, width: '1280' }, 'bad_width'],
    [{ ...good, height: -720 }, 'bad_height'],
    [{ ...good, height: 16385 }, 'bad_height'],
    [{ ...good, bitrate: 0 }, 'bad_bitrate'],
    [{ ...good, bitrate: 1_000_001 }, 'bad_bitrate'],
    [{ ...good, bitrate: 2.5 }, 'bad_bitrate'],
    [{ ...good, click_url: 'ftp://x.test/' }, 'bad_click_url'],
    [{ ...good, click_url: 'javascript:alert(1)' }, 'bad_click_url'],
    [{ ...good, click_url: '' }, 'bad_click_url'],
    [{ ...good, click_url: 7 }, 'bad_click_url'],
    [{ ...good, title: '' }, 'bad_title'],
    [{ ...good, title: ' \t ' }, 'bad_title'],
    [{ ...good, title: 't'.repeat(257) }, 'bad_title'],
    [{ ...good, title: 12 }, 'bad_title'],
  ];
  for (const [row, reason] of cases) t.equal(validateRow(row), reason, JSON.stringify(row)?.slice(0, 80));
});

t.test('creative fields: kept as given, normalised, absent or null when not given', async (t) => {
  const full = { ...good, duration: 15.5, mime: 'Video/WebM', width: 1920, height: 1080, bitrate: 2500, click_url: 'https://brand.test/?a=1&b=2', title: 'Spring <sale> & "more"' };
  t.same(validateRow(full), {
    id: 'a1',
    videoUrl: 'https://cdn.test/a1.mp4',
    country: 'us',
    lang: 'eng',
    startHour: 10,
    endHour: 14,
    weight: 1,
    duration: 15.5,
    mime: 'video/webm',
    width: 1920,
    height: 1080,
    bitrate: 2500,
    clickUrl: 'https://brand.test/?a=1&b=2',
    title: 'Spring <sale> & "more"',
  });
  t.match(validateRow({ ...good, duration: 12.3456 }), { duration: 12.346 }, 'to the millisecond');
  t.match(validateRow({ ...good, duration: 3600 }), { duration: 3600 });
  t.match(validateRow({ ...good, duration: 0.001 }), { duration: 0.001 });
  t.match(validateRow({ ...good, width: 16384, height: 1, bitrate: 1_000_000 }), { width: 16384, height: 1, bitrate: 1_000_000 });
  t.match(validateRow({ ...good, mime: 'video/x-ms-wmv' }), { mime: 'video/x-ms-wmv' });
  t.match(validateRow({ ...good, title: 't'.repeat(256) }), { title: 't'.repeat(256) });
  // A title or an id may hold anything printable or not: VAST answers escape it.
  t.match(validateRow({ ...good, title: 'a\u0001]]>b' }), { title: 'a\u0001]]>b' });
  const someGiven = validateRow({ ...good, title: 'Only a title', duration: null }) as Ad;
  t.equal(someGiven.title, 'Only a title');
  t.equal(someGiven.duration, undefined, 'null is absent');
  t.equal(someGiven.clickUrl, undefined);
  t.notOk('title' in (validateRow({ ...good, title: null, mime: null }) as object), 'no creative field given: the plain shape');
});

t.test('the default media type follows the video URL\'s extension', async (t) => {
  const cases: [string, string][] = [
    ['https://cdn.test/a.mp4', 'video/mp4'],
    ['https://cdn.test/a.WEBM', 'video/webm'],
    ['https://cdn.test/a.webm?sig=x.mp4', 'video/webm'],
    ['https://cdn.test/a.ogv#t=1.5', 'video/ogg'],
    ['https://cdn.test/a.mov', 'video/quicktime'],
    ['https://cdn.test/a.m3u8', 'video/mp4'],
    ['https://cdn.test/v1.0/video', 'video/mp4'],
    ['https://cdn.test/', 'video/mp4'],
  ];
  for (const [url, mime] of cases) t.equal(defaultMime(url), mime, url);
});

t.test('a feed keeps valid rows, counts every reason (zeros included), logs samples with ids', async (t) => {
  const v = validateFeed({
    ads: [good, { ...good, id: 'b', country: 'usa' }, 7, { ...good, id: 'c', weight: 0 }, { ...good, id: 'd' }],
  });
  t.same(v.ads.map((a) => a.id), ['a1', 'd']);
  t.equal(v.rejectedTotal, 3);
  t.same(v.rejectedByReason, Object.fromEntries(rejectReasons.map((r) => [r, ['bad_country', 'not_an_object', 'bad_weight'].includes(r) ? 1 : 0])));
  t.same(v.rejectedSamples, [
    { row: 1, id: 'b', reason: 'bad_country' },
    { row: 2, id: null, reason: 'not_an_object' },
    { row: 3, id: 'c', reason: 'bad_weight' },
  ]);
});

t.test('duplicate ids: the last row wins, in its own position, and the loser is counted', async (t) => {
  const v = validateFeed({
    ads: [{ ...good, id: 'x', country: 'fr' }, { ...good, id: 'y' }, { ...good, id: 'x', country: 'de' }],
  });
  t.same(v.ads.map((a) => [a.id, a.country]), [['y', 'us'], ['x', 'de']]);
  t.equal(v.rejectedByReason.duplicate_id, 1);
  t.same(v.rejectedSamples, [{ row: 0, id: 'x', reason: 'duplicate_id' }]);
});

t.test('samples are capped at 100, counts are complete', async (t) => {
  const ads = [good, ...Array.from({ length: 250 }, (_, i) => ({ ...good, id: `bad-${i}`, lang: 'x' }))];
  const v = validateFeed({ ads });
  t.equal(v.rejectedTotal, 250);
  t.equal(v.rejectedByReason.bad_lang, 250);
  t.equal(v.rejectedSamples.length, 100);
});

t.test('every dropped row is told as it goes, past the sample cap and before a refusal', async (t) => {
  const told: unknown[] = [];
  const ads = [good, ...Array.from({ length: 150 }, (_, i) => ({ ...good, id: `bad-${i}`, lang: 'x' })), { ...good, country: 'fr' }];
  const v = validateFeed({ ads }, (r) => told.push(r));
  t.equal(told.length, 151);
  t.same(told[149], { row: 150, id: 'bad-149', reason: 'bad_lang' });
  t.same(told[150], { row: 0, id: 'a1', reason: 'duplicate_id' }, 'a duplicate when its replacement is read');
  t.equal(v.rejectedSamples.length, 100);
  const refused: unknown[] = [];
  t.throws(() => parseFeed(JSON.stringify({ ads: [{ ...good, country: 'usa' }, 7] }), (r) => refused.push(r)), { code: 'FEED_REJECTED' });
  t.same(refused, [
    { row: 0, id: 'a1', reason: 'bad_country' },
    { row: 1, id: null, reason: 'not_an_object' },
  ]);
});

t.test('unusable documents are refused with FeedRejectedError', async (t) => {
  const refused = (f: () => unknown, message: RegExp) => t.throws(f, { code: 'FEED_REJECTED', name: 'FeedRejectedError', message });
  refused(() => parseFeed('{"ads": ['), /not valid JSON/);
  refused(() => parseFeed('[]'), /"ads" array/);
  refused(() => validateFeed({ ads: {} }), /"ads" array/);
  refused(() => validateFeed(null), /"ads" array/);
  refused(() => validateFeed({ ads: [] }), /no valid row \(0 rows, 0 rejected\)/);
  refused(() => validateFeed({ ads: [{ ...good, country: 'usa' }, {}] }), /no valid row \(2 rows, 2 rejected\)/);
});

/** The keys of a row that gives no optional field: the short shape every plain row shares. */
const SHORT_SHAPE = ['id', 'videoUrl', 'country', 'lang', 'startHour', 'endHour', 'weight'];

t.test('campaign fields: every one accepted and normalised', async (t) => {
  const row = {
    ...good,
    campaign_id: 'spring-26',
    priority: 5,
    house: true,
    starts_at: '2026-03-01T00:00:00+05:30',
    ends_at: '2026-04-01T00:00:00.250Z',
    weekdays: ['mon', 'Sun', 'SAT'],
    timezone: 'europe/paris',
    platforms: ['web', 'iOS', 'switch'],
    kv: { level: ['1', '2'], mode: ['ranked'] },
    frequency_cap: { count: 3, seconds: 3600 },
    campaign_frequency_cap: { seconds: 86_400, count: 5 },
  };
  t.same(validateRow(row), {
    id: 'a1',
    videoUrl: 'https://cdn.test/a1.mp4',
    country: 'us',
    lang: 'eng',
    startHour: 10,
    endHour: 14,
    weight: 1,
    campaignId: 'spring-26',
    priority: 5,
    house: true,
    startsAt: Date.UTC(2026, 1, 28, 18, 30),
    endsAt: Date.UTC(2026, 3, 1, 0, 0, 0, 250),
    weekdays: (1 << 0) | (1 << 1) | (1 << 6),
    timezone: 'Europe/Paris',
    platforms: (1 << platforms.indexOf('web')) | (1 << platforms.indexOf('ios')) | (1 << platforms.indexOf('switch')),
    kv: { level: ['1', '2'], mode: ['ranked'] },
    frequencyCap: { count: 3, seconds: 3600 },
    campaignFrequencyCap: { count: 5, seconds: 86_400 },
  });
});

t.test('weekdays: a bit mask with bit 0 = Sunday, any case', async (t) => {
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  for (const [bit, d] of days.entries()) t.match(validateRow({ ...good, weekdays: [d] }), { weekdays: 1 << bit }, d);
  t.match(validateRow({ ...good, weekdays: days.map((d) => d.toUpperCase()) }), { weekdays: 0b111_1111 }, 'every day');
  t.match(validateRow({ ...good, weekdays: ['sat', 'fri'] }), { weekdays: (1 << 5) | (1 << 6) }, 'order does not matter');
});

t.test('platforms: a bit mask by index in campaign.ts platforms, any case', async (t) => {
  t.same(platforms, ['ios', 'android', 'windows', 'macos', 'linux', 'switch', 'playstation', 'xbox', 'web']);
  for (const [bit, p] of platforms.entries()) t.match(validateRow({ ...good, platforms: [p] }), { platforms: 1 << bit }, p);
  t.match(validateRow({ ...good, platforms: ['PlayStation', 'XBOX'] }), { platforms: (1 << 6) | (1 << 7) });
  t.match(validateRow({ ...good, platforms: [...platforms] }), { platforms: 0b1_1111_1111 });
});

t.test('timezone: the IANA name as Intl spells it', async (t) => {
  const cases: [string, string][] = [
    ['europe/paris', 'Europe/Paris'],
    ['Europe/Paris', 'Europe/Paris'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    ['utc', 'UTC'],
  ];
  for (const [given, zone] of cases) t.match(validateRow({ ...good, timezone: given }), { timezone: zone }, given);
  // Asked twice (the second answer comes from the cache of checked zones): the same.
  t.match(validateRow({ ...good, timezone: 'europe/paris' }), { timezone: 'Europe/Paris' });
});

t.test('starts_at, ends_at: ISO-8601 instants with their offset, as epoch ms', async (t) => {
  const cases: [string, number][] = [
    ['2026-03-01T00:00:00Z', Date.UTC(2026, 2, 1)],
    ['2026-03-01T00:00Z', Date.UTC(2026, 2, 1)],
    ['2026-03-01T05:30:00+05:30', Date.UTC(2026, 2, 1)],
    ['2026-02-28T19:00:00-05:00', Date.UTC(2026, 2, 1)],
    ['2026-03-01T00:00:00+00:00', Date.UTC(2026, 2, 1)],
    ['2026-03-01T00:00:00.5Z', Date.UTC(2026, 2, 1, 0, 0, 0, 500)],
    ['2026-03-01T00:00:00.123+01:00', Date.UTC(2026, 1, 28, 23, 0, 0, 123)],
    ['2028-02-29T12:00:00Z', Date.UTC(2028, 1, 29, 12)],
    ['2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
    // The ends of the range the snapshot can write back: years 0000 to 9999, in UTC.
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['9999-12-31T23:59:59+05:00', Date.UTC(9999, 11, 31, 18, 59, 59)],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000],
    ['0050-01-01T00:00:00Z', -60_589_296_000_000],
  ];
  for (const [instant, ms] of cases) {
    t.match(validateRow({ ...good, starts_at: instant }), { startsAt: ms }, `starts_at ${instant}`);
    t.match(validateRow({ ...good, ends_at: instant }), { endsAt: ms }, `ends_at ${instant}`);
  }
  t.match(validateRow({ ...good, starts_at: '2026-03-01T00:00:00Z', ends_at: '2026-03-01T00:00:00.001Z' }), { startsAt: Date.UTC(2026, 2, 1), endsAt: Date.UTC(2026, 2, 1, 0, 0, 0, 1) }, 'a flight of one millisecond');
});

t.test('campaign_id, priority, kv and caps: their limits are inclusive', async (t) => {
  t.match(validateRow({ ...good, campaign_id: 'c'.repeat(128) }), { campaignId: 'c'.repeat(128) });
  t.match(validateRow({ ...good, campaign_id: ' spaced id ' }), { campaignId: ' spaced id ' }, 'kept as given');
  t.match(validateRow({ ...good, priority: 0 }), { priority: 0 });
  t.match(validateRow({ ...good, priority: 1000 }), { priority: 1000 });
  const kv = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k_${i}`, Array.from({ length: 64 }, (_, j) => `v${j}`)]));
  t.same((validateRow({ ...good, kv }) as Ad).kv, kv, '16 keys of 64 values');
  t.same((validateRow({ ...good, kv: { [`a${'b'.repeat(31)}`]: [' ~!'.repeat(21) + 'x'] } }) as Ad).kv, { [`a${'b'.repeat(31)}`]: [' ~!'.repeat(21) + 'x'] }, '32-character key, 64 printable characters');
  t.same((validateRow({ ...good, kv: { mode: ['b', 'a'] } }) as Ad).kv, { mode: ['b', 'a'] }, 'values keep their order');
  t.same(Object.keys((validateRow({ ...good, kv: { constructor: ['1'], to_string: ['2'] } }) as Ad).kv!), ['constructor', 'to_string'], 'keys named like Object members are plain keys');
  t.match(validateRow({ ...good, frequency_cap: { count: 1, seconds: 1 } }), { frequencyCap: { count: 1, seconds: 1 } });
  t.match(validateRow({ ...good, frequency_cap: { count: 1000, seconds: MAX_CAP_SECONDS } }), { frequencyCap: { count: 1000, seconds: 30 * 24 * 3600 } });
  t.match(validateRow({ ...good, campaign_id: 'c', campaign_frequency_cap: { count: 2, seconds: 60 } }), { campaignId: 'c', campaignFrequencyCap: { count: 2, seconds: 60 } });
});

t.test('each campaign rule drops the row with its reason', async (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ campaign_id: '' }, 'bad_campaign_id'],
    [{ campaign_id: '   ' }, 'bad_campaign_id'],
    [{ campaign_id: 7 }, 'bad_campaign_id'],
    [{ campaign_id: 'c'.repeat(129) }, 'bad_campaign_id'],
    [{ priority: -1 }, 'bad_priority'],
    [{ priority: 1001 }, 'bad_priority'],
    [{ priority: 1.5 }, 'bad_priority'],
    [{ priority: '5' }, 'bad_priority'],
    [{ house: 'yes' }, 'bad_house'],
    [{ house: 'true' }, 'bad_house'],
    [{ house: 1 }, 'bad_house'],
    [{ house: 0 }, 'bad_house'],
    [{ starts_at: '2026-02-30T00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-02-29T00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-04-31T00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:00:00' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01 00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-13-01T00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-00-01T00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-00T00:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T24:00:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:60:00Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:00:60Z' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:00:00+19:00' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:00:00+05:60' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:00:00+0530' }, 'bad_starts_at'],
    [{ starts_at: '2026-03-01T00:00:00.1234Z' }, 'bad_starts_at'],
    [{ starts_at: 'Sun, 01 Mar 2026 00:00:00 GMT' }, 'bad_starts_at'],
    [{ starts_at: Date.UTC(2026, 2, 1) }, 'bad_starts_at'],
    // In year 10000 or -1 once the offset is applied: no snapshot could carry them.
    [{ starts_at: '9999-12-31T23:59:59-00:01' }, 'bad_starts_at'],
    [{ starts_at: '0000-01-01T00:00:00+00:01' }, 'bad_starts_at'],
    [{ ends_at: '2026-02-30T00:00:00Z' }, 'bad_ends_at'],
    [{ ends_at: '2026-03-01T00:00:00' }, 'bad_ends_at'],
    [{ ends_at: true }, 'bad_ends_at'],
    [{ ends_at: '9999-12-31T23:59:59-05:00' }, 'bad_ends_at'],
    [{ starts_at: '2026-03-01T00:00:00Z', ends_at: '2026-03-01T00:00:00Z' }, 'bad_ends_at'],
    [{ starts_at: '2026-03-01T00:00:00Z', ends_at: '2026-02-01T00:00:00Z' }, 'bad_ends_at'],
    // The same instant written in two zones is still an empty flight.
    [{ starts_at: '2026-03-01T05:30:00+05:30', ends_at: '2026-03-01T00:00:00Z' }, 'bad_ends_at'],
    [{ weekdays: ['mon', 'mon'] }, 'bad_weekdays'],
    [{ weekdays: ['mon', 'MON'] }, 'bad_weekdays'],
    [{ weekdays: ['monday'] }, 'bad_weekdays'],
    [{ weekdays: [] }, 'bad_weekdays'],
    [{ weekdays: 'mon' }, 'bad_weekdays'],
    [{ weekdays: [1] }, 'bad_weekdays'],
    [{ timezone: 'Mars/Olympus_Mons' }, 'bad_timezone'],
    [{ timezone: '' }, 'bad_timezone'],
    [{ timezone: '+05:00' }, 'bad_timezone'],
    [{ timezone: 'x'.repeat(65) }, 'bad_timezone'],
    [{ timezone: 1 }, 'bad_timezone'],
    [{ platforms: ['ios', 'dreamcast'] }, 'bad_platforms'],
    [{ platforms: ['ios', 'IOS'] }, 'bad_platforms'],
    [{ platforms: [] }, 'bad_platforms'],
    [{ platforms: 'ios' }, 'bad_platforms'],
    [{ platforms: [0] }, 'bad_platforms'],
    [{ kv: { Level: ['1'] } }, 'bad_kv'],
    [{ kv: { 'game-mode': ['1'] } }, 'bad_kv'],
    [{ kv: { '': ['1'] } }, 'bad_kv'],
    [{ kv: { [`k${'x'.repeat(32)}`]: ['1'] } }, 'bad_kv'],
    [{ kv: { level: [] } }, 'bad_kv'],
    [{ kv: { level: [''] } }, 'bad_kv'],
    [{ kv: { level: [1] } }, 'bad_kv'],
    [{ kv: { level: ['1', null] } }, 'bad_kv'],
    [{ kv: { level: '1' } }, 'bad_kv'],
    [{ kv: { level: ['1', '1'] } }, 'bad_kv'],
    [{ kv: { level: ['caf\u00e9'] } }, 'bad_kv'],
    [{ kv: { level: ['a\nb'] } }, 'bad_kv'],
    [{ kv: { level: ['v'.repeat(65)] } }, 'bad_kv'],
    [{ kv: { level: Array.from({ length: 65 }, (_, i) => String(i)) } }, 'bad_kv'],
    [{ kv: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, ['1']])) }, 'bad_kv'],
    [{ kv: {} }, 'bad_kv'],
    // As JSON.parse reads it: an own key, which assigning to a plain object would make a prototype.
    [{ kv: JSON.parse('{"__proto__": ["1"]}') as unknown }, 'bad_kv'],
    [{ kv: JSON.parse('{"level": ["1"], "__proto__": ["1"]}') as unknown }, 'bad_kv'],
    [{ kv: [['level', ['1']]] }, 'bad_kv'],
    [{ frequency_cap: { count: 1, seconds: 60, per: 'player' } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: 0, seconds: 60 } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: 1, seconds: 0 } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: 1001, seconds: 60 } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: 1, seconds: MAX_CAP_SECONDS + 1 } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: 1.5, seconds: 60 } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: '1', seconds: 60 } }, 'bad_frequency_cap'],
    [{ frequency_cap: { count: 1 } }, 'bad_frequency_cap'],
    [{ frequency_cap: [1, 60] }, 'bad_frequency_cap'],
    [{ frequency_cap: 3 }, 'bad_frequency_cap'],
    [{ campaign_frequency_cap: { count: 1, seconds: 60 } }, 'bad_campaign_frequency_cap'],
    [{ campaign_id: 'c', campaign_frequency_cap: { count: 1, seconds: 60, extra: 1 } }, 'bad_campaign_frequency_cap'],
    [{ campaign_id: 'c', campaign_frequency_cap: { count: 0, seconds: 60 } }, 'bad_campaign_frequency_cap'],
    [{ campaign_id: 'c', campaign_frequency_cap: { count: 1, seconds: MAX_CAP_SECONDS + 1 } }, 'bad_campaign_frequency_cap'],
  ];
  for (const [fields, reason] of cases) t.equal(validateRow({ ...good, ...fields }), reason, JSON.stringify(fields).slice(0, 80));
});

t.test('rules run in a fixed order: the first broken field names the reason', async (t) => {
  t.equal(validateRow({ ...good, country: 'usa', timezone: 'Mars/Olympus_Mons' }), 'bad_country');
  t.equal(validateRow({ ...good, title: '', priority: -1 }), 'bad_title');
  t.equal(validateRow({ ...good, priority: -1, kv: {} }), 'bad_priority');
});

t.test('campaign fields left out, null, or house: false: the short shape', async (t) => {
  const plain = validateRow(good);
  t.same(Object.keys(plain), SHORT_SHAPE);
  const nulls = Object.fromEntries(
    ['campaign_id', 'priority', 'house', 'starts_at', 'ends_at', 'weekdays', 'timezone', 'platforms', 'kv', 'frequency_cap', 'campaign_frequency_cap'].map((f) => [f, null]),
  );
  t.same(Object.keys(validateRow({ ...good, ...nulls })), SHORT_SHAPE, 'every campaign field null');
  t.same(validateRow({ ...good, ...nulls }), plain);
  t.same(Object.keys(validateRow({ ...good, house: false })), SHORT_SHAPE, 'house: false says nothing');
  t.same(Object.keys(validateRow({ ...good, ...nulls, house: false })), SHORT_SHAPE);
  t.equal((validateRow({ ...good, house: false, priority: 2 }) as Ad).house, undefined, 'with another field given too');
  const some = validateRow({ ...good, priority: 3 }) as Ad;
  t.equal(some.priority, 3);
  t.equal(some.campaignId, undefined, 'a field not given is undefined');
  t.equal(some.house, undefined);
});
