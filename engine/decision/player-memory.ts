// What each player was shown, so a player does not get the same ad twice in a row while its tier has
// another, and no ad or campaign more often than its frequency cap (README "Campaigns"). Per player:
// the id of the last ad, and the recent views (ad id, campaign id, instant), oldest first.
// Bounded on every axis: players with lru-cache (a flood of random player ids evicts old entries
// instead of growing the heap), views per player (MAX_VIEWS, the oldest go first), and time (a
// player's entry lives as long as the longest cap window it needs, at least the configured TTL).

import { LRUCache } from 'lru-cache';
import type { Clock } from '../../core/runtime/clock.js';
import { MAX_CAP_COUNT } from '../../core/domain/ads/campaign.js';

export interface PlayerMemoryOptions {
  maxEntries: number;
  ttlMs: number;
  clock: Clock;
}

/** Views kept per player: enough for the largest cap count. */
export const MAX_VIEWS = MAX_CAP_COUNT;

class Views {
  last: string;
  readonly ads: string[] = [];
  readonly campaigns: (string | undefined)[] = [];
  readonly times: number[] = [];
  /** Until when each view matters to a cap. */
  readonly until: number[] = [];
  /** When the last ad was shown: a view folded late from another server does not replace a newer one. */
  lastAt = Number.NEGATIVE_INFINITY;
  /** Until when a view of this player still matters to a cap (epoch ms). */
  keepUntil = 0;
  constructor(last: string) {
    this.last = last;
  }
}

export class PlayerMemory {
  private readonly players: LRUCache<string, Views>;
  private readonly ttlMs: number;

  constructor({ maxEntries, ttlMs, clock }: PlayerMemoryOptions) {
    this.ttlMs = ttlMs;
    this.players = new LRUCache<string, Views>({
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
    return this.players.get(playerId)?.last;
  }

  /**
   * Records a view. `keepMs`: how long the view matters to a cap (0: not capped, only the last ad
   * is kept). Views arrive nearly in time order; one that arrives late is put in its place.
   */
  remember(playerId: string, adId: string, campaignId: string | undefined = undefined, at = 0, keepMs = 0): void {
    let views = this.players.get(playerId);
    if (views === undefined) views = new Views(adId);
    else if (at >= views.lastAt) views.last = adId;
    views.lastAt = Math.max(views.lastAt, at);
    if (keepMs > 0) {
      let i = views.times.length;
      while (i > 0 && views.times[i - 1]! > at) i--;
      views.ads.splice(i, 0, adId);
      views.campaigns.splice(i, 0, campaignId);
      views.times.splice(i, 0, at);
      views.until.splice(i, 0, at + keepMs);
      // The oldest go first: beyond MAX_VIEWS, or once they no longer matter to any cap.
      while (views.times.length > MAX_VIEWS || (views.times.length > 0 && views.until[0]! < at)) {
        views.ads.shift();
        views.campaigns.shift();
        views.times.shift();
        views.until.shift();
      }
    }
    // The entry lives as long as any of its views matters to a cap, at least the configured TTL.
    views.keepUntil = Math.max(views.keepUntil, at + keepMs);
    const ttl = Math.max(this.ttlMs, views.keepUntil - at);
    this.players.set(playerId, views, { ttl });
  }

  /** Views of an ad by a player at or after `since`. */
  countAd(playerId: string, adId: string, since: number): number {
    const views = this.players.get(playerId);
    if (views === undefined) return 0;
    let n = 0;
    for (let i = views.times.length - 1; i >= 0 && views.times[i]! >= since; i--) if (views.ads[i] === adId) n++;
    return n;
  }

  /** Views of any ad of a campaign by a player at or after `since`. */
  countCampaign(playerId: string, campaignId: string, since: number): number {
    const views = this.players.get(playerId);
    if (views === undefined) return 0;
    let n = 0;
    for (let i = views.times.length - 1; i >= 0 && views.times[i]! >= since; i--) if (views.campaigns[i] === campaignId) n++;
    return n;
  }

  get size(): number {
    return this.players.size;
  }
}
