// The production syncer (docs/architecture.md "Processes"): pulls the campaign feed at start and on SYNC_SCHEDULE,
// publishes snapshots to S3 and Redis and notifies engines. Two may run: the Redis leader lock makes
// one active; the standby only keeps trying for the lock and takes over within its TTL. Each active
// run also puts Redis back in step with S3 (repair), so a Redis outage or restart heals by itself.
// With Redis (the event stream) the leader also merges BLACKLIST_FEED_URL into the stream on
// SYNC_SCHEDULE, and compacts the stream into snapshots on COMPACT_SCHEDULE; every syncer, leader
// or standby, runs a vote processor in the stream's consumer group.

import cron from 'node-cron';
import { StoreNotConfiguredError } from '../core/errors.js';
import { systemClock } from '../core/runtime/clock.js';
import type { Config } from '../core/runtime/config.js';
import type { Logger } from '../core/runtime/logger.js';
import { collectProcessMetrics } from '../core/runtime/process-metrics.js';
import { InternalServer } from '../core/runtime/internal-server.js';
import { openProductionStores } from '../core/runtime/production-stores.js';
import { openRedis } from '../core/store/redis-connection.js';
import { RedisEventLog } from '../core/store/redis-event-log.js';
import { createStreamJobs, type StreamJobs } from './stream/stream-jobs.js';
import { FeedClient } from './feed/feed-client.js';
import { SyncCampaigns } from './jobs/sync-campaigns.js';
import { LeaderLock, soleLeader, type Leadership } from './leader/leader-lock.js';
import { SyncerMetrics } from './metrics.js';
import { ReplicatedStore } from './publish/replicated-store.js';
import { RedisVoteCounter } from './votes/redis-vote-counter.js';
import { VOTES_GROUP, VoteProcessor } from './votes/vote-processor.js';

/** How long start-up waits for Redis before going on (as standby: the lock needs Redis). */
const REDIS_WAIT_MS = 5_000;

export interface SyncerDaemon {
  readonly internalPort: number;
  stop(): Promise<void>;
}

export async function startSyncerDaemon(config: Config, log: Logger): Promise<SyncerDaemon> {
  const stores = openProductionStores(config, 'syncer', { subscribe: false });
  const primary = stores.s3 ?? stores.redis;
  if (primary === null) throw new StoreNotConfiguredError('the syncer daemon needs S3_BUCKET or REDIS_URL (embedded mode runs `npm start`)');
  if (!(await stores.redisReady(REDIS_WAIT_MS))) log.warn('Redis not reachable at start-up; standby until it is');
  const metrics = new SyncerMetrics();
  collectProcessMetrics(metrics.registry);
  let version: string | null = null;

  let lock: LeaderLock | null = null;
  let leadership: Leadership = soleLeader;
  if (stores.redisConnection !== null) {
    lock = new LeaderLock({
      redis: stores.redisConnection,
      ttlMs: config.leaderLockTtlMs,
      log,
      onChange: (isLeader) => {
        metrics.leadership(isLeader);
        if (isLeader) void runIfLeader();
      },
    });
    leadership = lock;
  } else {
    log.warn('no REDIS_URL: no leader lock, so run exactly one syncer');
  }
  const store = new ReplicatedStore({
    primary,
    replica: stores.s3 !== null ? stores.redis : null,
    leadership,
    onReplicaFailure: (err) => {
      metrics.replicaFailed();
      log.error('snapshot write to Redis failed; S3 has it, the next run repairs Redis', { err });
    },
  });
  const feed = new FeedClient(config.feedUrl, {
    timeoutMs: config.feedTimeoutMs,
    maxBytes: config.feedMaxBytes,
    onResponse: (status) => metrics.httpResponse(status),
  });
  const sync = new SyncCampaigns({
    feed,
    store,
    notifier: stores.notifier,
    metrics,
    log: log.child({ job: 'sync-campaigns' }),
    clock: systemClock,
    // With S3 down, engines read the Redis pointer: that is the version a failed run keeps.
    servedFrom: primary === stores.s3 ? stores.redis : null,
  });
  let streamJobs: StreamJobs | null = null;
  let events: RedisEventLog | null = null;
  let votes: VoteProcessor | null = null;
  if (stores.redisConnection !== null) {
    events = new RedisEventLog(stores.redisConnection, openRedis(config.redisUrl!, 'syncer-events'), undefined, config.durability);
    streamJobs = createStreamJobs({ config, events, store, notifier: stores.notifier, leadership, metrics, log, clock: systemClock });
    votes = new VoteProcessor({
      events,
      counter: new RedisVoteCounter(stores.redisConnection, events.key, VOTES_GROUP),
      metrics,
      log: log.child({ component: 'vote-processor' }),
      clock: systemClock,
      claimIdleMs: config.voteClaimIdleMs,
    });
  } else {
    log.warn('no REDIS_URL: no event stream, so no compaction, no blacklist feed and no vote processing');
  }

  async function runIfLeader(): Promise<void> {
    if (!leadership.isLeader) return;
    const result = await sync.run();
    version = result.version;
    await streamJobs?.runFeeds();
    for (const kind of ['ads', 'stream'] as const) {
      try {
        const repaired = await store.repair(kind);
        if (repaired !== null) {
          log.info('Redis was behind S3; copied the latest snapshot back', { kind, version: repaired });
          await stores.notifier?.publish(kind, repaired);
        }
      } catch (err) {
        log.warn('Redis repair skipped', { kind, err: err as Error });
      }
    }
  }

  async function compactIfLeader(): Promise<void> {
    if (leadership.isLeader) await streamJobs?.compact.run();
  }

  /** Starts the vote processor; with Redis down, retries in the background (the group needs Redis). */
  let stopping = false;
  async function startVotes(): Promise<void> {
    if (votes === null || stopping) return;
    try {
      await votes.start();
    } catch (err) {
      log.error('vote processor could not start; retrying', { err: err as Error });
      setTimeout(() => void startVotes(), 1_000).unref();
    }
  }

  let started = false;
  const internal = await InternalServer.start({
    host: config.internalHost,
    port: config.internalPort,
    metrics: () => metrics.registry.metrics(),
    contentType: metrics.registry.contentType,
    notReadyReason: () => (started ? null : 'starting'),
    readyFacts: () => ({ role: leadership.isLeader ? 'leader' : 'standby', version }),
  });
  if (lock !== null) {
    await lock.start();
  } else {
    metrics.leadership(true);
    await runIfLeader();
  }
  await compactIfLeader();
  await startVotes();
  const task = cron.schedule(config.syncSchedule, () => void runIfLeader(), { noOverlap: true });
  const compactTask = cron.schedule(config.compactSchedule, () => void compactIfLeader(), { noOverlap: true });
  started = true;
  log.info('syncer running', {
    internal_port: internal.port,
    role: leadership.isLeader ? 'leader' : 'standby',
    store: store.description,
    feed: config.feedUrl,
    schedule: config.syncSchedule,
    compact_schedule: streamJobs === null ? null : config.compactSchedule,
    blacklist_feed: config.blacklistFeedUrl,
    topics_feed: config.topicsFeedUrl,
    vote_consumer: votes?.consumer ?? null,
  });

  return {
    internalPort: internal.port,
    async stop() {
      await task.stop();
      await compactTask.stop();
      stopping = true;
      await votes?.stop();
      await lock?.stop().catch((err: Error) => log.warn('could not release the leader lock; it expires by itself', { err }));
      internal.close();
      await feed.close();
      await streamJobs?.close();
      await events?.close();
      stores.close();
    },
  };
}
