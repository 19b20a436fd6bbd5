// `npm run syncer -- rollback <version>`: points every reader back at a stored version (S3 pointer,
// then Redis, then a notification). Nothing is rebuilt: versions are immutable. The active syncer
// keeps the rollback while the feed still compiles to the version rolled back from (see
// SyncCampaigns); the next real feed change publishes as usual.

import type { Config } from '../core/runtime/config.js';
import { SnapshotNotFoundError, StoreNotConfiguredError } from '../core/errors.js';
import type { Logger } from '../core/runtime/logger.js';
import { openProductionStores } from '../core/runtime/production-stores.js';
import { soleLeader } from './leader/leader-lock.js';
import { ReplicatedStore } from './publish/replicated-store.js';

export async function rollback(config: Config, log: Logger, version: string): Promise<void> {
  const stores = openProductionStores(config, 'syncer-rollback', { subscribe: false });
  try {
    const primary = stores.s3 ?? stores.redis;
    if (primary === null) throw new StoreNotConfiguredError('rollback needs S3_BUCKET or REDIS_URL');
    if (!(await stores.redisReady(5_000))) log.warn('Redis not reachable: rolling back S3 only; engines reading Redis follow once the syncer repairs it');
    const versions = await primary.list('ads');
    if (!versions.includes(version)) {
      throw new SnapshotNotFoundError(`no snapshot ads/${version}; the newest are: ${versions.slice(-5).join(', ') || '(none)'}`);
    }
    let replicaError: Error | null = null;
    const store = new ReplicatedStore({
      primary,
      replica: stores.s3 !== null ? stores.redis : null,
      // An operator's explicit act; the daemon's lock is about its own scheduled publishes.
      leadership: soleLeader,
      onReplicaFailure: (err) => (replicaError = err),
    });
    const previous = await store.latest('ads');
    // The version may have been pruned from Redis: put it back before the pointer moves.
    await store.put('ads', version, await primary.get('ads', version));
    await store.setLatest('ads', version);
    await stores.notifier?.publish('ads', version);
    log.info('rolled back', { version, previous, redis: replicaError === null ? 'updated' : `failed: ${(replicaError as Error).message}` });
  } finally {
    stores.close();
  }
}
