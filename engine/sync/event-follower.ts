// Keeps every server's stream state (games, reports, topics, votes) current from the main process
// (docs/architecture.md "Data flow": every engine tails the log and folds its events into memory).
// Boot is snapshot + tail: the newest stream snapshot (the whole fold up to its stream offset) is
// loaded on every server,
// then the log is read from that offset to its end, then followed with blocking reads that hand
// each batch to the pool in order. Until the first catch-up the routes on the event log (games,
// reports, topics, votes) answer 503 (an engine that has not replayed would say "never reported" wrongly); ads are served regardless.
// A failing store or log (Redis down) is retried every second; the indexes keep what they have.
// A snapshot that does not decode is skipped for the next older one: the stream is only trimmed
// behind the newest, so an older snapshot plus a longer tail gives the same answers.
// An engine cut off from the log for longer than the syncer's retention finds, when the log comes
// back, events after its position trimmed away: before reading on it compares its position with
// the log's oldest event and, when that is newer, jumps to the newest snapshot (which holds them).

import type { Logger } from '../../core/runtime/logger.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START, compareEventIds } from '../../core/domain/stream/event.js';
import { newestUsable, type SnapshotStore } from '../../core/store/snapshot-store.js';

const BATCH = 1_000;
const BLOCK_MS = 1_000;
const RETRY_MS = 1_000;
/**
 * After a read that found events (fewer than a batch), the next waits this long. Under a steady
 * write flow a blocking read returns as soon as one event lands, so without the pause every turn of
 * the loop paid one more read (a command to encode, a reply to parse) for a handful of events. Votes
 * and reports do not wait for the fold (own writes), so the pause delays only what another engine
 * sees, and the answer to a game or topic creation, by this much.
 */
const GATHER_MS = 2;

export class EventFollower {
  private position = START;
  private running = false;
  private snapshotLoaded = false;
  private caughtUpOnce = false;
  private everyServerKnows = false;
  private failing = false;
  private storeFailing = false;

  constructor(
    private readonly log: EventLog,
    private readonly snapshots: SnapshotStore,
    private readonly pool: ServerPool,
    private readonly logger: Logger,
    private readonly metrics: EngineMetrics,
  ) {}

  /**
   * True once the log has been read to its end and every server has been told, so that every write
   * and stream read answers: what readiness waits for.
   */
  get replayed(): boolean {
    return this.everyServerKnows;
  }

  get applied(): string {
    return this.position;
  }

  /**
   * Starts following. Resolves once caught up, or at `timeoutMs`, or at the first failure (a store
   * or log that is down must not hold up serving ads); following goes on in the background either way.
   */
  async start(timeoutMs: number): Promise<void> {
    this.running = true;
    const deadline = Date.now() + timeoutMs;
    if (await this.loadSnapshot()) {
      while (this.running && !this.caughtUpOnce && Date.now() < deadline) {
        const n = await this.readOnce(0);
        if (n === 0) await this.markCaughtUp();
        if (n < 0) break;
      }
    }
    void this.follow();
  }

  stop(): void {
    this.running = false;
  }

  private async follow(): Promise<void> {
    while (this.running && !(await this.loadSnapshot())) await sleep(RETRY_MS);
    while (this.running) {
      const n = await this.readOnce(BLOCK_MS);
      if (n === 0) await this.markCaughtUp();
      if (n < 0) await sleep(RETRY_MS);
      else if (n > 0 && n < BATCH) await sleep(GATHER_MS);
    }
  }

  /** True once the snapshot is loaded, or there is none to load; false when the store failed. */
  private async loadSnapshot(): Promise<boolean> {
    if (this.snapshotLoaded) return true;
    const store = this.snapshots;
    try {
      const latest = await store.latest('stream');
      const loaded =
        latest === null
          ? null
          : await newestUsable(store, 'stream', latest, (bytes) => this.pool.loadStream(bytes), (version, err) =>
              this.logger.error('stream snapshot refused; trying the one before it', { version, err }),
            );
      if (loaded !== null) {
        this.position = loaded.streamOffset;
        this.metrics.eventPositionRestored(this.position);
        this.logger.info('stream snapshot loaded', { ...loaded, store: store.description });
      } else if (latest !== null) {
        this.logger.error('no stream snapshot loads; replaying the event log from its start');
      }
    } catch (err) {
      if (!this.storeFailing) this.logger.error('snapshot store unavailable; the blacklist waits for its snapshot', { store: store.description, err: err as Error });
      this.storeFailing = true;
      return false;
    }
    if (this.storeFailing) this.logger.info('snapshot store reachable again', { store: store.description });
    this.storeFailing = false;
    this.snapshotLoaded = true;
    return true;
  }

  /** After an outage: if events after our position may have been trimmed, load the newest snapshot. */
  private async skipTrimmedGap(): Promise<void> {
    const oldest = await this.log.first();
    if (oldest === null || this.position === START || compareEventIds(oldest, this.position) <= 0) return;
    const latest = await this.snapshots.latest('stream');
    if (latest === null) return;
    const loaded = await this.pool.loadStream(await this.snapshots.get('stream', latest)).catch((err: Error) => {
      // Not ahead of us (then no event we lack was trimmed) or refused: read on from where we are.
      this.logger.warn('stream snapshot not loaded after the outage', { version: latest, err });
      return null;
    });
    if (loaded === null) return;
    this.metrics.gapReloaded();
    this.logger.warn('the event log was trimmed past this engine during the outage; reloaded the stream snapshot', {
      from: this.position,
      oldest_kept: oldest,
      ...loaded,
    });
    this.position = loaded.streamOffset;
    this.metrics.eventPositionRestored(this.position);
  }

  private async markCaughtUp(): Promise<void> {
    if (this.caughtUpOnce) return;
    this.caughtUpOnce = true;
    this.metrics.eventLogReplayed();
    try {
      await this.pool.eventsCaughtUp();
      this.everyServerKnows = true;
    } catch (err) {
      // A server process that is gone: the pool's crash handling takes the engine down.
      this.logger.warn('could not tell every server the event log is replayed', { err: err as Error });
    }
    this.logger.info('event log replayed', { log: this.log.description, position: this.position });
  }

  /** Events applied, or -1 when the log failed. */
  private async readOnce(blockMs: number): Promise<number> {
    try {
      if (this.failing) await this.skipTrimmedGap();
      const events = await this.log.read(this.position, { count: BATCH, blockMs });
      if (this.failing) this.logger.info('event log reachable again', { log: this.log.description });
      this.failing = false;
      this.metrics.eventLogRead(true);
      if (events.length === 0 || !this.running) return 0;
      this.pool.applyEvents(events);
      this.position = events[events.length - 1]!.id;
      this.metrics.eventsFolded(events.length, this.position);
      return events.length;
    } catch (err) {
      if (!this.running) return 0; // the connection closed under a blocking read at shutdown
      if (!this.failing) this.logger.error('event log unavailable; checks answer from what was applied', { log: this.log.description, err: err as Error });
      this.failing = true;
      this.metrics.eventLogRead(false);
      return -1;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
