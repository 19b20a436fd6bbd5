// The blacklist feed job: pull BLACKLIST_FEED_URL, validate row by row against the games the
// stream knows, and merge the new rows by appending them to the event stream as reports. From
// there they reach every engine the way POST /blacklist does, and the next compaction snapshots
// them. A row merged before (its feed_key is in the fold) is not appended again; if a crash or a
// leader change appends one twice anyway, the fold keeps only the first. Failures leave what was
// merged; the next run takes the rest.

import { singleFlight } from './single-flight.js';
import type { Clock } from '../../core/runtime/clock.js';
import { failureOutcome } from './failure-outcome.js';
import { playerReported } from '../../core/domain/stream/events.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { EventWriter } from '../../core/store/event-log.js';
import type { StreamReplica } from '../stream/stream-replica.js';
import type { FeedClient } from '../feed/feed-client.js';
import { parseBlacklistFeed } from '../feed/blacklist-feed.js';
import type { BlacklistFeedOutcome, SyncerMetrics } from '../metrics.js';

/** Appends in flight at once (each resolves once durable). */
const APPEND_WINDOW = 256;

export interface SyncBlacklistFeedDeps {
  feed: FeedClient;
  replica: StreamReplica;
  events: EventWriter;
  /** Checked before appending: only the active syncer merges. */
  assertLeader(): Promise<void>;
  metrics: SyncerMetrics;
  log: Logger;
  clock: Clock;
}

export interface BlacklistFeedResult {
  readonly outcome: BlacklistFeedOutcome;
  readonly merged: number;
}

export class SyncBlacklistFeed {
  constructor(private readonly d: SyncBlacklistFeedDeps) {}

  /** Runs once; a call while a run is in progress shares it. */
  readonly run = singleFlight(() => this.runOnce());

  private async runOnce(): Promise<BlacklistFeedResult> {
    const { feed, replica, events, metrics, log, clock } = this.d;
    const rows: Record<string, number> = {};
    let merged = 0;
    const end = (outcome: BlacklistFeedOutcome): BlacklistFeedResult => {
      rows.merged = merged;
      metrics.blacklistFeedEnded(outcome, rows);
      // One line per run: merged and failed runs say more below.
      if (outcome === 'not_modified' || outcome === 'unchanged') log.info('blacklist feed unchanged; nothing to merge', { outcome, known: rows.known ?? null });
      return { outcome, merged };
    };
    try {
      const pull = await feed.pull();
      if (!pull.changed) return end('not_modified');
      // The games and merged rows as of the stream's end: names resolve to ids, repeats are known.
      await replica.catchUp();
      const v = parseBlacklistFeed(pull.text, replica.state.blacklist, clock.now());
      Object.assign(rows, v.rejectedByReason);
      for (const r of v.rejectedSamples) log.warn('blacklist feed row dropped', { row: r.row, reason: r.reason });
      const fresh = v.reports.filter((r) => !replica.state.blacklist.hasFeedRow(r.feed_key));
      rows.known = v.reports.length - fresh.length;
      if (fresh.length === 0) return end('unchanged');
      await this.d.assertLeader();
      for (let i = 0; i < fresh.length; i += APPEND_WINDOW) {
        await Promise.all(fresh.slice(i, i + APPEND_WINDOW).map((r) => events.append(playerReported(r))));
        merged = Math.min(fresh.length, i + APPEND_WINDOW);
      }
      log.info('blacklist feed merged', { outcome: 'merged', rows: v.reports.length + v.rejectedTotal, merged, known: rows.known, rejected: v.rejectedTotal });
      return end('merged');
    } catch (err) {
      const outcome: BlacklistFeedOutcome = failureOutcome(err, 'failed');
      // Rows not appended must be offered again even if the feed answers 304 next time.
      if (outcome !== 'fetch_failed') feed.forgetValidators();
      log.error('blacklist feed sync failed', { outcome, merged, err: err as Error });
      return end(outcome);
    }
  }
}
