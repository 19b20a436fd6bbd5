// One way to open Redis for the engine and the syncer. A command to a Redis that is down must fail
// at once, not wait in ioredis's offline queue: the engine then falls back to S3 and the syncer
// counts a failed publish. ioredis keeps reconnecting in the background (and resubscribes).

import { Redis } from 'ioredis';

export interface RedisOptions {
  /**
   * Send the commands issued in one event-loop tick as one pipelined write. For the shared command
   * connection: POST /votes at load issues an XADD per request, and one socket write each measured
   * as the largest single cost of a vote (bench/results/latest-votes.md). Not for blocking or
   * subscriber connections, which carry one command at a time.
   */
  autoPipelining?: boolean;
}

export function openRedis(url: string, name: string, o: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: `arcade-edge-${name}`,
    enableAutoPipelining: o.autoPipelining ?? false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // Reconnect quickly at first, then every 2 s at most.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  // Connection errors surface where they matter, as failed commands logged by their callers; without
  // a listener ioredis would print every reconnect attempt to stderr.
  redis.on('error', () => {});
  return redis;
}

/** Waits until the connection is ready, or gives up after timeoutMs (the caller goes on without). */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
