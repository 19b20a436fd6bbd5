// Feed validation: every rule drops the row with its reason and never throws; duplicates keep the
// last row; only an unusable document or one with no valid row is refused.

import t from 'tap';
import { parseFeed, rejectReasons, validateFeed, validateRow } from '../../../../../core/domain/ads/feed.js';

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
  ];
  for (const [row, reason] of cases) t.equal(validateRow(row), reason, JSON.stringify(row)?.slice(0, 80));
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
