// One public server: its uWS app, its index holder and its listen socket. Runs in the engine's main
// process when ENGINE_WORKERS=1, and in each server process otherwise (engine/pool/server-process.ts).
import type { BatchLimits } from '../../core/store/group-commit.js';
import { Registry } from 'prom-client';
import type { us_listen_socket } from 'uWebSockets.js';
import { buildPublicApp } from './app.js';
import type { ApiKey } from '../../core/domain/api-keys.js';
import type { Clock } from '../../core/runtime/clock.js';
import { ListenError } from '../../core/errors.js';
import { uWS } from '../../core/runtime/uws.js';
import { PlayerMemory } from '../decision/player-memory.js';
import { Authenticator } from '../http/auth.js';
import { RateLimiter } from '../http/rate-limit.js';
import { CorsDoor } from '../http/cors.js';
import { StreamHolder } from '../indexes/stream-holder.js';
import { IndexHolder } from '../indexes/holder.js';
import { IndexBuilder } from '../indexes/index-builder.js';
import type { AdIndex } from '../indexes/ad-index.js';
import { RequestMetrics } from '../metrics/request-metrics.js';
import { newServerState, type ServerState } from '../http/server-state.js';
import { decodeStreamSnapshot } from '../../core/domain/stream/stream-snapshot.js';
import type { EventWriter } from '../../core/store/event-log.js';
import type { EncodedEvent, LoggedEvent } from '../../core/domain/stream/event.js';
import { adsViewed, decisionsServed, type AdsViewed } from '../../core/domain/stream/events.js';
import { ViewLog } from '../decision/view-log.js';
import { randomBytes } from 'node:crypto';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { IdempotencyRecords } from '../../core/domain/stream/idempotency.js';
import { Tracking } from '../decision/tracking.js';

/** What a server reports after compiling a snapshot. */
export interface InstalledIndex {
  version: string;
  ads: number;
  markets: number;
  bytes: number;
  /** When the syncer built the snapshot (ms since the epoch). */
  createdAtMs: number;
}

/** What a server reports after loading a stream snapshot. */
export interface LoadedStream {
  version: string;
  streamOffset: string;
  games: number;
  players: number;
  reports: number;
  topics: number;
  votes_cast: number;
  votes_counted: number;
}

export interface ServerOptions {
  host: string;
  /** 0 picks a free port; every server process of one engine passes the same non-zero port. */
  port: number;
  apiKeys: readonly ApiKey[];
  playerMemoryMax: number;
  playerMemoryTtlMs: number;
  /** Cap on a JSON request body (413 above it). */
  maxBodyBytes: number;
  /** Per-key requests per second (0 = unlimited) and burst. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Vote receipts kept for GET /votes/{id}. */
  voteReceipts: number;
  /** Beacon signing keys (the first signs), token lifetime, where tracking URLs point (null: here). */
  beaconKeys: readonly Uint8Array[];
  beaconTtlSec: number;
  publicBaseUrl: string | null;
  /** How often decisions served are sent to the stream. */
  decisionFlushMs: number;
  /** How often the views this server answered are sent to every other server through the stream. */
  viewFlushMs: number;
  /** How a server process groups its writes into one message to the main process (group commit). */
  writeBatch: BatchLimits;
  /** CORS_ORIGINS: origins whose pages may call the API (or `*`); empty = CORS off. */
  corsOrigins: readonly string[];
}

export class PublicServer {
  readonly registry = new Registry();
  readonly holder = new IndexHolder();
  readonly stream: StreamHolder;
  private readonly builder = new IndexBuilder();
  private readonly state: ServerState = newServerState();
  private listenSocket: us_listen_socket | null = null;
  private boundPort = 0;
  private readonly tracking: Tracking;
  private flushTimer: NodeJS.Timeout | null = null;
  private viewTimer: NodeJS.Timeout | null = null;
  private readonly memory: PlayerMemory;
  private readonly views: ViewLog;
  private readonly viewsFolded: Counter;
  private readonly viewDelay: Histogram;

