// The campaign model in the compiled index, against an oracle that reads local time with Intl on
// its own: at every instant walked, the best tier on the air is exactly the ads whose flight,
// weekdays and hours in their zone hold, paid tiers above house ads. Walks cross both daylight-saving
// changes of Europe and of North America, zones a half and three quarters of an hour from UTC,
// and flights that start and end mid-hour, to the millisecond. Plans move from one stretch of time
// to the next as the engine's do, compiled here synchronously instead of on the builder thread.

import t, { type Test } from 'tap';
import { validateFeed, type Ad } from '../../../../core/domain/ads/feed.js';
import { PlayerMemory } from '../../../../engine/decision/player-memory.js';
import { Audience } from '../../../../engine/decision/audience.js';
import { isLiveAt } from '../../../../engine/decision/hours.js';
import { marketKeyOf } from '../../../../engine/decision/market.js';
import { ManualClock } from '../../../../core/runtime/clock.js';
import { AdIndex, planInput } from '../../../../engine/indexes/ad-index.js';
import { compilePlan } from '../../../../engine/indexes/plan.js';
import { row, type FeedRow } from '../../../helpers/feed-rows.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** An index whose plans for the next stretch are compiled on demand, as the builder thread would. */
/** The instant the test is at: what the engine's clock would say when compiled plans arrive. */
let now = 0;

function indexAt(rows: FeedRow[], asOf: number, denseFactor?: number): { index: AdIndex; ads: Ad[]; asked: number[] } {
  now = asOf;
  const ads = validateFeed({ ads: rows }).ads;
  const parts = AdIndex.compileParts(ads, 'v', asOf, denseFactor);
  const input = planInput(parts);
  const index = AdIndex.fromParts(parts);
  const asked: number[] = [];
  index.onPlanNeeded = (at) => {
    asked.push(at);
    index.addPlan(compilePlan(input, at, denseFactor), now);
  };
  index.start();
  return { index, ads, asked };
}

const formats = new Map<string, Intl.DateTimeFormat>();
/** Local weekday (0 = Sunday) and hour of an instant in a zone, read by Intl. */
function localTime(zone: string, at: number): { weekday: number; hour: number } {
  let f = formats.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
    formats.set(zone, f);
  }
  const parts = f.formatToParts(at);
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.find((p) => p.type === 'weekday')!.value);
  return { weekday, hour: Number(parts.find((p) => p.type === 'hour')!.value) };
}

/** The oracle: is an ad on the air at an instant. */
function onAir(ad: Ad, at: number): boolean {
  if (ad.startsAt !== undefined && at < ad.startsAt) return false;
  if (ad.endsAt !== undefined && at >= ad.endsAt) return false;
  const { weekday, hour } = localTime(ad.timezone ?? 'UTC', at);
  if (ad.weekdays !== undefined && (ad.weekdays & (1 << weekday)) === 0) return false;
  return isLiveAt(ad.startHour, ad.endHour, hour);
}

/** The oracle's best tier: the on-air ads of the highest rank (paid above house), feed order. */
function bestTier(ads: Ad[], country: string, lang: string, at: number): string[] {
  const live = ads.filter((a) => a.country === country && a.lang === lang && onAir(a, at));
  const rank = (a: Ad) => (a.house === true ? 0 : 10_000) + (a.priority ?? 0);
  const top = Math.max(...live.map(rank));
  return live.filter((a) => rank(a) === top).map((a) => a.id);
}

function walk(t: Test, rows: FeedRow[], from: number, to: number, step: number, markets: [string, string][], denseFactor?: number): void {
  const { index, ads } = indexAt(rows, from, denseFactor);
  let checked = 0;
  for (let at = from; at < to; at += step) {
    now = at;
    for (const [country, lang] of markets) {
      const got = index.liveTiers(marketKeyOf(country, lang), at)[0] ?? [];
      const expected = bestTier(ads, country, lang, at);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        t.same(got, expected, `${country}/${lang} at ${new Date(at).toISOString()}`);
        return;
      }
      checked++;
    }
  }
  t.pass(`${checked} (market, instant) pairs agree`);
}

