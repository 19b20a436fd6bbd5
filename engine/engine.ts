// Starts a whole engine inside the current process: public servers, the internal app and the
// snapshot follower, wired to the stores it is given. engine/main.ts, embedded/main.ts and the tests
// all start engines through here, so there is one way an engine comes up and one way it drains.

import type { Registry } from 'prom-client';
import type { Config } from './core/config.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Logger } from './core/logger.js';
import { InternalServer } from './internal-app.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { LocalPool, type ServerPool } from './server-pool.js';
import type { ServerOptions } from './server.js';
import type { Notifier } from './store/notifier.js';
import type { SnapshotStore } from './store/snapshot-store.js';
import { SnapshotFollower } from './sync/snapshot-follower.js';
import { EventFollower } from './sync/event-follower.js';
import type { EventLog } from './store/event-log.js';
import { ProcessPool } from './process-pool.js';

export interface EngineOptions {
  config: Config;
  store: SnapshotStore;
  notifier: Notifier | null;
  /** The write path (games, reports); null: write routes answer 503 and checks know nothing. */
  events: EventLog | null;
  log: Logger;
  clock?: Clock;
  /** Called (after an error log line) if a server process dies after start-up; entries exit non-zero. */
  onFatal?: (err: Error) => void;
  /** Other registries served on this engine's /metrics (the in-process syncer's, in embedded mode). */
  extraRegistries?: readonly Registry[];
}

export interface Engine {
  readonly port: number;
  readonly internalPort: number;
  readonly metrics: EngineMetrics;
  readonly follower: SnapshotFollower;
  /** SIGTERM path: stop accepting, answer open connections with Connection: close until idle or
   * the timeout, then release everything. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** How long start-up waits for the event log replay before going on (the blacklist routes 503 until it is done). */
const EVENT_CATCH_UP_MS = 10_000;

export async function startEngine(o: EngineOptions): Promise<Engine> {
  const { config, log } = o;
  const clock = o.clock ?? systemClock;

  const serverOptions: ServerOptions = {
    host: config.host,
    port: config.port,
    apiKeys: config.apiKeys,
    playerMemoryMax: config.playerMemoryMax,
    playerMemoryTtlMs: config.playerMemoryTtlMs,
    maxBodyBytes: config.maxBodyBytes,
    rateLimitPerSecond: config.rateLimitPerSecond,
    rateLimitBurst: config.rateLimitBurst,
    voteReceipts: config.voteReceipts,
  };
  const onFatal = (err: Error) => {
    log.error('engine server process died', { err });
    o.onFatal?.(err);
  };
  const pool: ServerPool =
    config.engineWorkers === 1
      ? await LocalPool.start(serverOptions, clock, o.events)
      : await ProcessPool.start(config.engineWorkers, serverOptions, onFatal, o.events);
  const metrics = new EngineMetrics(clock, { workers: pool.size });
  const events = o.events === null ? null : new EventFollower(o.events, o.store, pool, log, metrics);
  const follower = new SnapshotFollower({
    store: o.store,
    notifier: o.notifier,
    pool,
    metrics,
    log,
    clock,
    pollMs: config.snapshotPollMs,
  });
  let draining = false;
  const internal = await InternalServer.start({
    host: config.internalHost,
    port: config.internalPort,
    metrics: async () => metrics.render(await pool.collect(), o.extraRegistries ?? []),
    contentType: metrics.contentType,
    notReadyReason: () =>
      draining
        ? 'shutting down'
        : follower.version === null
          ? 'no ad index loaded yet'
          : null,
    readyFacts: () => ({ version: follower.version, workers: pool.size }),
  });
  await follower.start();
  await events?.start(EVENT_CATCH_UP_MS);
  log.info('engine listening', {
    port: pool.port,
    internal_port: internal.port,
    workers: pool.size,
    server_pids: pool.pids,
    store: o.store.description,
    version: follower.version,
  });

  return {
    port: pool.port,
    internalPort: internal.port,
    metrics,
    follower,
    async shutdown(timeoutMs) {
      draining = true;
      follower.stop();
      events?.stop();
      await pool.drain();
      await waitUntilIdle(pool, timeoutMs);
      internal.close();
      await pool.close();
    },
  };
}

/** Resolves once no request was answered for IDLE_MS, or after timeoutMs. */
async function waitUntilIdle(pool: ServerPool, timeoutMs: number): Promise<void> {
  const IDLE_MS = 300;
  const deadline = Date.now() + timeoutMs;
  let last = await answered(pool);
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await answered(pool);
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= IDLE_MS) {
      return;
    }
  }
}

async function answered(pool: ServerPool): Promise<number> {
  let total = 0;
  for (const thread of await pool.collect()) {
    for (const m of thread) if (m.name === 'engine_http_requests_total') for (const v of m.values) total += v.value;
  }
  return total;
}
