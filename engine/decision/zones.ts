// Time-zone offsets and their changes, for the index compiler only (never on a request): the ad
// index is compiled for a stretch of time in which every zone it uses keeps one UTC offset, so a
// request maps its instant to a slot with one division (README "Campaigns", docs/architecture.md
// "A request's path"). Offsets come from ICU through Intl, the tz database Node ships with.

const DAY_MS = 86_400_000;
/** How far the search for an offset change looks: beyond, a zone is treated as changeless. */
export const ZONE_SEARCH_DAYS = 400;

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset at an instant, in minutes east of Greenwich (Paris in winter: 60). */
export function offsetMinutes(zone: string, at: number): number {
  if (zone === 'UTC') return 0;
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formats.set(zone, format);
  }
  // "GMT", "GMT+05:30", "GMT-03:00"
  const name = format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  if (name.length <= 3) return 0;
  const sign = name.charCodeAt(3) === 45 /* - */ ? -1 : 1;
  return sign * (Number(name.slice(4, 6)) * 60 + Number(name.slice(7, 9) || '0'));
}

/**
 * The stretch around `at` in which the zone keeps the offset it has at `at`: [from, until), from the
 * change before (or -Infinity) to the change after (or +Infinity), each found to the millisecond
 * within ZONE_SEARCH_DAYS.
 */
export function steadyOffset(zone: string, at: number): { offset: number; from: number; until: number } {
  const offset = offsetMinutes(zone, at);
  if (zone === 'UTC') return { offset, from: -Infinity, until: Infinity };
  return { offset, from: edge(zone, at, offset, -1), until: edge(zone, at, offset, 1) };
}

/** The first instant (dir 1) or the earliest instant still at `offset` (dir -1) across the next change. */
function edge(zone: string, at: number, offset: number, dir: 1 | -1): number {
  let inside = at;
  for (let day = 1; day <= ZONE_SEARCH_DAYS; day++) {
    const probe = at + dir * day * DAY_MS;
    if (offsetMinutes(zone, probe) === offset) {
      inside = probe;
      continue;
    }
    // The change is between `inside` (old offset) and `probe` (new): bisect to the millisecond.
    let a = inside;
    let b = probe;
    while (Math.abs(b - a) > 1) {
      const mid = a + Math.trunc((b - a) / 2);
      if (offsetMinutes(zone, mid) === offset) a = mid;
      else b = mid;
    }
    return dir === 1 ? b : a;
  }
  return dir * Infinity;
}
