// The views this server answered, on their way to every other server (README "Campaigns"): each
// decision for a player is one view, kept here until the next flush (VIEW_FLUSH_MS) sends them to
// the stream as one ads_viewed event. Every engine's servers fold them into their player memory, so
// the no-repeat rule and frequency caps hold whatever process or engine answers, a flush and a
// stream read later. A failed append keeps them for the next flush.

import type { AdsViewed, View } from '../../core/domain/stream/events.js';

/** Views waiting beyond this many are dropped, oldest first: a log that is down must not grow the heap. */
export const MAX_PENDING_VIEWS = 100_000;

export class ViewLog {
  private views: View[] = [];

  constructor(
    /** This server's name in the stream, so its fold skips the views it recorded itself. */
    readonly origin: string,
  ) {}

  add(player: string, adId: string, campaign: string | null, at: number, keepMs: number): void {
    this.views.push([player, adId, campaign, at, keepMs]);
  }

  /** Everything added since the last take, as an event's payload; null when nothing was. */
  take(): AdsViewed | null {
    if (this.views.length === 0) return null;
    const views = this.views;
    this.views = [];
    return { origin: this.origin, views };
  }

  /** A payload whose append failed: it goes with the next flush. */
  giveBack(batch: AdsViewed): void {
    const views = batch.views.concat(this.views);
    this.views = views.length > MAX_PENDING_VIEWS ? views.slice(views.length - MAX_PENDING_VIEWS) : views;
  }
}