// Rows in zones with daylight saving, dayparts across the changes' hours, weekdays.
const zoned: FeedRow[] = [
  row('paris-night', 'fr', 'fra', 1, 4, { timezone: 'Europe/Paris' }),
  row('paris-day', 'fr', 'fra', 9, 18, { timezone: 'Europe/Paris', weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'] }),
  row('paris-weekend', 'fr', 'fra', 0, 0, { timezone: 'Europe/Paris', weekdays: ['sat', 'sun'] }),
  row('paris-2to3', 'fr', 'fra', 2, 3, { timezone: 'Europe/Paris' }),
  row('ny-evening', 'us', 'eng', 18, 23, { timezone: 'America/New_York' }),
  row('ny-1to2', 'us', 'eng', 1, 2, { timezone: 'America/New_York' }),
  row('ny-sunday', 'us', 'eng', 22, 6, { timezone: 'America/New_York', weekdays: ['sun'] }),
  row('utc-morning', 'us', 'eng', 6, 10),
  row('kolkata', 'in', 'hin', 9, 17, { timezone: 'Asia/Kolkata' }),
  row('kathmandu', 'in', 'hin', 20, 2, { timezone: 'Asia/Kathmandu', weekdays: ['fri', 'sat'] }),
  row('in-utc', 'in', 'hin', 3, 5),
];
const zonedMarkets: [string, string][] = [['fr', 'fra'], ['us', 'eng'], ['in', 'hin']];

t.test('a day walk every 15 minutes across each daylight-saving change agrees with the oracle', async (t) => {
  for (const day of [Date.UTC(2026, 2, 29), Date.UTC(2026, 9, 25), Date.UTC(2026, 2, 8), Date.UTC(2026, 10, 1)]) {
    walk(t, zoned, day - 12 * HOUR, day + 36 * HOUR, 15 * MINUTE, zonedMarkets);
  }
});

t.test('a week walk, hour by hour, sees every weekday rule in every zone', async (t) => {
  walk(t, zoned, Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 9), HOUR, zonedMarkets);
});

t.test('dense tiers (one rotation, the slot checked on the draw) agree with the oracle on the same walks', async (t) => {
  // Factor 0: every tier is dense, whatever its sets cost.
  for (const day of [Date.UTC(2026, 2, 29), Date.UTC(2026, 9, 25), Date.UTC(2026, 2, 8), Date.UTC(2026, 10, 1)]) {
    walk(t, zoned, day - 12 * HOUR, day + 36 * HOUR, 15 * MINUTE, zonedMarkets, 0);
  }
  walk(t, zoned, Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 9), HOUR, zonedMarkets, 0);
  // Picks from a dense tier are only ads on the air, in rotation, weights and no-repeat kept.
  const rows = [
    row('night', 'fr', 'fra', 22, 6, { timezone: 'Europe/Paris' }),
    row('day-a', 'fr', 'fra', 8, 20, { timezone: 'Europe/Paris', weight: 2 }),
    row('day-b', 'fr', 'fra', 8, 20, { timezone: 'Europe/Paris' }),
  ];
  const { index } = indexAt(rows, Date.UTC(2026, 5, 1), 0);
  const m = marketKeyOf('fr', 'fra');
  const noon = Date.UTC(2026, 5, 1, 10);
  const picks = Array.from({ length: 6 }, () => index.idAt(index.pick(m, noon)));
  t.same(picks.filter((id) => id === 'day-a').length, 4, 'weights hold among the ads on the air');
  t.notOk(picks.includes('night'), 'an ad off the air is never drawn');
  t.equal(index.idAt(index.pick(m, Date.UTC(2026, 5, 1, 23))), 'night');
});

