// Hour windows (README "GET /ad_request"): UTC, start inclusive, end exclusive, end 0 = midnight, wrap past
// midnight when start > end, all day when start = end.

import t from 'tap';
import { hourMask, isLiveAt, utcHour, windowLength } from '../../../../engine/decision/hours.js';

const liveHours = (start: number, end: number) => Array.from({ length: 24 }, (_, h) => h).filter((h) => isLiveAt(start, end, h));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

t.test('windows over all 24 hours', async (t) => {
  t.same(liveHours(10, 14), [10, 11, 12, 13], 'end is exclusive: 14 serves until 13:59:59');
  t.same(liveHours(14, 2), [0, 1, ...range(14, 24)], '14→2 wraps past midnight');
  t.same(liveHours(22, 4), [0, 1, 2, 3, 22, 23]);
  t.same(liveHours(18, 0), range(18, 24), 'end 0 is midnight');
  t.same(liveHours(0, 0), range(0, 24), '0→0 is all day');
  t.same(liveHours(6, 6), range(0, 24), 'any start = end is all day');
  t.same(liveHours(23, 0), [23]);
  t.same(liveHours(0, 1), [0]);
  t.equal(windowLength(10, 14), 4);
  t.equal(windowLength(14, 2), 12);
  t.equal(windowLength(5, 5), 0);
});

t.test('hourMask agrees with isLiveAt for every (start, end)', async (t) => {
  let checked = 0;
  for (let s = 0; s < 24; s++) {
    for (let e = 0; e < 24; e++) {
      const mask = hourMask(s, e);
      for (let h = 0; h < 24; h++) if (((mask >> h) & 1) === 1 !== isLiveAt(s, e, h)) t.fail(`${s}→${e} at ${h}`);
      checked++;
    }
  }
  t.equal(checked, 576);
});

t.test('utcHour at the :59:59.999 → :00:00 boundaries', async (t) => {
  for (let h = 0; h < 24; h++) {
    const top = Date.UTC(2031, 2, 9, h);
    t.equal(utcHour(top), h, `${h}:00:00.000`);
    t.equal(utcHour(top - 1), (h + 23) % 24, `${h}:00 minus 1 ms`);
    t.equal(utcHour(top + 3_599_999), h, `${h}:59:59.999`);
  }
});
