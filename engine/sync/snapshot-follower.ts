// Keeps the engine on the newest snapshot: load at start, then on every notification and every
// poll tick compare the store's latest pointer with what is installed. A snapshot that fails to
// decode or compile is refused (metric + log) and remembered, so it is not retried until the pointer
// moves again; the last good index stays live. Notifications only make swaps faster: polling alone
// converges, so a lost notification costs at most one poll interval.

import { SnapshotCorruptError } from '../../core/errors.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';
import type { Notifier } from '../../core/store/notifier.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import type { ServerPool } from '../pool/server-pool.js';
import type { InstalledIndex } from '../server/public-server.js';
import type { Clock } from '../../core/runtime/clock.js';

export interface FollowerOptions {
  store: SnapshotStore;
  notifier: Notifier | null;
  pool: ServerPool;
  metrics: EngineMetrics;
  log: Logger;
  clock: Clock;
  pollMs: number;
}

export class SnapshotFollower {
  private installed: string | null = null;
  private refused: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /** One check at a time; a request for another while one runs schedules exactly one more. */
  private running: Promise<void> | null = null;
  private again = false;
  private storeDown = false;

  constructor(private readonly o: FollowerOptions) {}

  get version(): string | null {
    return this.installed;
  }

  /** First check, then follow. Resolves after the first check whether or not a snapshot was found. */
  async start(): Promise<void> {
    this.unsubscribe = this.o.notifier?.subscribe((kind) => {
      if (kind === 'ads') void this.check();
    }) ?? null;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.o.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Checks the store now; concurrent calls coalesce. Resolves when the store has been looked at. */
  check(): Promise<void> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.checkOnce();
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    const { store, pool, metrics, log } = this.o;
    let latest: string | null;
    let bytes: Uint8Array;
    try {
      latest = await store.latest('ads');
      if (latest === null || latest === this.installed || latest === this.refused) return this.storeUp();
      bytes = await store.get('ads', latest);
    } catch (err) {
      if (!this.storeDown) log.error('snapshot store unavailable; serving the last good index', { store: store.description, err: err as Error });
      this.storeDown = true;
      metrics.loadFailed('store_unavailable');
      return;
    }
    this.storeUp();
    const started = performance.now();
    let index: InstalledIndex;
    try {
      // The pool takes the bytes (get() returned memory of our own, core/store/snapshot-store.ts).
      index = await pool.install(bytes);
    } catch (err) {
      this.refused = latest;
      const corrupt = err instanceof SnapshotCorruptError;
      metrics.loadFailed(corrupt ? 'corrupt' : 'install_failed');
      log.error('snapshot refused; the last good index stays live', {
        version: latest,
        kept: this.installed,
        err: err as Error,
      });
      return;
    }
    const previous = this.installed;
    this.installed = latest;
    metrics.indexInstalled({ ...index, loadedAtMs: this.o.clock.now() });
    log.info('ad index swapped', {
      version: latest,
      previous,
      ads: index.ads,
      markets: index.markets,
      bytes: index.bytes,
      servers: pool.size,
      ms: Math.round(performance.now() - started),
    });
  }

  private storeUp(): void {
    if (this.storeDown) this.o.log.info('snapshot store reachable again', { store: this.o.store.description });
    this.storeDown = false;
  }
}
