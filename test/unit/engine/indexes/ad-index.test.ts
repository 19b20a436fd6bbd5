// The compiled index against an oracle: for every hour of the day each market serves exactly the ads
// whose window is live, the bodies are the exact JSON, the VAST pieces the escaped feed values, and
// the no-repeat rule holds per player.

import t from 'tap';
import { ManualClock } from '../../../../core/runtime/clock.js';
import { validateFeed, type Ad } from '../../../../core/domain/ads/feed.js';
import { isLiveAt } from '../../../../engine/decision/hours.js';
import { marketKeyOf } from '../../../../engine/decision/market.js';
import { Audience } from '../../../../engine/decision/audience.js';
import { PlayerMemory } from '../../../../engine/decision/player-memory.js';
import { AdIndex } from '../../../../engine/indexes/ad-index.js';
import { clickThroughPiece, escapeXml, mediaPiece } from '../../../../engine/indexes/vast.js';
import { vastPiecesOf } from '../../../helpers/vast-pieces.js';
import { row } from '../../../helpers/feed-rows.js';

const compile = (rows: unknown[]) => AdIndex.compile(validateFeed({ ads: rows }).ads, 'v-test');
const memory = (max = 100, ttlMs = 60_000, clock = new ManualClock(0)) => new PlayerMemory({ maxEntries: max, ttlMs, clock });
/** An instant in UTC hour h (of 1970-01-01: feeds without campaign fields do not depend on the day). */
const at = (h: number) => h * 3_600_000;
const as = (mem: PlayerMemory, player: string, now: number) => {
  const a = new Audience(mem);
  a.reset(player, now);
  return a;
};
const idOf = (b: Buffer | null) => (b === null ? null : (JSON.parse(b.toString()) as { id: string }).id);

t.test('live sets match the hour rules for every hour, on a random feed (seeded)', async (t) => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const rows = Array.from({ length: 400 }, (_, i) =>
    row(`r${i}`, ['us', 'fr', 'de'][i % 3]!, ['eng', 'fra'][i % 2]!, Math.floor(random() * 24), Math.floor(random() * 24), random() < 0.2 ? { weight: 2 } : {}),
  );
  const ads: Ad[] = validateFeed({ ads: rows }).ads;
  const index = AdIndex.compile(ads, 'v');
  t.equal(index.adCount, 400);
  t.equal(index.marketCount, 6);
  for (const country of ['us', 'fr', 'de']) {
    for (const lang of ['eng', 'fra']) {
      for (let h = 0; h < 24; h++) {
        const expected = ads.filter((a) => a.country === country && a.lang === lang && isLiveAt(a.startHour, a.endHour, h)).map((a) => a.id);
        t.same(index.liveIds(marketKeyOf(country, lang), at(h)), expected, `${country}/${lang} at ${h}`);
      }
    }
  }
});

t.test('bodies are exact JSON, escaping included; unknown market or empty hour is null', async (t) => {
  const index = compile([row('a"q\\ü', 'us', 'eng', 0, 0), row('n', 'us', 'eng', 3, 4)]);
  t.same(JSON.parse(index.next(marketKeyOf('us', 'eng'), at(5))!.toString()), { id: 'a"q\\ü', video_url: 'https://cdn.test/a"q\\ü.mp4' });
  t.equal(index.next(marketKeyOf('fr', 'fra'), at(5)), null);
  const other = compile([row('x', 'de', 'deu', 9, 10)]);
  t.equal(other.next(marketKeyOf('de', 'deu'), at(8)), null);
  t.equal(idOf(other.next(marketKeyOf('de', 'deu'), at(9))), 'x');
});

t.test('bodies are byte-exact JSON.stringify output, plain and escaped ads interleaved', async (t) => {
  // Plain ids and URLs take the template fast path, the rest JSON.stringify; offsets must line up.
  const ids = ['plain-1', 'quo"te', 'plain-2', 'back\\slash', 'ünï', 'plain-3', '日本', 'del\x7f'];
  const countries = ['us', 'fr', 'de', 'es', 'it', 'nl', 'jp', 'br'];
  const index = compile(ids.map((id, i) => row(id, countries[i]!, 'eng', 0, 0)));
  ids.forEach((id, i) => {
    const body = index.next(marketKeyOf(countries[i]!, 'eng'), at(12))!;
    t.same(body, Buffer.from(JSON.stringify({ id, video_url: `https://cdn.test/${id}.mp4` })), JSON.stringify(id));
  });
});

t.test('ids come back exactly as the feed spelled them, whatever their characters', async (t) => {
  // Kept as code units, one byte each when every id is Latin-1, else two: a lone surrogate would not survive UTF-8.
  const latin1 = ['plain', 'ünï', 'del\x7f', '\xa0\xff', 'q"\\', 'x'.repeat(128)];
  const wide = [...latin1, '日本', '\ud800lone', 'pair\ud83c\udfae'];
  for (const ids of [latin1, wide]) {
    const index = compile(ids.map((id) => row(id, 'us', 'eng', 0, 0)));
    t.same(index.liveIds(marketKeyOf('us', 'eng'), at(7)), ids);
    const mem = memory();
    for (const id of ids) {
      index.next(marketKeyOf('us', 'eng'), at(7), as(mem, 'p', at(7)));
      t.equal(mem.last('p'), id, 'player memory holds the same string');
    }
  }
});

