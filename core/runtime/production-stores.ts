// Opens the production stores from config (REDIS_URL and/or S3_BUCKET), for the engine and the
// syncer alike. S3 credentials come from the AWS SDK's default chain (environment, profile, IMDS).

import { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import { openRedis, redisReady } from '../store/redis-connection.js';
import { RedisNotifier } from '../store/redis-notifier.js';
import { RedisSnapshotStore } from '../store/redis-snapshot-store.js';
import { S3SnapshotStore } from '../store/s3-snapshot-store.js';

export interface ProductionStores {
  s3: S3SnapshotStore | null;
  redis: RedisSnapshotStore | null;
  /** The main Redis connection (null without REDIS_URL), for the leader lock and health checks. */
  redisConnection: Redis | null;
  notifier: RedisNotifier | null;
  /**
   * Waits (at most timeoutMs) for Redis to connect. Commands fail at once while it is not connected
   * (no offline queue), so callers wait here first; false means go on without it (S3 serves).
   */
  redisReady(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** `subscribe`: open a second Redis connection for pub/sub (engines; the syncer only publishes). */
export function openProductionStores(config: Config, name: string, o: { subscribe: boolean }): ProductionStores {
  const closers: (() => void)[] = [];
  let s3: S3SnapshotStore | null = null;
  if (config.s3 !== null) {
    const client = new S3Client({
      region: config.s3.region,
      forcePathStyle: config.s3.forcePathStyle,
      ...(config.s3.endpoint === null ? {} : { endpoint: config.s3.endpoint }),
    });
    closers.push(() => client.destroy());
    s3 = new S3SnapshotStore({ client, bucket: config.s3.bucket });
  }
  let redis: RedisSnapshotStore | null = null;
  let connection: Redis | null = null;
  let notifier: RedisNotifier | null = null;
  if (config.redisUrl !== null) {
    connection = openRedis(config.redisUrl, name, { autoPipelining: true });
    closers.push(() => connection!.disconnect());
    redis = new RedisSnapshotStore(connection);
    const subscriber = o.subscribe ? openRedis(config.redisUrl, `${name}-sub`) : null;
    if (subscriber !== null) closers.push(() => subscriber.disconnect());
    notifier = new RedisNotifier(connection, subscriber);
  }
  return {
    s3,
    redis,
    redisConnection: connection,
    notifier,
    redisReady: async (timeoutMs) => connection === null || (await redisReady(connection, timeoutMs)),
    close: () => {
      for (const c of closers) c();
    },
  };
}
