// The notifier port: "snapshot <kind>/<version> was published". Engines also poll the store, so a
// lost notification delays a swap by at most one poll interval; it never loses one.
// Implementations: InProcessNotifier (embedded mode) and RedisNotifier (pub/sub, redis-notifier.ts).

import { EventEmitter } from 'node:events';
import type { SnapshotKind } from '../domain/ads/snapshot.js';

export type SnapshotListener = (kind: SnapshotKind, version: string) => void;

export interface Notifier {
  publish(kind: SnapshotKind, version: string): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(listener: SnapshotListener): () => void;
}

export class InProcessNotifier implements Notifier {
  private readonly events = new EventEmitter();

  async publish(kind: SnapshotKind, version: string): Promise<void> {
    this.events.emit('published', kind, version);
  }

  subscribe(listener: SnapshotListener): () => void {
    this.events.on('published', listener);
    return () => this.events.off('published', listener);
  }
}
