// Decisions served, for the reports' "decisions" column (README "Beacons and reports"). Counting on the hot
// path is one array increment: a count per ad ordinal of the index in use, for the current UTC hour.
// Every DECISION_FLUSH_MS the server turns its counts into one decisions_served event (by ad id and
// market, so they outlive the index) and appends it to the stream; a failed append keeps them for
// the next flush. A server that dies loses at most the decisions since its last flush: these are
// counted at most once, where beacons are counted exactly once.

import { MS_PER_HOUR, hourStart, type ReportCount } from '../../core/domain/stream/ad-reports.js';
import type { AdIndex } from '../indexes/ad-index.js';
import { marketCountry, marketLang } from './market.js';

export class DecisionCounter {
  private index: AdIndex | null = null;
  private hourMs = 0;
  private counts = new Uint32Array(0);
  /** Market key per ordinal, set with its count (an ad is in one market). */
  private markets = new Float64Array(0);
  /** Ordinals counted since the last flush, so a flush visits only them. */
  private touched: number[] = [];
  /** Counts rolled over (another index or hour) and not yet taken. */
  private pending: ReportCount[] = [];

  /** One decision: ad `ordinal` of `index`, in `market`, at `nowMs`. */
  served(index: AdIndex, ordinal: number, market: number, nowMs: number): void {
    if (index !== this.index || nowMs - this.hourMs >= MS_PER_HOUR || nowMs < this.hourMs) this.roll(index, nowMs);
    if (this.counts[ordinal]!++ === 0) this.touched.push(ordinal);
    this.markets[ordinal] = market;
  }

  /** Everything counted since the last take, as report counts; empty when nothing was served. */
  take(): ReportCount[] {
    this.flushCurrent();
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Counts a failed append did not deliver: taken again by the next flush. */
  giveBack(counts: readonly ReportCount[]): void {
    for (const c of counts) this.pending.push(c);
  }

  private roll(index: AdIndex, nowMs: number): void {
    this.flushCurrent();
    this.index = index;
    this.hourMs = hourStart(nowMs);
    if (this.counts.length !== index.adCount) {
      this.counts = new Uint32Array(index.adCount);
      this.markets = new Float64Array(index.adCount);
    }
  }

  /** Moves the current counts into pending and zeroes them. */
  private flushCurrent(): void {
    const index = this.index;
    if (index === null || this.touched.length === 0) return;
    const counts = this.counts;
    for (const o of this.touched) {
      const n = counts[o]!;
      const market = this.markets[o]!;
      this.pending.push([index.idAt(o), marketCountry(market), marketLang(market), this.hourMs, 'decisions', n]);
      counts[o] = 0;
    }
    this.touched = [];
  }
}
