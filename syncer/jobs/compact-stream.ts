// Compaction (docs/architecture.md "Data flow": the syncer folds the event log into snapshots): bring the syncer's copy
// of the stream state to the end of the stream, publish it as a stream snapshot when events arrived
// since the last one, then trim the stream behind the newest snapshot. Engines boot from that
// snapshot and tail from its offset, so boot time and the stream's length stay bounded.
//
// Trimming keeps the retention window too (EVENT_RETENTION_SECONDS): a running engine that lost
// the stream for a while resumes from where it stopped, and it can only do that while the events
// after its position are still there. Trimming never goes past the newest snapshot's offset, nor
// past the oldest event the vote processors' group still needs.
//
// After an erasure (README "Erasure") the snapshot just published is the first without the email;
// every older stream snapshot may hold it, so they are removed from every store (S3, Redis, the
// data folder) once a snapshot covering the erasure is the pointed-to one. The erasure count travels
// in the snapshots, so a syncer that restarts or takes over removes them once more (harmless).

import { singleFlight } from './single-flight.js';
import type { Clock } from '../../core/runtime/clock.js';
import { encodeStreamSnapshot } from '../../core/domain/stream/stream-snapshot.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START, compareEventIds, nextEventId } from '../../core/domain/stream/event.js';
import type { Notifier } from '../../core/store/notifier.js';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';
import type { StreamReplica } from '../stream/stream-replica.js';
import type { CompactOutcome, SyncerMetrics } from '../metrics.js';
import { publishSnapshot } from '../publish/publish-snapshot.js';
import { VOTES_GROUP } from '../votes/vote-processor.js';

export interface CompactStreamDeps {
  replica: StreamReplica;
  events: EventLog;
  store: SnapshotStore;
  notifier: Notifier | null;
  metrics: SyncerMetrics;
  log: Logger;
  clock: Clock;
  /** Events younger than this stay in the stream even when a snapshot covers them. */
  retentionMs: number;
}

export interface CompactResult {
  readonly outcome: CompactOutcome;
  /** The newest stream snapshot after the run. */
  readonly version: string | null;
  readonly trimmed: number;
  /** Older stream snapshots removed after an erasure. */
  readonly removed: number;
}

export class CompactStream {
  /** Erasures the stored snapshots are known to be clean of (older versions removed). */
  private purgedErasures = 0;

  constructor(private readonly d: CompactStreamDeps) {}

  /** Runs once; a call while a run is in progress shares it. */
  readonly run = singleFlight(() => this.runOnce());

  private async runOnce(): Promise<CompactResult> {
    const { replica, store, notifier, metrics, log, clock } = this.d;
    const started = performance.now();
    let outcome: CompactOutcome = 'unchanged';
    try {
      const folded = await replica.catchUp();
      const last = replica.lastSnapshot;
      const news = compareEventIds(replica.applied, last?.streamOffset ?? START) > 0;
      if (news || replica.needsSnapshot) {
        const { version, bytes } = encodeStreamSnapshot(replica.state, replica.applied, clock.now());
        await publishSnapshot(store, notifier, 'stream', version, bytes);
        replica.published(version);
        outcome = 'published';
        metrics.blacklistSnapshot(replica.state.blacklist.playerCount, bytes.length);
        log.info('stream snapshot published', {
          outcome,
          version,
          stream_offset: replica.applied,
          previous: last?.version ?? null,
          events_folded: folded,
          games: replica.state.blacklist.gameCount,
          players: replica.state.blacklist.playerCount,
          reports: replica.state.blacklist.reports,
          topics: replica.state.topics.size,
          votes_cast: replica.state.votes.votesCast,
          votes_counted: replica.state.topics.votesCounted,
          bytes: bytes.length,
          ms: Math.round(performance.now() - started),
        });
      }
      const removed = await this.removeBeforeErasures();
      const trimmed = await this.trim();
      metrics.compactionEnded(outcome, clock.now(), trimmed);
      // One line per run: a published one said so above.
      if (outcome === 'unchanged') log.info('stream compaction: nothing new since the last snapshot', { outcome, version: last?.version ?? null, trimmed });
      return { outcome, version: replica.lastSnapshot?.version ?? null, trimmed, removed };
    } catch (err) {
      outcome = (err as { code?: string }).code === 'NOT_LEADER' ? 'not_leader' : 'failed';
      metrics.compactionEnded(outcome, clock.now(), 0);
      log.error('stream compaction failed; engines keep tailing the stream', { outcome, err: err as Error });
      return { outcome, version: replica.lastSnapshot?.version ?? null, trimmed: 0, removed: 0 };
    }
  }

  /**
   * Removes every stream snapshot but the newest when erasures were folded since the last removal
   * and the newest covers them (it covers everything folded: it was just published, or nothing came
   * since). A failure leaves purgedErasures behind, so the next run tries again.
   */
  private async removeBeforeErasures(): Promise<number> {
    const { replica, store, metrics, log } = this.d;
    const last = replica.lastSnapshot;
    const erasures = replica.state.blacklist.erasures;
    if (last === null || erasures <= this.purgedErasures || replica.applied !== last.streamOffset) return 0;
    let removed = 0;
    for (const version of await store.list('stream')) {
      if (version !== last.version && (await store.remove('stream', version))) removed++;
    }
    this.purgedErasures = erasures;
    metrics.snapshotsRemoved(removed);
    log.info('stream snapshots older than an erasure removed', { versions: removed, kept: last.version, erasures });
    return removed;
  }

  /**
   * Drops events covered by the newest snapshot and older than the retention window, and never one
   * the vote processors still need (a vote not yet counted, or not yet delivered).
   */
  private async trim(): Promise<number> {
    const last = this.d.replica.lastSnapshot;
    if (last === null) return 0;
    const afterSnapshot = nextEventId(last.streamOffset);
    const retained = `${Math.max(0, this.d.clock.now() - this.d.retentionMs)}-0`;
    const votesNeed = await this.d.events.groupFloor(VOTES_GROUP);
    const minId = [afterSnapshot, retained, votesNeed ?? afterSnapshot].reduce((a, b) => (compareEventIds(a, b) <= 0 ? a : b));
    const trimmed = await this.d.events.trim(minId);
    if (trimmed > 0) this.d.log.info('event stream trimmed', { before: minId, events: trimmed, snapshot: last.version });
    return trimmed;
  }
}
