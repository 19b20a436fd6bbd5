// The syncer's stream work, assembled once for the daemon and for embedded mode: one replica of the
// stream state shared by the compaction job (on COMPACT_SCHEDULE) and the optional feed jobs,
// BLACKLIST_FEED_URL and TOPICS_FEED_URL (on SYNC_SCHEDULE; each merge is appended to the stream
// and the next compaction snapshots it).

import type { Clock } from '../../core/runtime/clock.js';
import type { Config } from '../../core/runtime/config.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { EventLog } from '../../core/store/event-log.js';
import type { Notifier } from '../../core/store/notifier.js';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';
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
  // Both feed jobs take the same parts; only their URL, client and log name differ.
  const clients: FeedClient[] = [];
  const feedJobDeps = (url: string | null, job: string) => {
    if (url === null) return null;
    const feed = new FeedClient(url, { timeoutMs: d.config.feedTimeoutMs, maxBytes: d.config.feedMaxBytes });
    clients.push(feed);
    const assertLeader = () => d.leadership.assertLeader();
    return { feed, replica, events: d.events, assertLeader, metrics: d.metrics, log: d.log.child({ job }), clock: d.clock };
  };
  const blacklistDeps = feedJobDeps(d.config.blacklistFeedUrl, 'sync-blacklist-feed');
  const topicsDeps = feedJobDeps(d.config.topicsFeedUrl, 'sync-topics-feed');
  const feed = blacklistDeps === null ? null : new SyncBlacklistFeed(blacklistDeps);
  const topicsFeed = topicsDeps === null ? null : new SyncTopicsFeed(topicsDeps);
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
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
