// The syncer's metrics: did the last pull work, how long ago, how many rows were dropped and why.
// Own registry (prom-client's global one is never used); in embedded mode the engine's /metrics
// merges it in, as a standalone daemon its own internal port serves it.

import { reportColumns, type ReportColumn } from '../core/domain/beacons/kinds.js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rejectReasons, type RejectReason } from '../core/domain/ads/feed.js';
import { topicsRejectReasons, type TopicsRejectReason } from './feed/topics-feed.js';

export const syncOutcomes = ['published', 'unchanged', 'not_modified', 'fetch_failed', 'feed_rejected', 'publish_failed', 'not_leader'] as const;
export type SyncOutcome = (typeof syncOutcomes)[number];

export const compactOutcomes = ['published', 'unchanged', 'failed', 'not_leader'] as const;
export type CompactOutcome = (typeof compactOutcomes)[number];

export const blacklistFeedOutcomes = ['merged', 'unchanged', 'not_modified', 'fetch_failed', 'feed_rejected', 'failed', 'not_leader'] as const;
export type BlacklistFeedOutcome = (typeof blacklistFeedOutcomes)[number];

export const topicsFeedOutcomes = ['merged', 'unchanged', 'not_modified', 'fetch_failed', 'feed_rejected', 'failed', 'not_leader'] as const;
export type TopicsFeedOutcome = (typeof topicsFeedOutcomes)[number];

/** What became of a topics feed row: appended as a new topic, as an update, nothing to do, or why it was dropped. */
export type TopicsFeedRowResult = 'created' | 'updated' | 'unchanged' | TopicsRejectReason;

