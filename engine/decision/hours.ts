// Hour windows, as the README's GET /ad_request section states them: UTC; start inclusive, end exclusive; end 0 is
// midnight (end of day); start > end wraps past midnight; start = end is all day.

export const HOURS_PER_DAY = 24;
const MS_PER_HOUR = 3_600_000;

/** Window length in hours; 0 means all day. */
export function windowLength(startHour: number, endHour: number): number {
  return (endHour - startHour + HOURS_PER_DAY) % HOURS_PER_DAY;
}

export function isLiveAt(startHour: number, endHour: number, hour: number): boolean {
  const length = windowLength(startHour, endHour);
  return length === 0 || (hour - startHour + HOURS_PER_DAY) % HOURS_PER_DAY < length;
}

/** Bit h set ⇔ the window is live during UTC hour h. */
export function hourMask(startHour: number, endHour: number): number {
  let mask = 0;
  for (let h = 0; h < HOURS_PER_DAY; h++) if (isLiveAt(startHour, endHour, h)) mask |= 1 << h;
  return mask;
}

/** The UTC hour (0–23) of an epoch-milliseconds instant. */
export function utcHour(epochMs: number): number {
  return Math.floor(epochMs / MS_PER_HOUR) % HOURS_PER_DAY;
}
