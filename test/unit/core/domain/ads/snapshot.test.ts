// The ads snapshot (core/domain/ads/snapshot.ts): what the syncer writes, every engine decodes with
// the same row rules, so every field of an ad, the creative ones included, survives the trip, and
// a snapshot that breaks a rule is refused whole.

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
