// What an engine reads in production: Redis first (fast, close), S3 when Redis has nothing or is
// down (engines never touch a store to answer a request: this runs on swaps, never per
// request). Both are copies the syncer writes in one order, S3 then Redis, and the syncer puts Redis
// back in step with S3 on every run, so Redis lagging S3 lasts at most one sync interval.
// Read-only: publishing goes through the syncer's stores.

import type { SnapshotKind } from '../domain/ads/snapshot.js';
import { ReadOnlyStoreError } from '../errors.js';
import type { SnapshotStore } from './snapshot-store.js';

export class ReadThroughStore implements SnapshotStore {
  readonly description: string;

  constructor(
    private readonly primary: SnapshotStore,
    private readonly fallback: SnapshotStore,
  ) {
    this.description = `${primary.description}, then ${fallback.description}`;
  }

  async latest(kind: SnapshotKind): Promise<string | null> {
    try {
      const version = await this.primary.latest(kind);
      if (version !== null) return version;
    } catch {
      // Down or failing: the fallback answers; if it fails too, its error is the one reported.
    }
    return this.fallback.latest(kind);
  }

  async get(kind: SnapshotKind, version: string): Promise<Uint8Array> {
    try {
      return await this.primary.get(kind, version);
    } catch {
      return this.fallback.get(kind, version);
    }
  }

  async list(kind: SnapshotKind): Promise<string[]> {
    return this.fallback.list(kind);
  }

  put(): Promise<void> {
    return Promise.reject(new ReadOnlyStoreError('ReadThroughStore is read-only: the syncer publishes'));
  }

  remove(): Promise<boolean> {
    return Promise.reject(new ReadOnlyStoreError('ReadThroughStore is read-only: the syncer publishes'));
  }

  setLatest(): Promise<void> {
    return Promise.reject(new ReadOnlyStoreError('ReadThroughStore is read-only: the syncer publishes'));
  }
}