t.test('a plan boundary is the daylight-saving change itself, to the millisecond', async (t) => {
  // Europe/Paris springs forward at 01:00 UTC on 2026-03-29: 01:59:59.999 local is followed by 03:00.
  const change = Date.UTC(2026, 2, 29, 1);
  const { index } = indexAt([row('paris-2to3', 'fr', 'fra', 2, 3, { timezone: 'Europe/Paris' }), row('x', 'fr', 'fra', 1, 2, { timezone: 'Europe/Paris' })], change - HOUR);
  t.equal(index.stretch.until, change, 'the first plans end at the change');
  const m = marketKeyOf('fr', 'fra');
  t.same(index.liveIds(m, change - 1), ['x'], '01:59:59.999 local');
  t.same(index.liveIds(m, change), [], '03:00 local: 02:00 to 03:00 did not happen');
  // Back in October: 02:00 to 03:00 local happens twice (00:00 and 01:00 UTC).
  const fall = Date.UTC(2026, 9, 25, 1);
  const later = indexAt([row('paris-2to3', 'fr', 'fra', 2, 3, { timezone: 'Europe/Paris' })], fall - 2 * HOUR).index;
  t.same(later.liveIds(m, fall - HOUR), ['paris-2to3'], 'first 02:00 (summer time)');
  t.same(later.liveIds(m, fall), ['paris-2to3'], 'second 02:00 (winter time)');
  t.same(later.liveIds(m, fall + HOUR), [], '03:00 winter time');
});

t.test('flights start and end mid-hour, to the millisecond, and plans move at each edge', async (t) => {
  const start = Date.UTC(2026, 11, 1, 10, 20, 30, 250);
  const end = Date.UTC(2026, 11, 1, 11, 40);
  const rows = [
    row('flight', 'us', 'eng', 0, 0, { starts_at: new Date(start).toISOString(), ends_at: '2026-12-01T06:40:00-05:00', priority: 1 }),
    row('always', 'us', 'eng'),
  ];
  const { index, asked } = indexAt(rows, start - HOUR);
  const m = marketKeyOf('us', 'eng');
  t.same(index.liveTiers(m, start - 1), [['always']], '1 ms before the flight');
  t.same(index.liveTiers(m, start), [['flight'], ['always']], 'at its first millisecond: the higher tier');
  t.same(index.liveTiers(m, end - 1), [['flight'], ['always']], 'its last millisecond');
  t.same(index.liveTiers(m, end), [['always']], 'at its end');
  t.same(asked, [start, end], 'each stretch asked for once, at its start');
  t.equal(index.stretch.until, Infinity, 'after the last edge nothing changes');
  // Picks follow: the flight's tier wins while it runs.
  const { index: picking } = indexAt(rows, start - HOUR);
  const ids = [start - 1, start, end - 1, end].map((at) => picking.idAt(picking.pick(m, at)));
  t.same(ids, ['always', 'flight', 'flight', 'always']);
  // Flight walk every minute plus both edges against the oracle.
  walk(t, [...rows, row('f2', 'us', 'eng', 0, 0, { starts_at: '2026-12-01T10:59:59.999Z', ends_at: '2026-12-01T11:00:00.001Z', priority: 1 })], start - HOUR, end + HOUR, MINUTE, [['us', 'eng']]);
});

t.test('tiers: the best tier with an ad on the air wins, in rotation; house ads only when no paid ad is', async (t) => {
  const rows = [
    row('p5-a', 'us', 'eng', 9, 12, { priority: 5 }),
    row('p5-b', 'us', 'eng', 9, 12, { priority: 5 }),
    row('p0', 'us', 'eng', 0, 0),
    row('house-high', 'us', 'eng', 0, 0, { house: true, priority: 9 }),
    row('house-low', 'us', 'eng', 0, 0, { house: true }),
    row('gb-paid', 'gb', 'eng', 9, 12),
    row('gb-house', 'gb', 'eng', 0, 0, { house: true }),
  ];
  const { index } = indexAt(rows, 0);
  const us = marketKeyOf('us', 'eng');
  const gb = marketKeyOf('gb', 'eng');
  const at = (h: number) => Date.UTC(2026, 0, 5, h);
  t.same(index.liveTiers(us, at(10)), [['p5-a', 'p5-b'], ['p0'], ['house-high'], ['house-low']]);
  t.same([1, 2, 3, 4].map(() => index.idAt(index.pick(us, at(10)))), ['p5-a', 'p5-b', 'p5-a', 'p5-b'], 'rotation inside the tier');
  t.same([1, 2].map(() => index.idAt(index.pick(us, at(13)))), ['p0', 'p0'], 'the next tier when the best is off the air');
  t.same(index.idAt(index.pick(gb, at(10))), 'gb-paid');
  t.same(index.idAt(index.pick(gb, at(13))), 'gb-house', 'house ad instead of no ad');
  t.equal(index.pick(marketKeyOf('de', 'deu'), at(13)), -1, 'a market with neither: no ad');
});

