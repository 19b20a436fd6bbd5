// Which ad each player saw last, so a player is not shown the same ad twice in a row while the
// bucket has another. Bounded on both axes (entries and age) with lru-cache: a flood of random
// player ids evicts old entries instead of growing the heap.

import { LRUCache } from 'lru-cache';
import type { Clock } from '../../core/runtime/clock.js';

export interface PlayerMemoryOptions {
  maxEntries: number;
  ttlMs: number;
  clock: Clock;
}

export class PlayerMemory {
  private readonly lastAd: LRUCache<string, string>;

  constructor({ maxEntries, ttlMs, clock }: PlayerMemoryOptions) {
    this.lastAd = new LRUCache<string, string>({
      max: maxEntries,
      ttl: ttlMs,
      // Age is checked on read against our clock; no timers (ttlAutopurge off) on the hot path.
      ttlAutopurge: false,
      // Read the clock on every check instead of caching "now" for a millisecond behind a timer:
      // the injected clock is the only time source, and tests move it synchronously.
      ttlResolution: 0,
      updateAgeOnGet: false,
      perf: { now: () => clock.now() },
    });
  }

  /** The id of the ad this player saw last, if remembered. */
  last(playerId: string): string | undefined {
    return this.lastAd.get(playerId);
  }

  remember(playerId: string, adId: string): void {
    this.lastAd.set(playerId, adId);
  }

  get size(): number {
    return this.lastAd.size;
  }
}
