// The ads snapshot (core/domain/ads/snapshot.ts): what the syncer writes, every engine decodes with
// the same row rules, so every field of an ad, the creative ones included, survives the trip, and
// a snapshot that breaks a rule is refused whole.

import { createHash } from 'node:crypto';
import t from 'tap';
import { validateFeed, type Ad } from '../../../../../core/domain/ads/feed.js';
import { adsContentHash, decodeAdsSnapshot, encodeAdsSnapshot, type AdsSnapshot } from '../../../../../core/domain/ads/snapshot.js';

const rows = [
  { id: 'plain', video_url: 'https://cdn.test/plain.mp4', country: 'us', lang: 'eng', start_hour: 0, end_hour: 0 },
  {
    id: 'full',
    video_url: 'https://cdn.test/full.webm',
    country: 'FR',
    lang: 'fra',
    start_hour: 6,
    end_hour: 12,
    weight: 3,
    duration: 15.25,
    mime: 'video/webm',
    width: 1920,
    height: 1080,
    bitrate: 4000,
    click_url: 'https://brand.test/?a=1&b=<2>',
    title: 'Title with <, &, ]]> and "quotes" \u0001',
  },
  { id: 'some', video_url: 'https://cdn.test/some.mp4', country: 'us', lang: 'eng', start_hour: 0, end_hour: 0, title: 'Just a title' },
];

const snapshotOf = (ads: Ad[]): AdsSnapshot => ({ kind: 'ads', version: 'v1', createdAt: '2031-05-06T10:00:00.000Z', streamOffset: '0', ads });

t.test('every field round-trips: encode, then decode re-runs the row rules', async (t) => {
  const { ads } = validateFeed({ ads: rows });
  const decoded = decodeAdsSnapshot(encodeAdsSnapshot(snapshotOf(ads)));
  t.same(decoded.ads, ads);
  t.match(decoded.ads[1], { duration: 15.25, mime: 'video/webm', width: 1920, height: 1080, bitrate: 4000, clickUrl: 'https://brand.test/?a=1&b=<2>', title: rows[1]!.title });
  t.equal(decoded.ads[2]!.title, 'Just a title');
  t.equal(decoded.ads[2]!.duration, undefined);
});

t.test('creative fields the feed leaves out are left out of the snapshot and of its hash', async (t) => {
  const { ads } = validateFeed({ ads: [rows[0]] });
  const data = JSON.parse(encodeAdsSnapshot(snapshotOf(ads)).toString()) as { data: { ads: Record<string, unknown>[] } };
  t.same(Object.keys(data.data.ads[0]!).sort(), ['country', 'end_hour', 'id', 'lang', 'start_hour', 'video_url']);
  const withTitle = validateFeed({ ads: [{ ...rows[0], title: 'x' }] }).ads;
  t.not(adsContentHash(withTitle), adsContentHash(ads), 'a creative field changes the content hash');
});

t.test('a snapshot whose creative field breaks a rule is refused whole', async (t) => {
  const { ads } = validateFeed({ ads: rows });
  const doc = JSON.parse(encodeAdsSnapshot(snapshotOf(ads)).toString()) as { data: { ads: Record<string, unknown>[] } };
  for (const [field, value, reason] of [
    ['duration', -1, 'bad_duration'],
    ['mime', 'text/html', 'bad_mime'],
    ['width', 0, 'bad_width'],
    ['height', 1.5, 'bad_height'],
    ['bitrate', -3, 'bad_bitrate'],
    ['click_url', 'mailto:x@y.z', 'bad_click_url'],
    ['title', '', 'bad_title'],
  ] as const) {
    const broken = structuredClone(doc);
    broken.data.ads[1]![field] = value;
    t.throws(() => decodeAdsSnapshot(Buffer.from(JSON.stringify(broken))), { code: 'SNAPSHOT_CORRUPT', message: new RegExp(`row 1: ${reason}`) }, field);
  }
});

/** A row with every campaign field, in the loose forms the feed allows (case, offsets, key order). */
const campaignRow = {
  id: 'campaign',
  video_url: 'https://cdn.test/campaign.mp4',
  country: 'GB',
  lang: 'eng',
  start_hour: 8,
  end_hour: 20,
  title: 'Spring',
  campaign_id: 'spring-26',
  priority: 7,
  house: true,
  starts_at: '2026-03-01T00:00:00+05:30',
  ends_at: '2026-04-01T12:00:00.250-04:00',
  weekdays: ['SUN', 'fri', 'mon'],
  timezone: 'europe/london',
  platforms: ['web', 'IOS', 'xbox'],
  kv: { mode: ['ranked', 'casual'], level: ['10'] },
  frequency_cap: { seconds: 3600, count: 2 },
  campaign_frequency_cap: { count: 5, seconds: 86_400 },
};