t.test('platforms and key-values: an ad is offered only to requests that match it; the next tier otherwise', async (t) => {
  const rows = [
    row('ios-only', 'us', 'eng', 0, 0, { platforms: ['ios'], priority: 3 }),
    row('consoles', 'us', 'eng', 0, 0, { platforms: ['switch', 'xbox', 'playstation'], priority: 3 }),
    row('level-1-2', 'us', 'eng', 0, 0, { kv: { level: ['1', '2'] }, priority: 2 }),
    row('hard-level-2', 'us', 'eng', 0, 0, { kv: { level: ['2'], mode: ['hard'] }, priority: 2 }),
    row('anyone', 'us', 'eng'),
  ];
  const { index } = indexAt(rows, 0);
  const m = marketKeyOf('us', 'eng');
  const audience = new Audience(null);
  const pick = (platform: number, kv: [string, string][]) => {
    audience.reset(null, 0);
    audience.platform = platform;
    for (const [k, v] of kv) audience.addKv(k, v);
    return index.idAt(index.pick(m, 0, audience));
  };
  const IOS = 1 << 0;
  const SWITCH = 1 << 5;
  const WEB = 1 << 8;
  t.same([pick(IOS, []), pick(IOS, [])], ['ios-only', 'ios-only']);
  t.same([pick(SWITCH, []), pick(SWITCH, [])], ['consoles', 'consoles']);
  t.equal(pick(WEB, []), 'anyone', 'no platform match, no key-values: the untargeted tier');
  t.equal(pick(0, []), 'anyone', 'a request that names no platform gets no platform-targeted ad');
  t.equal(pick(WEB, [['level', '1']]), 'level-1-2');
  t.same([pick(WEB, [['level', '2'], ['mode', 'hard']]), pick(WEB, [['level', '2'], ['mode', 'hard']])].sort(), ['hard-level-2', 'level-1-2'], 'both match: rotation among them');
  t.equal(pick(WEB, [['level', '3']]), 'anyone');
  t.equal(pick(WEB, [['mode', 'hard']]), 'anyone', 'every key of the rule must be in the request');
});

t.test('frequency caps per ad and per campaign (from any of its rows), per player, in a sliding window; no player, no cap', async (t) => {
  const rows = [
    row('capped', 'us', 'eng', 0, 0, { priority: 2, frequency_cap: { count: 2, seconds: 3600 } }),
    row('camp-a', 'us', 'eng', 0, 0, { priority: 1, campaign_id: 'c', campaign_frequency_cap: { count: 3, seconds: 600 } }),
    row('camp-b', 'us', 'eng', 0, 0, { priority: 1, campaign_id: 'c' }),
    row('filler', 'us', 'eng'),
  ];
  const { index } = indexAt(rows, 0);
  const m = marketKeyOf('us', 'eng');
  const clock = new ManualClock(Date.UTC(2031, 0, 1));
  const memory = new PlayerMemory({ maxEntries: 100, ttlMs: 60_000, clock });
  const audience = new Audience(memory);
  const pick = (player: string | null) => {
    audience.reset(player, clock.now());
    return index.idAt(index.pick(m, clock.now(), audience));
  };
  const seen = Array.from({ length: 7 }, () => {
    const id = pick('p1');
    clock.advance(MINUTE);
    return id;
  });
  // A tier of one ad may repeat it (no-repeat needs another ad in the tier); the cap stops it.
  t.same(seen, ['capped', 'capped', 'camp-a', 'camp-b', 'camp-a', 'filler', 'filler'], 'two of the ad, three of the campaign, then the next tier');
  t.equal(pick('p2'), 'capped', 'another player is not capped');
  t.equal(pick(null), 'capped', 'without a player id there is nothing to count');
  // Campaign views at minutes 2, 3 and 4; at minute 13 the 10-minute window holds two of them.
  clock.advance(6 * MINUTE);
  t.equal(pick('p1'), 'camp-b', 'the campaign window (10 min) slid past its first views; the ad window (1 h) did not');
});
