// Time as a dependency. Everything that depends on "now" (hour buckets, player memory TTL, snapshot
// ages) takes a Clock, so tests can walk every hour of the day and the :59:59 → :00:00 boundaries.

export interface Clock {
  /** Milliseconds since the Unix epoch, like Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: Date.now };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
