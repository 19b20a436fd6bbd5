// The syncer's stream work, assembled once for the daemon and for embedded mode: one replica of the
// stream state shared by the compaction job (on COMPACT_SCHEDULE) and the optional feed jobs,
// BLACKLIST_FEED_URL and TOPICS_FEED_URL (on SYNC_SCHEDULE; each merge is appended to the stream
// and the next compaction snapshots it).

import type { Clock } from '../../engine/core/clock.js';
import type { Config } from '../../engine/core/config.js';
import type { Logger } from '../../engine/core/logger.js';
import type { EventLog } from '../../engine/store/event-log.js';
import type { Notifier } from '../../engine/store/notifier.js';
import type { SnapshotStore } from '../../engine/store/snapshot-store.js';
import { FeedClient } from '../feed/feed-client.js';
import { CompactStream } from '../jobs/compact-stream.js';
import { SyncBlacklistFeed } from '../jobs/sync-blacklist-feed.js';
import { SyncTopicsFeed } from '../jobs/sync-topics-feed.js';
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
  /** Null without TOPICS_FEED_URL. */
  readonly topicsFeed: SyncTopicsFeed | null;
  /** Runs the feeds that are configured, one after the other (SYNC_SCHEDULE). */
  runFeeds(): Promise<void>;
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
  const topicsClient =
    d.config.topicsFeedUrl === null
      ? null
      : new FeedClient(d.config.topicsFeedUrl, { timeoutMs: d.config.feedTimeoutMs, maxBytes: d.config.feedMaxBytes });
  const topicsFeed =
    topicsClient === null
      ? null
      : new SyncTopicsFeed({
          feed: topicsClient,
          replica,
          events: d.events,
          assertLeader: () => d.leadership.assertLeader(),
          metrics: d.metrics,
          log: d.log.child({ job: 'sync-topics-feed' }),
          clock: d.clock,
        });
  return {
    replica,
    compact,
    feed,
    topicsFeed,
    async runFeeds() {
      await feed?.run();
      await topicsFeed?.run();
    },
    close: async () => {
      await Promise.all([client?.close(), topicsClient?.close()]);
    },
  };
}