t.test('rotation continues across adjacent hours with the same set, and across midnight', async (t) => {
  const index = compile([row('a', 'us', 'eng', 22, 2), row('b', 'us', 'eng', 22, 2)]);
  const m = marketKeyOf('us', 'eng');
  t.same([22, 23, 0, 1].map((h) => idOf(index.next(m, at(h)))), ['a', 'b', 'a', 'b']);
});

t.test('weights: shares follow the weights', async (t) => {
  const index = compile([row('heavy', 'us', 'eng', 0, 0, { weight: 3 }), row('light', 'us', 'eng', 0, 0)]);
  const seen = Array.from({ length: 40 }, () => idOf(index.next(marketKeyOf('us', 'eng'), at(12))));
  t.equal(seen.filter((id) => id === 'heavy').length, 30);
  t.equal(seen.filter((id) => id === 'light').length, 10);
});

t.test('player memory: no repeat while another is live; bounded by entries and by TTL', async (t) => {
  const index = compile([row('a', 'us', 'eng', 0, 0, { weight: 5 }), row('b', 'us', 'eng', 0, 0), row('only', 'fr', 'fra', 0, 0)]);
  const m = marketKeyOf('us', 'eng');
  const mem = memory();
  let last: string | null = null;
  for (let i = 0; i < 60; i++) {
    const id = idOf(index.next(m, at(0), as(mem, 'p1', at(0))));
    t.not(id, last, `pick ${i}`);
    last = id;
  }
  t.same([1, 2, 3].map(() => idOf(index.next(marketKeyOf('fr', 'fra'), at(0), as(mem, 'p1', at(0))))), ['only', 'only', 'only'], 'the only ad beats none');

  const small = memory(2);
  index.next(m, at(0), as(small, 'x', at(0)));
  index.next(m, at(0), as(small, 'y', at(0)));
  index.next(m, at(0), as(small, 'z', at(0)));
  t.equal(small.size, 2, 'at most maxEntries players');
  t.equal(small.last('x'), undefined, 'the least recently used player was evicted');

  const clock = new ManualClock(Date.UTC(2031, 0, 1)); // lru-cache treats a start time of 0 as "none"
  const aging = memory(100, 1_000, clock);
  aging.remember('p', 'a');
  clock.advance(999);
  t.equal(aging.last('p'), 'a');
  clock.advance(2);
  t.equal(aging.last('p'), undefined, 'forgotten after the TTL');
});

t.test('VAST pieces: every ad\'s id, title, URL, media and click-through, escaped, plain and escaped ads interleaved', async (t) => {
  const rows = [
    row('plain-1', 'us', 'eng'),
    row('amp&id', 'us', 'eng'),
    row('quo"te', 'us', 'eng', 0, 0, { video_url: 'https://cdn.test/q.mp4?a=1&b=2' }),
    row('plain-2', 'us', 'eng', 0, 0, { video_url: 'https://cdn.test/p2.mp4?a=1&b=<2>' }),
    row('日本', 'us', 'eng', 0, 0, { title: 'Nippon & co' }),
    row('plain-3', 'us', 'eng', 0, 0, { click_url: 'https://brand.test/?x=1&y=2', duration: 10, width: 320, height: 240, bitrate: 300, mime: 'video/ogg' }),
    row('ctl\u0001\ud800', 'us', 'eng', 0, 0, { title: 'T\tab', video_url: 'https://cdn.test/\u0001.webm' }),
    row('back\\slash', 'us', 'eng'),
  ];
  const ads = validateFeed({ ads: rows }).ads;
  const index = AdIndex.compile(ads, 'v');
  ads.forEach((ad, i) => {
    t.same(
      vastPiecesOf(index, i),
      [escapeXml(ad.id), escapeXml(ad.title ?? ad.id), escapeXml(ad.videoUrl), mediaPiece(ad), ad.clickUrl === undefined ? '' : clickThroughPiece(ad.clickUrl)],
      JSON.stringify(ad.id),
    );
    t.equal(index.body(i).toString(), JSON.stringify({ id: ad.id, video_url: ad.videoUrl }), `${JSON.stringify(ad.id)}: its JSON body is untouched`);
  });
});

t.test('VAST pieces cost a plain ad 4 bytes: ads without creative fields share one record and read the rest from their body', async (t) => {
  const n = 1000;
  const plain = AdIndex.compile(validateFeed({ ads: Array.from({ length: n }, (_, i) => row(`ad-${i}`, 'us', 'eng')) }).ads, 'v');
  const parts = plain.toParts();
  t.equal(parts.vastRecords.length, 5, 'one record');
  t.equal(parts.vastRecordOf.length, n);
  t.equal(parts.vastPieces.length, 2, 'one piece: the default media');
  t.ok(parts.slab.length - parts.offsets[n]! < 200, 'the pieces after the bodies are a few bytes');
  t.equal(vastPiecesOf(plain, 7)[0], 'ad-7');
  t.equal(vastPiecesOf(plain, 7)[2], 'https://cdn.test/ad-7.mp4');

  // The same ads with titles: one title piece and one record each.
  const titled = AdIndex.compile(validateFeed({ ads: Array.from({ length: n }, (_, i) => row(`ad-${i}`, 'us', 'eng', 0, 0, { title: `Title ${i}` })) }).ads, 'v');
  t.equal(titled.toParts().vastRecords.length, 5 * n);
  t.ok(titled.approxBytes > plain.approxBytes + n * (20 + 4 + 'Title 999'.length - 4), 'the gauge counts them');
});
