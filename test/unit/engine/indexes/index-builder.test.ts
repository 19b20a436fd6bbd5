// Building the index on a worker thread: the index that comes back answers exactly like one compiled
// on the spot (every market, every hour, rotation order and weights), and bad bytes are refused with
// the decoder's error code, after which the builder still works.

import t from 'tap';
import { validateFeed } from '../../../../core/domain/ads/feed.js';
import { marketKeyOf } from '../../../../engine/decision/market.js';
import { AdIndex } from '../../../../engine/indexes/ad-index.js';
import { IndexBuilder } from '../../../../engine/indexes/index-builder.js';
import { compileAdsSnapshot } from '../../../../syncer/compile/ads-snapshot.js';
import { row } from '../../../helpers/feed-rows.js';
import { vastPiecesOf } from '../../../helpers/vast-pieces.js';

// Seeded mix: wrap-around windows, all-day ads, weights, escaped ids, creative fields, several markets.
let seed = 11;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const rows = Array.from({ length: 300 }, (_, i) =>
  row(i % 17 === 0 ? `q"${i}` : `r${i}`, ['us', 'fr', 'de'][i % 3]!, ['eng', 'fra'][i % 2]!, Math.floor(random() * 24), Math.floor(random() * 24), {
    ...(random() < 0.3 ? { weight: 1 + Math.floor(random() * 4) } : {}),
    ...(i % 5 === 0 ? { title: `T&${i}`, duration: 5 + (i % 7), click_url: `https://brand.test/${i % 3}?a&b` } : {}),
  }),
);
const ads = validateFeed({ ads: rows }).ads;

const picks = (index: AdIndex) =>
  ['us', 'fr', 'de'].flatMap((c) => ['eng', 'fra'].flatMap((l) => Array.from({ length: 24 }, (_, h) =>
    Array.from({ length: 12 }, () => index.next(marketKeyOf(c, l), h * 3_600_000)?.toString() ?? null),
  )));

t.test('toParts → fromParts gives an index that answers exactly like the original', async (t) => {
  const original = AdIndex.compile(ads, 'v1');
  const copy = AdIndex.fromParts(AdIndex.compile(ads, 'v1').toParts());
  t.equal(copy.version, 'v1');
  t.equal(copy.adCount, original.adCount);
  t.equal(copy.marketCount, original.marketCount);
  for (const c of ['us', 'fr', 'de']) for (const l of ['eng', 'fra']) for (let h = 0; h < 24; h++) {
    t.same(copy.liveIds(marketKeyOf(c, l), h * 3_600_000), original.liveIds(marketKeyOf(c, l), h * 3_600_000), `${c}/${l} ${h}h`);
  }
  t.same(picks(copy), picks(original), 'same bodies in the same rotation order, weights included');
  for (let o = 0; o < original.adCount; o++) t.same(vastPiecesOf(copy, o), vastPiecesOf(original, o), `ad ${o}: the same VAST pieces`);
});

t.test('IndexBuilder: handed-over bytes that fill their buffer move to the thread; a view into a bigger buffer is copied', async (t) => {
  const builder = new IndexBuilder();
  const snapshot = compileAdsSnapshot(ads, Date.UTC(2030, 0, 1));
  const own = new Uint8Array(snapshot.bytes);
  t.equal((await builder.build(own, { handOver: true, asOf: 0 })).index.adCount, ads.length);
  t.equal(own.byteLength, 0, 'moved: detached here');
  const bigger = new Uint8Array(snapshot.bytes.length + 8);
  bigger.set(snapshot.bytes, 4);
  const view = bigger.subarray(4, 4 + snapshot.bytes.length);
  t.equal((await builder.build(view, { handOver: true, asOf: 0 })).index.adCount, ads.length);
  t.same(Buffer.from(view), snapshot.bytes, 'copied: still here');
  const kept = new Uint8Array(snapshot.bytes);
  await builder.build(kept, { asOf: 0 });
  t.same(Buffer.from(kept), snapshot.bytes, 'not handed over: still here');
});

t.test('IndexBuilder: compiles on a worker thread; corrupt bytes are refused; it keeps working', async (t) => {
  const builder = new IndexBuilder();
  const snapshot = compileAdsSnapshot(ads, Date.UTC(2030, 0, 1));
  const built = await builder.build(snapshot.bytes, { asOf: 0 });
  t.equal(built.index.version, snapshot.snapshot.version);
  t.equal(built.createdAtMs, Date.UTC(2030, 0, 1));
  t.same(picks(built.index), picks(AdIndex.compile(ads, 'x')));
  await t.rejects(builder.build(Buffer.from('{"kind":"ads"'), { asOf: 0 }), { code: 'SNAPSHOT_CORRUPT' });
  const again = await builder.build(snapshot.bytes, { asOf: 0 });
  t.equal(again.index.adCount, ads.length, 'builds again after a refusal');
});
