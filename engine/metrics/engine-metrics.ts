// The engine's main-process metrics: what the index is, how old, whether swaps fail, whether uWS runs
// native. Request counters live per server process (request-metrics.ts) and are merged in at scrape.

import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../core/runtime/process-metrics.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { MetricSnapshot } from './hot-metrics.js';
import { splitEventId } from '../../core/domain/stream/event.js';
import type { BatchObserver } from '../../core/store/group-commit.js';

export const loadFailureReasons = ['corrupt', 'store_unavailable', 'install_failed'] as const;
export type LoadFailureReason = (typeof loadFailureReasons)[number];

export interface IndexFacts {
  version: string;
  ads: number;
  markets: number;
  bytes: number;
  createdAtMs: number;
  loadedAtMs: number;
}

export class EngineMetrics implements BatchObserver {
  readonly registry = new Registry();
  private index: IndexFacts | null = null;
  private readonly swaps: Counter;
  private readonly loadFailures: Counter<'reason'>;
  private readonly readyGauge: Gauge;
  private ready = false;
  private readonly eventsApplied: Counter;
  private readonly logUp: Gauge;
  private readonly replayed: Gauge;
  private readonly lastEvent: Gauge;
  private readonly gapReloads: Counter;
  private readonly batches: Counter<'outcome'>;
  private readonly batchEvents: Histogram;
  private readonly batchSeconds: Histogram;

  constructor(clock: Clock, facts: { workers: number }) {
    const registers = [this.registry];
    collectProcessMetrics(this.registry);
    const self = this;
    new Gauge({ name: 'engine_workers', help: 'Public server processes (ENGINE_WORKERS).', registers }).set(facts.workers);
    this.readyGauge = new Gauge({ name: 'engine_ready', help: '1 once every server process has an index.', registers });
    this.readyGauge.set(0);
    new Gauge({
      name: 'engine_index_info',
      help: 'The installed ad index version (value is always 1).',
      labelNames: ['version'],
      registers,
      collect() {
        this.reset();
        if (self.index !== null) this.set({ version: self.index.version }, 1);
      },
    });
    const indexGauge = (name: string, help: string, read: (f: IndexFacts) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(self.index === null ? 0 : read(self.index));
        },
      });
    indexGauge('engine_index_ads', 'Ads in the installed index.', (f) => f.ads);
    indexGauge('engine_index_markets', 'Markets (country, lang) in the installed index.', (f) => f.markets);
    indexGauge('engine_index_bytes', 'Approximate bytes of response bodies and bucket tables, per server process.', (f) => f.bytes);
    indexGauge('engine_index_age_seconds', 'Seconds since the installed index was swapped in.', (f) => (clock.now() - f.loadedAtMs) / 1000);
    // With the stores down the engine keeps serving; this is how stale what it serves is.
    indexGauge('engine_snapshot_age_seconds', 'Seconds since the syncer built the installed snapshot.', (f) => (clock.now() - f.createdAtMs) / 1000);
    this.swaps = new Counter({ name: 'engine_index_swaps_total', help: 'Snapshots installed.', registers });
    this.loadFailures = new Counter({
      name: 'engine_snapshot_load_failures_total',
      help: 'Snapshots refused or not loadable; the last good index stayed live.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of loadFailureReasons) this.loadFailures.inc({ reason }, 0);
    this.eventsApplied = new Counter({ name: 'engine_events_applied_total', help: 'Events from the log folded into the in-memory indexes.', registers });
    this.logUp = new Gauge({ name: 'engine_event_log_up', help: '1 while reads of the event log succeed, 0 while it is unreachable.', registers });
    this.replayed = new Gauge({
      name: 'engine_event_log_replayed',
      help: '1 once the stream snapshot is loaded and the log read to its end (the routes on the event log answer: games, reports, topics, votes).',
      registers,
    });
    this.lastEvent = new Gauge({
      name: 'engine_last_event_timestamp_seconds',
      help: 'Time in the id of the last event applied; under a steady write flow, time() minus this is how far behind the engine is.',
      registers,
    });
    this.gapReloads = new Counter({
      name: 'engine_event_log_gap_reloads_total',
      help: 'Times the engine found events after its position trimmed (an outage longer than the retention) and reloaded the snapshot.',
      registers,
    });
    this.batches = new Counter({
      name: 'engine_write_batches_total',
      help: 'Group commits sent to the event log: committed (every write in it acknowledged) or failed (every write in it answered 503).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['committed', 'failed']) this.batches.inc({ outcome }, 0);
    this.batchEvents = new Histogram({
      name: 'engine_write_batch_events',
      help: 'Writes per committed batch (WRITE_BATCH_MAX_EVENTS caps it).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'engine_write_batch_seconds',
      help: 'From a batch leaving for the event log to its acknowledgement (durable as EVENT_LOG_DURABILITY asks).',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  committed(events: number, seconds: number): void {
    this.batches.inc({ outcome: 'committed' });
    this.batchEvents.observe(events);
    this.batchSeconds.observe(seconds);
  }

  failed(_events: number, _err: Error): void {
    this.batches.inc({ outcome: 'failed' });
  }

  eventLogRead(ok: boolean): void {
    this.logUp.set(ok ? 1 : 0);
  }

  eventsFolded(n: number, lastId: string): void {
    this.eventsApplied.inc(n);
    this.lastEvent.set(splitEventId(lastId)[0] / 1000);
  }

  /** The engine now stands at `id` without folding to it (a stream snapshot loaded at that offset). */
  eventPositionRestored(id: string): void {
    const ms = splitEventId(id)[0];
    // The metric stays "time of the newest event this engine reflects", not 0 until the next write.
    if (ms > 0) this.lastEvent.set(ms / 1000);
  }

  eventLogReplayed(): void {
    this.replayed.set(1);
  }

  gapReloaded(): void {
    this.gapReloads.inc();
  }

  indexInstalled(facts: IndexFacts): void {
    this.index = facts;
    this.swaps.inc();
    if (!this.ready) {
      this.ready = true;
      this.readyGauge.set(1);
    }
  }

  loadFailed(reason: LoadFailureReason): void {
    this.loadFailures.inc({ reason });
  }

  /** Prometheus text of this registry merged with every server process's metrics. */
  async render(servers: MetricSnapshot[][], extra: readonly Registry[]): Promise<string> {
    const own = await Promise.all([this.registry, ...extra].map((r) => r.getMetricsAsJSON()));
    const merged = AggregatorRegistry.aggregate([...own, ...(servers as never[])]);
    return merged.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
