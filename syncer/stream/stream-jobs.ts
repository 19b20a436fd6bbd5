// The syncer's blacklist work, assembled once for the daemon and for embedded mode: one replica of
// the blacklist shared by the compaction job (on COMPACT_SCHEDULE) and, when BLACKLIST_FEED_URL is
// set, the blacklist feed job (on SYNC_SCHEDULE, each merge followed by nothing else: the next
// compaction snapshots it).

import type { Clock } from '../../engine/core/clock.js';
import type { Config } from '../../engine/core/config.js';
import type { Logger } from '../../engine/core/logger.js';
import type { EventLog } from '../../engine/store/event-log.js';
import type { Notifier } from '../../engine/store/notifier.js';
import type { SnapshotStore } from '../../engine/store/snapshot-store.js';
import { FeedClient } from '../feed/feed-client.js';
import { CompactStream } from '../jobs/compact-stream.js';
import { SyncBlacklistFeed } from '../jobs/sync-blacklist-feed.js';
import type { Leadership } from '../leader/leader-lock.js';
import type { SyncerMetrics } from '../metrics.js';
import { StreamReplica } from './stream-replica.js';

export interface StreamJobsDeps {
  config: Config;
  events: EventLog;
  store: SnapshotStore;
  notifier: Notifier | null;
  leadership: Leadership;
  metrics: SyncerMetrics;
  log: Logger;
  clock: Clock;
}

export interface StreamJobs {
  /** The syncer's copy of the blacklist both jobs work from. */
  readonly replica: StreamReplica;
  readonly compact: CompactStream;
  /** Null without BLACKLIST_FEED_URL. */
  readonly feed: SyncBlacklistFeed | null;
  close(): Promise<void>;
}

export function createStreamJobs(d: StreamJobsDeps): StreamJobs {
  const replica = new StreamReplica(d.events, d.store, (version, err) =>
    d.log.error('stream snapshot does not decode; compacting from the one before it', { version, err }),
    d.config.voteReceipts,
  );
  const compact = new CompactStream({
    replica,
    events: d.events,
    store: d.store,
    notifier: d.notifier,
    metrics: d.metrics,
    log: d.log.child({ job: 'compact-stream' }),
    clock: d.clock,
    retentionMs: d.config.eventRetentionMs,
  });
  const client =
    d.config.blacklistFeedUrl === null
      ? null
      : new FeedClient(d.config.blacklistFeedUrl, { timeoutMs: d.config.feedTimeoutMs, maxBytes: d.config.feedMaxBytes });
  const feed =
    client === null
      ? null
      : new SyncBlacklistFeed({
          feed: client,
          replica,
          events: d.events,
          assertLeader: () => d.leadership.assertLeader(),
          metrics: d.metrics,
          log: d.log.child({ job: 'sync-blacklist-feed' }),
          clock: d.clock,
        });
  return { replica, compact, feed, close: async () => client?.close() };
}