t.test('every campaign field round-trips, written back in the feed\'s own form', async (t) => {
  const { ads } = validateFeed({ ads: [rows[0], campaignRow] });
  const bytes = encodeAdsSnapshot(snapshotOf(ads));
  t.same(decodeAdsSnapshot(bytes).ads, ads);
  t.same(decodeAdsSnapshot(bytes).ads[1], {
    id: 'campaign',
    videoUrl: 'https://cdn.test/campaign.mp4',
    country: 'gb',
    lang: 'eng',
    startHour: 8,
    endHour: 20,
    weight: 1,
    title: 'Spring',
    campaignId: 'spring-26',
    priority: 7,
    house: true,
    startsAt: Date.UTC(2026, 1, 28, 18, 30),
    endsAt: Date.UTC(2026, 3, 1, 16, 0, 0, 250),
    weekdays: (1 << 0) | (1 << 1) | (1 << 5),
    timezone: 'Europe/London',
    platforms: (1 << 0) | (1 << 7) | (1 << 8),
    kv: { mode: ['ranked', 'casual'], level: ['10'] },
    frequencyCap: { count: 2, seconds: 3600 },
    campaignFrequencyCap: { count: 5, seconds: 86_400 },
  });
  const written = (JSON.parse(bytes.toString()) as { data: { ads: Record<string, unknown>[] } }).data.ads[1]!;
  t.match(written, {
    starts_at: '2026-02-28T18:30:00.000Z',
    ends_at: '2026-04-01T16:00:00.250Z',
    weekdays: ['mon', 'fri', 'sun'],
    timezone: 'Europe/London',
    platforms: ['ios', 'xbox', 'web'],
    house: true,
  });
  // A second trip changes nothing: the written form is already the normal one.
  t.equal(adsContentHash(decodeAdsSnapshot(bytes).ads), adsContentHash(ads));
});

t.test('a feed without campaign fields hashes as it did before they existed', async (t) => {
  const plainRows = [
    { id: 'plain', video_url: 'https://cdn.test/plain.mp4', country: 'US', lang: 'Eng', start_hour: 0, end_hour: 0 },
    { id: 'weighted', video_url: 'https://cdn.test/w.mp4', country: 'fr', lang: 'fra', start_hour: 6, end_hour: 12, weight: 3 },
    { id: 'titled', video_url: 'https://cdn.test/t.webm', country: 'de', lang: 'deu', start_hour: 22, end_hour: 2, title: 'Winter', duration: 15 },
  ];
  // The rows in the short shape, each written as the hash has always read it: normalised feed
  // fields, weight only when not 1, creative fields only when given.
  const shortRows = [
    { id: 'plain', video_url: 'https://cdn.test/plain.mp4', country: 'us', lang: 'eng', start_hour: 0, end_hour: 0 },
    { id: 'weighted', video_url: 'https://cdn.test/w.mp4', country: 'fr', lang: 'fra', start_hour: 6, end_hour: 12, weight: 3 },
    { id: 'titled', video_url: 'https://cdn.test/t.webm', country: 'de', lang: 'deu', start_hour: 22, end_hour: 2, duration: 15, title: 'Winter' },
  ];
  const byHand = createHash('sha256');
  for (const r of shortRows) byHand.update(JSON.stringify(r) + '\n');
  const expected = byHand.digest('hex');
  // What adsContentHash gave for these rows before the campaign fields existed (86b57e4's parent).
  t.equal(expected, '9a158ee402777248d0a7a3dd163b9bef5df139e48938f59566c831be7eba0aae');
  t.equal(adsContentHash(validateFeed({ ads: plainRows }).ads), expected);
  const withNulls = plainRows.map((r) => ({ ...r, campaign_id: null, priority: null, house: false, weekdays: null, kv: null, frequency_cap: null }));
  t.equal(adsContentHash(validateFeed({ ads: withNulls }).ads), expected, 'null campaign fields and house: false change nothing');
  t.not(adsContentHash(validateFeed({ ads: [{ ...plainRows[0], priority: 0 }, ...plainRows.slice(1)] }).ads), expected, 'a campaign field given changes it');
});

t.test('instants at the ends of their range round-trip, and years before 100 stay themselves', async (t) => {
  const edges = [
    { ...rows[0], id: 'first', starts_at: '0000-01-01T00:00:00Z', ends_at: '0099-12-31T23:00:00-01:00' },
    { ...rows[0], id: 'last', starts_at: '9999-12-31T23:59:59+05:00', ends_at: '9999-12-31T23:59:59.999Z' },
  ];
  const { ads, rejectedTotal } = validateFeed({ ads: edges });
  t.equal(rejectedTotal, 0);
  const bytes = encodeAdsSnapshot(snapshotOf(ads));
  t.same(decodeAdsSnapshot(bytes).ads, ads);
  const written = (JSON.parse(bytes.toString()) as { data: { ads: Record<string, unknown>[] } }).data.ads;
  t.match(written[0], { starts_at: '0000-01-01T00:00:00.000Z', ends_at: '0100-01-01T00:00:00.000Z' });
  t.match(written[1], { starts_at: '9999-12-31T18:59:59.000Z', ends_at: '9999-12-31T23:59:59.999Z' });
});
