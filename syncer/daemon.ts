// The production syncer (DESIGN.md "syncer"): pulls the campaign feed at start and on SYNC_SCHEDULE,
// publishes snapshots to S3 and Redis and notifies engines. Two may run: the Redis leader lock makes
// one active; the standby only keeps trying for the lock and takes over within its TTL. Each active
// run also puts Redis back in step with S3 (repair), so a Redis outage or restart heals by itself.

import cron from 'node-cron';
import { systemClock } from '../engine/core/clock.js';
import type { Config } from '../engine/core/config.js';
import type { Logger } from '../engine/core/logger.js';
import { InternalServer } from '../engine/internal-app.js';
import { openProductionStores } from '../engine/store/production-stores.js';
import { FeedClient } from './feed/feed-client.js';
import { SyncCampaigns } from './jobs/sync-campaigns.js';
import { LeaderLock, soleLeader, type Leadership } from './leader/leader-lock.js';
import { SyncerMetrics } from './metrics.js';
import { ReplicatedStore } from './publish/replicated-store.js';

/** How long start-up waits for Redis before going on (as standby: the lock needs Redis). */
const REDIS_WAIT_MS = 5_000;

export interface SyncerDaemon {
  readonly internalPort: number;
  stop(): Promise<void>;
}

export async function startSyncerDaemon(config: Config, log: Logger): Promise<SyncerDaemon> {
  const stores = openProductionStores(config, 'syncer', { subscribe: false });
  const primary = stores.s3 ?? stores.redis;
  if (primary === null) throw new Error('the syncer daemon needs S3_BUCKET or REDIS_URL (embedded mode runs `npm start`)');
  if (!(await stores.redisReady(REDIS_WAIT_MS))) log.warn('Redis not reachable at start-up; standby until it is');
  const metrics = new SyncerMetrics();
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
  const sync = new SyncCampaigns({ feed, store, notifier: stores.notifier, metrics, log: log.child({ job: 'sync-campaigns' }), clock: systemClock });

  async function runIfLeader(): Promise<void> {
    if (!leadership.isLeader) return;
    const result = await sync.run();
    version = result.version;
    try {
      const repaired = await store.repair('ads');
      if (repaired !== null) {
        log.info('Redis was behind S3; copied the latest snapshot back', { version: repaired });
        await stores.notifier?.publish('ads', repaired);
      }
    } catch (err) {
      log.warn('Redis repair skipped', { err: err as Error });
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
  const task = cron.schedule(config.syncSchedule, () => void runIfLeader(), { noOverlap: true });
  started = true;
  log.info('syncer running', {
    internal_port: internal.port,
    role: leadership.isLeader ? 'leader' : 'standby',
    store: store.description,
    feed: config.feedUrl,
    schedule: config.syncSchedule,
  });

  return {
    internalPort: internal.port,
    async stop() {
      await task.stop();
      await lock?.stop().catch((err: Error) => log.warn('could not release the leader lock; it expires by itself', { err }));
      internal.close();
      await feed.close();
      stores.close();
    },
  };
}