  constructor(
    private readonly opts: ServerOptions,
    private readonly clock: Clock,
    /** Where writes go: the event log (in-process) or the main process (IPC); null = writes get 503. */
    private readonly events: EventWriter | null,
  ) {
    this.stream = new StreamHolder(opts.voteReceipts);
    this.tracking = new Tracking(opts.beaconKeys, opts.beaconTtlSec, this.registry);
    this.memory = new PlayerMemory({ maxEntries: opts.playerMemoryMax, ttlMs: opts.playerMemoryTtlMs, clock });
    this.views = new ViewLog(`${process.pid}-${randomBytes(6).toString('hex')}`);
    this.viewsFolded = new Counter({
      name: 'engine_ad_views_folded_total',
      help: 'Views another server answered, folded into this one\'s player memory (no-repeat rule, frequency caps)',
      registers: [this.registry],
    });
    // Every server process folds the same records: aggregated by max, not summed.
    const stream = this.stream;
    new Gauge({
      name: 'engine_idempotency_records',
      help: 'First answers of writes sent with an Idempotency-Key, kept for retries (README "Safe retries")',
      aggregator: 'max',
      registers: [this.registry],
      collect() {
        this.set(stream.idem.size);
      },
    });
    let counted: IdempotencyRecords | null = null;
    let dropped = 0;
    new Counter({
      name: 'engine_idempotency_records_dropped_total',
      help: 'Idempotency records dropped at the cap before their 24 h: a retry of such a write is written again',
      aggregator: 'max',
      registers: [this.registry],
      collect() {
        const records = stream.idem;
        if (records !== counted) [counted, dropped] = [records, 0]; // a snapshot replaced the state
        this.inc(records.droppedEarly - dropped);
        dropped = records.droppedEarly;
      },
    });
    this.viewDelay = new Histogram({
      name: 'engine_ad_views_delay_seconds',
      help: 'From a view\'s decision on another server to its fold here: how long the no-repeat rule and caps may miss it',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  get port(): number {
    return this.boundPort;
  }

  listen(): Promise<number> {
    const app = buildPublicApp({
      holder: this.holder,
      auth: new Authenticator(this.opts.apiKeys),
      memory: this.memory,
      views: this.events === null ? null : this.views,
      clock: this.clock,
      metrics: new RequestMetrics(this.registry, () => this.state.inFlight),
      state: this.state,
      stream: this.stream,
      events: this.events === null ? null : this.stream.ownWriter(this.events),
      maxBodyBytes: this.opts.maxBodyBytes,
      tracking: this.tracking,
      limiter: this.opts.rateLimitPerSecond > 0 ? new RateLimiter(this.opts.rateLimitPerSecond, this.opts.rateLimitBurst) : null,
      cors: this.opts.corsOrigins.length > 0 ? new CorsDoor(this.opts.corsOrigins) : null,
    });
    return new Promise((resolve, reject) => {
      app.listen(this.opts.host, this.opts.port, (token) => {
        if (token === false) return reject(new ListenError(`cannot listen on ${this.opts.host}:${this.opts.port}`));
        this.listenSocket = token;
        this.boundPort = uWS.us_socket_local_port(token);
        this.tracking.setBase(this.opts.publicBaseUrl, this.opts.host, this.boundPort);
        this.flushTimer = setInterval(() => this.flushDecisions(), this.opts.decisionFlushMs).unref();
        this.viewTimer = setInterval(() => this.flushViews(), this.opts.viewFlushMs).unref();
        resolve(this.boundPort);
      });
    });
  }

  /**
   * Decodes and compiles snapshot bytes on the builder thread, then swaps the index in. Requests keep
   * being answered from the current index meanwhile. Rejects (keeping the old index) if corrupt.
   * Takes the bytes: they may move to the builder thread, so the caller must not use them afterwards.
   */
  async install(bytes: Uint8Array): Promise<InstalledIndex> {
    const { index, createdAtMs } = await this.builder.build(bytes, { handOver: true, asOf: this.clock.now() });
    index.onPlanNeeded = (asOf) => void this.plan(index, asOf);
    this.holder.install(index);
    index.start();
    return { version: index.version, ads: index.adCount, markets: index.marketCount, bytes: index.approxBytes, createdAtMs };
  }

  /**
   * Compiles the plans of the stretch of time containing `asOf` for an index and hands them to it.
   * A failure (the builder moved on to a newer index) lets the index ask again later.
   */
  private async plan(index: AdIndex, asOf: number): Promise<void> {
    try {
      index.addPlan(await this.builder.plan(index.version, asOf), this.clock.now());
    } catch {
      index.planFailed();
    }
  }

  /** Resolves once the index in force has plans for `now` (tests that move a manual clock). */
  async planned(now = this.clock.now()): Promise<void> {
    const index = this.holder.ads;
    if (index === null || index.covers(now)) return;
    await this.plan(index, now);
  }

  /** Starts the stream state from snapshot bytes (at boot, or after a trimmed gap): decoded on this thread. */
  loadStream(bytes: Uint8Array): LoadedStream {
    const snapshot = decodeStreamSnapshot(bytes, this.opts.voteReceipts);
    this.stream.load(snapshot);
    const { blacklist, topics, votes } = snapshot.state;
    return {
      version: snapshot.version,
      streamOffset: snapshot.streamOffset,
      games: blacklist.gameCount,
      players: blacklist.playerCount,
      reports: blacklist.reports,
      topics: topics.size,
      votes_cast: votes.votesCast,
      votes_counted: topics.votesCounted,
    };
  }

  /** Writes another server process of this engine made, durable (OwnWrites). */
  recordWritten(ids: readonly string[], events: readonly EncodedEvent[]): void {
    this.stream.recordWritten(ids, events);
  }

  /** Folds events from the stream (in order) into this server's stream state. */
  applyEvents(events: readonly LoggedEvent[]): void {
    this.stream.apply(events);
    for (const e of events) if (e.type === 'ads_viewed') this.foldViews(e.data as AdsViewed);
  }

  /** Another server's views into this one's player memory; this server's own were remembered when answered. */
  private foldViews(batch: AdsViewed): void {
    if (batch.origin === this.views.origin) return;
    const now = this.clock.now();
    let first = Number.POSITIVE_INFINITY;
    for (const [player, adId, campaign, at, keepMs] of batch.views) {
      this.memory.remember(player, adId, campaign ?? undefined, at, keepMs);
      if (at < first) first = at;
    }
    this.viewsFolded.inc(batch.views.length);
    if (Number.isFinite(first)) this.viewDelay.observe(Math.max(0, now - first) / 1000);
  }

  /** Sends the views answered since the last flush to the stream as one ads_viewed event. */
  async flushViews(): Promise<void> {
    const batch = this.views.take();
    if (batch === null || this.events === null) return;
    try {
      await this.events.append(adsViewed(batch));
    } catch {
      // The event log is down (counted and logged by the writer): they go with the next flush.
      this.views.giveBack(batch);
    }
  }

  /**
   * Sends the decisions served since the last flush to the stream as one decisions_served event;
   * what a failed append did not deliver goes with the next. Resolves when the append settled.
   */
  async flushDecisions(): Promise<void> {
    const counts = this.tracking.decisions.take();
    if (counts.length === 0 || this.events === null) return;
    try {
      await this.events.append(decisionsServed({ at: this.clock.now(), counts }));
    } catch {
      // The event log is down: every write answers 503 and the batch failure is logged and counted.
      this.tracking.decisions.giveBack(counts);
    }
  }

  /** Stops accepting connections; open ones are answered with Connection: close. */
  drain(): void {
    this.state.draining = true;
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
    if (this.viewTimer !== null) clearInterval(this.viewTimer);
    this.viewTimer = null;
    void this.flushViews();
    // The last decisions, while the engine waits for its connections to go idle.
    void this.flushDecisions();
    if (this.listenSocket !== null) {
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
  }
}
