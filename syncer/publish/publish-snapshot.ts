// Publishing order is the whole correctness argument: the version object first, the latest pointer
// last, then the notification. A reader that follows the pointer always finds a complete version;
// a crash between steps leaves the previous pointer, i.e. the last good snapshot, published.

import type { SnapshotKind } from '../../core/domain/ads/snapshot.js';
import type { Notifier } from '../../core/store/notifier.js';
import type { SnapshotStore } from '../../core/store/snapshot-store.js';

export async function publishSnapshot(
  store: SnapshotStore,
  notifier: Notifier | null,
  kind: SnapshotKind,
  version: string,
  bytes: Uint8Array,
): Promise<void> {
  await store.put(kind, version, bytes);
  await store.setLatest(kind, version);
  await notifier?.publish(kind, version);
}