export class SyncerMetrics {
  readonly registry: Registry;
  private readonly runs: Counter<'outcome'>;
  private readonly rejected: Counter<'reason'>;
  private readonly accepted: Gauge;
  private readonly lastSuccess: Gauge;
  private readonly pullSeconds: Histogram;
  private readonly feedBytes: Gauge;
  private readonly leader: Gauge;
  private readonly replicaFailures: Counter;
  private readonly httpResponses: Counter<'status'>;
  private readonly compactions: Counter<'outcome'>;
  private readonly lastCompaction: Gauge;
  private readonly trimmed: Counter;
  private readonly removedSnapshots: Counter;
  private readonly snapshotPlayers: Gauge;
  private readonly snapshotBytes: Gauge;
  private readonly blacklistFeedSyncs: Counter<'outcome'>;
  private readonly blacklistFeedRows: Counter<'result'>;
  private readonly votesCounted: Counter;
  private readonly voteBatches: Counter<'outcome'>;
  private readonly votesClaimed: Counter;
  private readonly beacons: Counter<'column'>;
  private readonly lastVoteBatch: Gauge;
  private readonly topicsFeedSyncs: Counter<'outcome'>;
  private readonly topicsFeedRows: Counter<'result'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.runs = new Counter({ name: 'syncer_feed_syncs_total', help: 'Campaign feed sync runs by outcome.', labelNames: ['outcome'], registers });
    for (const outcome of syncOutcomes) this.runs.inc({ outcome }, 0);
    this.rejected = new Counter({
      name: 'feed_rows_rejected_total',
      help: 'Campaign feed rows dropped by validation, by reason (duplicate_id counts the rows a later duplicate replaced).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of rejectReasons) this.rejected.inc({ reason }, 0);
    this.accepted = new Gauge({ name: 'feed_rows_accepted', help: 'Valid rows in the last feed pulled.', registers });
    this.lastSuccess = new Gauge({
      name: 'syncer_last_success_timestamp_seconds',
      help: 'Unix time of the last sync that ended with the feed published or confirmed unchanged.',
      registers,
    });
    this.pullSeconds = new Histogram({
      name: 'syncer_feed_pull_duration_seconds',
      help: 'Time to pull and validate the campaign feed.',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.feedBytes = new Gauge({ name: 'syncer_feed_bytes', help: 'Size of the last feed body pulled.', registers });
    this.leader = new Gauge({ name: 'syncer_leader', help: '1 while this syncer holds the leader lock (active), 0 on standby.', registers });
    this.replicaFailures = new Counter({
      name: 'syncer_redis_publish_failures_total',
      help: 'Snapshot writes to Redis that failed (S3 had the version; the next run repairs Redis).',
      registers,
    });
    this.httpResponses = new Counter({
      name: 'syncer_feed_http_responses_total',
      help: 'HTTP responses to feed pulls by status code (each retry counts); status "error" when none came.',
      labelNames: ['status'],
      registers,
    });
    this.compactions = new Counter({ name: 'syncer_stream_compactions_total', help: 'Blacklist compaction runs by outcome.', labelNames: ['outcome'], registers });
    for (const outcome of compactOutcomes) this.compactions.inc({ outcome }, 0);
    this.lastCompaction = new Gauge({
      name: 'syncer_stream_last_compaction_timestamp_seconds',
      help: 'Unix time of the last compaction that published a stream snapshot or found nothing new.',
      registers,
    });
    this.trimmed = new Counter({ name: 'syncer_events_trimmed_total', help: 'Events trimmed from the stream behind the newest stream snapshot.', registers });
    this.removedSnapshots = new Counter({
      name: 'syncer_stream_snapshots_removed_total',
      help: 'Stream snapshot versions removed from the stores because a newer one covers an erasure.',
      registers,
    });
    this.snapshotPlayers = new Gauge({ name: 'syncer_blacklist_snapshot_players', help: 'Reported players in the last stream snapshot published.', registers });
    this.snapshotBytes = new Gauge({ name: 'syncer_stream_snapshot_bytes', help: 'Size of the last stream snapshot published (uncompressed).', registers });
    this.blacklistFeedSyncs = new Counter({
      name: 'syncer_blacklist_feed_syncs_total',
      help: 'Blacklist feed (BLACKLIST_FEED_URL) runs by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of blacklistFeedOutcomes) this.blacklistFeedSyncs.inc({ outcome }, 0);
    this.votesCounted = new Counter({ name: 'syncer_votes_counted_total', help: 'Votes counted by this vote processor (each vote once, over all processors).', registers });
    this.voteBatches = new Counter({
      name: 'syncer_vote_batches_total',
      help: 'Event batches the vote processor handled, by outcome (failed: left pending, retried or claimed).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['counted', 'failed']) this.voteBatches.inc({ outcome }, 0);
    this.beacons = new Counter({
      name: 'syncer_beacons_counted_total',
      help: 'Beacons counted by this processor, each (decision, kind) once over all processors, by report column (a click before its impression, a complete before its start: their own columns).',
      labelNames: ['column'],
      registers,
    });
    for (const column of reportColumns) if (column !== 'decisions') this.beacons.inc({ column }, 0);
    this.votesClaimed = new Counter({ name: 'syncer_vote_events_claimed_total', help: 'Pending events claimed from a vote processor idle past VOTE_CLAIM_IDLE_MS.', registers });
    this.lastVoteBatch = new Gauge({ name: 'syncer_vote_last_batch_timestamp_seconds', help: 'Unix time of the last batch the vote processor counted.', registers });
    this.blacklistFeedRows = new Counter({
      name: 'syncer_blacklist_feed_rows_total',
      help: 'Blacklist feed rows by result: merged (appended to the stream), known (merged before), or the reason it was dropped.',
      labelNames: ['result'],
      registers,
    });
    this.topicsFeedSyncs = new Counter({
      name: 'syncer_topics_feed_syncs_total',
      help: 'Topics feed (TOPICS_FEED_URL) runs by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of topicsFeedOutcomes) this.topicsFeedSyncs.inc({ outcome }, 0);
    this.topicsFeedRows = new Counter({
      name: 'syncer_topics_feed_rows_total',
      help: 'Topics feed rows by result: created or updated (appended to the stream), unchanged (nothing to append), or the reason it was dropped.',
      labelNames: ['result'],
      registers,
    });
    // A closed set of labels: every series exists from the start, so a rate over it needs no absent().
    for (const result of ['created', 'updated', 'unchanged', ...topicsRejectReasons] as const) this.topicsFeedRows.inc({ result }, 0);
  }

  /** A batch the vote processor handled: votes newly counted, or a failure (the batch stays pending). */
  voteBatch(outcome: 'counted' | 'failed', counted: number, nowMs: number): void {
    this.voteBatches.inc({ outcome });
    if (outcome === 'counted') {
      this.votesCounted.inc(counted);
      this.lastVoteBatch.set(nowMs / 1000);
    }
  }

  /** Beacons a batch counted, by column. */
  beaconsCounted(byColumn: Partial<Record<ReportColumn, number>>): void {
    for (const [column, n] of Object.entries(byColumn)) this.beacons.inc({ column }, n);
  }

  /** Events taken over from a vote processor that stopped answering. */
  votesClaimedFromIdle(n: number): void {
    this.votesClaimed.inc(n);
  }

  compactionEnded(outcome: CompactOutcome, nowMs: number, trimmed: number): void {
    this.compactions.inc({ outcome });
    if (outcome === 'published' || outcome === 'unchanged') this.lastCompaction.set(nowMs / 1000);
    this.trimmed.inc(trimmed);
  }

  snapshotsRemoved(n: number): void {
    this.removedSnapshots.inc(n);
  }

  blacklistSnapshot(players: number, bytes: number): void {
    this.snapshotPlayers.set(players);
    this.snapshotBytes.set(bytes);
  }

  blacklistFeedEnded(outcome: BlacklistFeedOutcome, rows: Readonly<Record<string, number>>): void {
    this.blacklistFeedSyncs.inc({ outcome });
    for (const [result, n] of Object.entries(rows)) if (n > 0) this.blacklistFeedRows.inc({ result }, n);
  }

  topicsFeedEnded(outcome: TopicsFeedOutcome, rows: Readonly<Partial<Record<TopicsFeedRowResult, number>>>): void {
    this.topicsFeedSyncs.inc({ outcome });
    for (const [result, n] of Object.entries(rows)) if (n > 0) this.topicsFeedRows.inc({ result }, n);
  }

  leadership(isLeader: boolean): void {
    this.leader.set(isLeader ? 1 : 0);
  }

  replicaFailed(): void {
    this.replicaFailures.inc();
  }

  httpResponse(status: number | 'error'): void {
    this.httpResponses.inc({ status: String(status) });
  }

  syncEnded(outcome: SyncOutcome, nowMs: number): void {
    this.runs.inc({ outcome });
    if (outcome === 'published' || outcome === 'unchanged' || outcome === 'not_modified') this.lastSuccess.set(nowMs / 1000);
  }

  pulled(seconds: number, bytes: number): void {
    this.pullSeconds.observe(seconds);
    this.feedBytes.set(bytes);
  }

  validated(accepted: number, rejectedByReason: Record<RejectReason, number>): void {
    this.accepted.set(accepted);
    for (const reason of rejectReasons) if (rejectedByReason[reason] > 0) this.rejected.inc({ reason }, rejectedByReason[reason]);
  }
}
