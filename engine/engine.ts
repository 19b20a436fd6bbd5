// Starts a whole engine inside the current process: public servers, the internal app and the
// snapshot follower, wired to the stores it is given. engine/main.ts, embedded/main.ts and the tests
// all start engines through here, so there is one way an engine comes up and one way it drains.

import type { Registry } from 'prom-client';
import type { Config } from '../core/runtime/config.js';
import { systemClock, type Clock } from '../core/runtime/clock.js';
import type { Logger } from '../core/runtime/logger.js';
import { InternalServer } from '../core/runtime/internal-server.js';
import { EngineMetrics } from './metrics/engine-metrics.js';
import { LocalPool, type ServerPool } from './pool/server-pool.js';
import type { ServerOptions } from './server/public-server.js';
import type { Notifier } from '../core/store/notifier.js';
import type { SnapshotStore } from '../core/store/snapshot-store.js';
import { SnapshotFollower } from './sync/snapshot-follower.js';
import { EventFollower } from './sync/event-follower.js';
import type { EventLog } from '../core/store/event-log.js';
import { ProcessPool } from './pool/process-pool.js';
import { claimPort } from '../core/runtime/port-claim.js';
import { GroupCommit, type BatchObserver } from '../core/store/group-commit.js';

export interface EngineOptions {
  config: Config;
  store: SnapshotStore;
  notifier: Notifier | null;
  /** The write path (games, reports, topics, votes); null: write routes answer 503 and reads know nothing. */
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
  /** Resolves once the index has plans for the clock's now (ServerPool.planned). */
  planned(): Promise<void>;
  /** SIGTERM path: stop accepting, answer open connections with Connection: close until idle or
   * the timeout, then release everything. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Why /readyz is 503 with the ads index loaded: the routes on the event log would answer 503. */
export const STREAM_NOT_READY = 'the event log is not replayed yet: games, reports, topics and votes answer 503 until it is';

/** How long start-up waits for the event log replay before going on (the routes on the log answer 503 until it is done). */
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
    writeBatch: config.writeBatch,
    beaconKeys: config.beaconKeys,
    beaconTtlSec: config.beaconTtlSec,
    publicBaseUrl: config.publicBaseUrl,
    decisionFlushMs: config.decisionFlushMs,
    viewFlushMs: config.viewFlushMs,
    corsOrigins: config.corsOrigins,
  };
  const metrics = new EngineMetrics(clock, { workers: config.engineWorkers });
  // Every write of every server process reaches the log through this one group commit.
  const writer = o.events === null ? null : new GroupCommit(o.events, config.writeBatch, batchObserver(metrics, log));
  const onFatal = (err: Error) => {
    log.error('engine server process died', { err });
    o.onFatal?.(err);
  };
  // Port 0 (tests) gets a port nobody else has; a fixed one is claimed before any server binds it.
  const claim = config.port === 0 ? null : await claimPort('PORT', config.host, config.port);
  const pool: ServerPool = await (config.engineWorkers === 1
    ? LocalPool.start(serverOptions, clock, writer)
    : ProcessPool.start(config.engineWorkers, serverOptions, onFatal, writer)
  ).catch((err: unknown) => {
    claim?.release();
    throw err;
  });
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
  const adsNotReady = () => (draining ? 'shutting down' : follower.version === null ? 'no ad index loaded yet' : null);
  const internal = await InternalServer.start({
    host: config.internalHost,
    port: config.internalPort,
    metrics: async () => metrics.render(await pool.collect(), o.extraRegistries ?? []),
    contentType: metrics.contentType,
    // Ready means every route answers. Ads alone come earlier (an engine that booted while the event
    // log was unreachable serves ads and refuses writes): /readyz/ads, for a load balancer that
    // routes /ad_request apart.
    notReadyReason: () => adsNotReady() ?? (events !== null && !events.replayed ? STREAM_NOT_READY : null),
    readyFacts: () => ({ version: follower.version, workers: pool.size }),
    partial: { ads: adsNotReady },
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
    planned: () => pool.planned(),
    async shutdown(timeoutMs) {
      // Stop accepting first, but keep following the log until every request in flight has its
      // answer: a write waiting for its own event to fold would otherwise wait for nothing, and
      // lose its answer when the connections close although the log already holds it.
      draining = true;
      await pool.drain();
      await waitUntilIdle(pool, timeoutMs);
      follower.stop();
      events?.stop();
      internal.close();
      await pool.close();
      claim?.release();
    },
  };
}

/** How often at most a failing event log is logged (every failed batch is counted in the metrics). */
const BATCH_FAILURE_LOG_MS = 5_000;

/** Batches into the metrics; failures into the log too, at most every BATCH_FAILURE_LOG_MS. */
function batchObserver(metrics: EngineMetrics, log: Logger): BatchObserver {
  let loggedAt = -Infinity;
  let unlogged = 0;
  return {
    committed: (events, seconds) => metrics.committed(events, seconds),
    failed(events, err) {
      metrics.failed(events, err);
      unlogged += events;
      const now = performance.now();
      if (now - loggedAt < BATCH_FAILURE_LOG_MS) return;
      log.error('event log write failed; its writes were answered 503 and none acknowledged', { writes: unlogged, err });
      loggedAt = now;
      unlogged = 0;
    },
  };
}

/** How long no request may be answered before a drained engine counts as idle. */
const IDLE_MS = 300;

/**
 * Resolves once nothing is in flight and no request was answered for IDLE_MS (keep-alive clients
 * may still send on the connections they have), or after timeoutMs.
 */
async function waitUntilIdle(pool: ServerPool, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await traffic(pool);
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await traffic(pool);
    if (now.answered !== last.answered || now.inFlight > 0) {
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= IDLE_MS) {
      return;
    }
    last = now;
  }
}

/** Requests answered so far and in flight now, over every server. */
async function traffic(pool: ServerPool): Promise<{ answered: number; inFlight: number }> {
  let answered = 0;
  let inFlight = 0;
  for (const server of await pool.collect()) {
    for (const m of server) {
      if (m.name === 'engine_http_requests_total') for (const v of m.values) answered += v.value;
      else if (m.name === 'engine_http_requests_in_flight') for (const v of m.values) inFlight += v.value;
    }
  }
  return { answered, inFlight };
}
