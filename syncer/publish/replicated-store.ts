// Where the production syncer publishes: the primary store (S3: every version, the source of truth)
// and a Redis copy of the recent versions and the pointer that engines read first. Order: version to
// S3, version to Redis, leader check, pointer to S3, pointer to Redis. A Redis failure does not fail
// the publish (S3 has it; engines fall back to S3 or catch up on the next run's repair()), but it is
// counted. The leader check right before the pointer write keeps a syncer that lost the lock out.

import type { SnapshotKind } from '../../core/domain/ads/snapshot.js';
import type { RedisSnapshotStore } from '../../core/store/redis-snapshot-store.js';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';
import type { Leadership } from '../leader/leader-lock.js';

/** Versions Redis keeps per kind (the pointed-to one is always kept). Stream snapshots are
 * large (65 MB at 1M players) and only read at boot: the newest and one to fall back on. */
const REDIS_KEEP: Readonly<Record<SnapshotKind, number>> = { ads: 3, stream: 2 };

export interface ReplicatedStoreOptions {
  primary: SnapshotStore;
  replica: RedisSnapshotStore | null;
  leadership: Leadership;
  onReplicaFailure(err: Error): void;
}

export class ReplicatedStore implements SnapshotStore {
  readonly description: string;

  constructor(private readonly o: ReplicatedStoreOptions) {
    this.description = o.replica === null ? o.primary.description : `${o.primary.description} + ${o.replica.description}`;
  }

  async put(kind: SnapshotKind, version: string, bytes: Uint8Array): Promise<void> {
    await this.o.primary.put(kind, version, bytes);
    await this.toReplica((r) => r.put(kind, version, bytes));
  }

  async setLatest(kind: SnapshotKind, version: string): Promise<void> {
    await this.o.leadership.assertLeader();
    await this.o.primary.setLatest(kind, version);
    await this.toReplica(async (r) => {
      await r.setLatest(kind, version);
      await r.keepNewest(kind, REDIS_KEEP[kind]);
    });
  }

  latest(kind: SnapshotKind): Promise<string | null> {
    return this.o.primary.latest(kind);
  }

  get(kind: SnapshotKind, version: string): Promise<Uint8Array> {
    return this.o.primary.get(kind, version);
  }

  list(kind: SnapshotKind): Promise<string[]> {
    return this.o.primary.list(kind);
  }

  /** Removes the version from both stores; true when the primary held it. */
  async remove(kind: SnapshotKind, version: string): Promise<boolean> {
    const removed = await this.o.primary.remove(kind, version);
    await this.toReplica(async (r) => {
      await r.remove(kind, version);
    });
    return removed;
  }

  /**
   * Puts the replica's pointer back in step with the primary's (Redis was down during a publish, or
   * restarted empty). Returns the version copied, or null when nothing was needed or possible.
   */
  async repair(kind: SnapshotKind): Promise<string | null> {
    const replica = this.o.replica;
    if (replica === null) return null;
    const latest = await this.o.primary.latest(kind);
    if (latest === null) return null;
    let copied: string | null = null;
    await this.toReplica(async (r) => {
      if ((await r.latest(kind)) === latest) return;
      await this.o.leadership.assertLeader();
      await r.put(kind, latest, await this.o.primary.get(kind, latest));
      await r.setLatest(kind, latest);
      copied = latest;
    });
    return copied;
  }

  private async toReplica(write: (r: RedisSnapshotStore) => Promise<void>): Promise<void> {
    if (this.o.replica === null) return;
    try {
      await write(this.o.replica);
    } catch (err) {
      if ((err as { code?: string }).code === 'NOT_LEADER') throw err;
      this.o.onReplicaFailure(err as Error);
    }
  }
}
