// Fair rotation: round-robin gives everyone the same share; smooth weighted round-robin gives each
// ad exactly its weight in every window of `total` picks, spread out rather than in bursts.

import t from 'tap';
import { Rotation } from '../../../../engine/decision/rotation.js';

const picks = (r: Rotation, n: number) => Array.from({ length: n }, () => r.next());

t.test('equal weights: round-robin in member order', async (t) => {
  const r = new Rotation(Uint32Array.from([7, 3, 9]), null, 3);
  t.same(picks(r, 7), [7, 3, 9, 7, 3, 9, 7]);
  const counts = new Map<number, number>();
  for (const o of picks(new Rotation(Uint32Array.from([1, 2, 3, 4, 5]), null, 5), 500)) counts.set(o, (counts.get(o) ?? 0) + 1);
  t.same([...counts.values()], [100, 100, 100, 100, 100]);
});

t.test('weights 5:1:1 give the nginx smooth sequence a a b a c a a', async (t) => {
  const weights = Uint16Array.from([5, 1, 1]); // by ordinal: 0 → a, 1 → b, 2 → c
  const r = new Rotation(Uint32Array.from([0, 1, 2]), weights, 7);
  t.same(picks(r, 14).map((o) => 'abc'[o]).join(''), 'aabacaa'.repeat(2));
});

t.test('every window of `total` consecutive picks holds each member exactly `weight` times', async (t) => {
  // Weights are looked up by ordinal in an index-wide table; members are a subset of ordinals.
  const table = new Uint16Array(10);
  const members = Uint32Array.from([2, 5, 6, 9]);
  const w = [3, 1, 4, 2];
  for (const [i, o] of members.entries()) table[o] = w[i]!;
  const total = 10;
  const seq = picks(new Rotation(members, table, total), total * 6);
  for (let start = 0; start + total <= seq.length; start += total) {
    const window = seq.slice(start, start + total);
    t.same(
      [...members].map((o) => window.filter((x) => x === o).length),
      w,
      `picks ${start}..${start + total - 1}`,
    );
  }
  // Spread: the heaviest member (weight 4 of 10) never runs three times in a row.
  t.notMatch(seq.join(','), /(^|,)6,6,6(,|$)/);
});
