// Feed validation: every rule drops the row with its reason and never throws; duplicates keep the
// last row; only an unusable document or one with no valid row is refused.

import t from 'tap';
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

t.test('unusable documents are refused with FeedRejectedError', async (t) => {
  const refused = (f: () => unknown, message: RegExp) => t.throws(f, { code: 'FEED_REJECTED', name: 'FeedRejectedError', message });
  refused(() => parseFeed('{"ads": ['), /not valid JSON/);
  refused(() => parseFeed('[]'), /"ads" array/);
  refused(() => validateFeed({ ads: {} }), /"ads" array/);
  refused(() => validateFeed(null), /"ads" array/);
  refused(() => validateFeed({ ads: [] }), /no valid row \(0 rows, 0 rejected\)/);
  refused(() => validateFeed({ ads: [{ ...good, country: 'usa' }, {}] }), /no valid row \(2 rows, 2 rejected\)/);
});
