// The campaign sync job: pull the feed, validate row by row, and publish a new snapshot only when the
// ads changed. Any failure (fetch, a refused feed, the store) leaves the last good snapshot published.
// The cron schedule and the start-up run both call run(); tests call it directly.

import { singleFlight } from './single-flight.js';
import type { Clock } from '../../core/runtime/clock.js';
import { failureOutcome } from './failure-outcome.js';
import { parseFeed } from '../../core/domain/ads/feed.js';
import { adsContentHash } from '../../core/domain/ads/snapshot.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { Notifier } from '../../core/store/notifier.js';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';
import { compileAdsSnapshot, versionHash } from '../compile/ads-snapshot.js';
import type { FeedClient } from '../feed/feed-client.js';
import type { SyncerMetrics, SyncOutcome } from '../metrics.js';
import { publishSnapshot } from '../publish/publish-snapshot.js';

export interface SyncCampaignsDeps {
  feed: FeedClient;
  store: SnapshotStore;
  notifier: Notifier | null;
  metrics: SyncerMetrics;
  log: Logger;
  clock: Clock;
  /**
   * Where engines find the pointer when `store` cannot answer (production: Redis, the copy engines
   * read first, while S3 is down). Asked only to name the version a failed run leaves published.
   */
  servedFrom?: Pick<SnapshotStore, 'latest'> | null;
}

export interface SyncResult {
  readonly outcome: SyncOutcome;
  /** The published version, when one is live (after a failure: the one that stays published). */
  readonly version: string | null;
}

export class SyncCampaigns {
  /** The pointer as this job last read or moved it, for when no store can say. */
  private known: string | null = null;

  constructor(private readonly d: SyncCampaignsDeps) {}

  /** Runs once; a call while a run is in progress shares it. */
  readonly run = singleFlight(() => this.runOnce());

  private async runOnce(): Promise<SyncResult> {
    const { feed, store, notifier, metrics, log, clock } = this.d;
    const end = (outcome: SyncOutcome, version: string | null): SyncResult => {
      metrics.syncEnded(outcome, clock.now());
      return { outcome, version };
    };
    const started = performance.now();
    // undefined until the pointer is read: a store that cannot be read says nothing about what is live.
    let current: string | null | undefined;
    try {
      current = this.known = await store.latest('ads');
      const pull = await feed.pull();
      if (!pull.changed) {
        log.info('campaign feed not modified; nothing to publish', { outcome: 'not_modified', version: current, ms: msSince(started) });
        return end('not_modified', current);
      }
      const validation = parseFeed(pull.text);
      metrics.pulled((performance.now() - started) / 1000, pull.bytes);
      metrics.validated(validation.ads.length, validation.rejectedByReason);
      for (const r of validation.rejectedSamples) log.warn('feed row dropped', { row: r.row, id: r.id, reason: r.reason });
      if (validation.rejectedTotal > validation.rejectedSamples.length) {
        log.warn('more feed rows dropped', { not_logged: validation.rejectedTotal - validation.rejectedSamples.length });
      }
      // Hash first, encode only when the ads changed: an unchanged feed costs no snapshot build.
      const contentHash = adsContentHash(validation.ads);
      const hash = contentHash.slice(0, 12);
      if (current !== null && versionHash(current) === hash) {
        log.info('campaign feed unchanged; nothing to publish', { outcome: 'unchanged', version: current, ms: msSince(started) });
        return end('unchanged', current);
      }
      // After a rollback the pointer names an older version than the newest stored one. Keep it
      // until the feed differs from what was rolled back from, or the next run would undo it.
      const newest = current === null ? undefined : (await store.list('ads')).at(-1);
      if (newest !== undefined && newest !== current && versionHash(newest) === hash) {
        log.info('campaign feed unchanged since the rollback; the rolled-back version stays', {
          outcome: 'unchanged',
          version: current,
          rolled_back_from: newest,
          ms: msSince(started),
        });
        return end('unchanged', current);
      }
      const compiled = compileAdsSnapshot(validation.ads, clock.now(), '0', contentHash);
      await publishSnapshot(store, notifier, 'ads', compiled.snapshot.version, compiled.bytes);
      this.known = compiled.snapshot.version;
      log.info('ads snapshot published', {
        outcome: 'published',
        version: compiled.snapshot.version,
        previous: current,
        ads: validation.ads.length,
        rejected: validation.rejectedTotal,
        bytes: compiled.bytes.length,
        ms: msSince(started),
      });
      return end('published', compiled.snapshot.version);
    } catch (err) {
      const outcome: SyncOutcome = failureOutcome(err, 'publish_failed');
      // A refused body must not be skipped as "not modified" next time just because its ETag repeats.
      if (outcome === 'feed_rejected') feed.forgetValidators();
      const kept = current !== undefined ? current : await this.keptUnread();
      log.error('campaign sync failed; last good snapshot stays published', { outcome, kept, ms: msSince(started), err: err as Error });
      return end(outcome, kept);
    }
  }

  /**
   * The version live when the store's pointer could not be read (S3 down): the pointer engines
   * read meanwhile, else the last one this job read or published. Null only when nothing knows.
   */
  private async keptUnread(): Promise<string | null> {
    try {
      const served = await this.d.servedFrom?.latest('ads');
      if (served !== undefined && served !== null) return served;
    } catch {
      // Down as well: what this job last saw is the best answer left.
    }
    return this.known;
  }
}

const msSince = (started: number): number => Math.round(performance.now() - started);
