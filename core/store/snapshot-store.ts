// The snapshot store port (docs/architecture.md "Ports and adapters"). Implementations: FsSnapshotStore
// (embedded mode, a folder), S3SnapshotStore (production, any S3-compatible bucket: every version)
// and RedisSnapshotStore (the recent versions, read first). test/contract/snapshot-store.ts is the
// contract every implementation must pass; an adapter is done when it does.
//
// Contract:
// - put() never changes an existing version: the same bytes again is a no-op, other bytes throw
//   SnapshotExistsError. A reader never sees a half-written version.
// - setLatest() moves the pointer atomically (a reader sees the old or the new version, nothing in
//   between) and only to a version that exists (SnapshotNotFoundError otherwise). Publishing is
//   put() first, setLatest() last.
// - latest() is null for a kind never published; get() of an unknown version throws
//   SnapshotNotFoundError; list() is every stored version, oldest first.
// - remove() deletes a stored version for good (README "Erasure"): true when it did, false for a
//   version not stored or the one the pointer names (never removed: readers follow it).
// - get() resolves to bytes the caller owns: changing them, or giving their buffer away, changes
//   neither the store nor a later get() (the engine moves them to its index builder thread).
// - Safe for concurrent use by several readers and one writer.

import { SnapshotNotFoundError } from '../errors.js';
import type { SnapshotKind } from '../domain/ads/snapshot.js';

export interface SnapshotStore {
  put(kind: SnapshotKind, version: string, bytes: Uint8Array): Promise<void>;
  setLatest(kind: SnapshotKind, version: string): Promise<void>;
  latest(kind: SnapshotKind): Promise<string | null>;
  get(kind: SnapshotKind, version: string): Promise<Uint8Array>;
  list(kind: SnapshotKind): Promise<string[]>;
  remove(kind: SnapshotKind, version: string): Promise<boolean>;
  /** Where it stores, for logs: a folder or a bucket URL. */
  readonly description: string;
}

/** Versions are path and key components: keep them to a safe alphabet. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Every store refuses versions outside VERSION_PATTERN as not found (they cannot have been stored). */
export function checkVersion(version: string): void {
  if (!VERSION_PATTERN.test(version)) throw new SnapshotNotFoundError(`invalid snapshot version ${JSON.stringify(version)}`);
}

/**
 * Reads the pointed-to version and hands it to `use`; if `use` refuses it (throws: it does not
 * decode), tries the older versions, newest first, until one is accepted. The listing happens only
 * after a refusal. Null when every version is refused; store failures (get, list) propagate.
 */
export async function newestUsable<T>(
  store: SnapshotStore,
  kind: SnapshotKind,
  latest: string,
  use: (bytes: Uint8Array, version: string) => T | Promise<T>,
  refused: (version: string, err: Error) => void,
): Promise<T | null> {
  const candidates = [latest];
  for (let i = 0; i < candidates.length; i++) {
    const version = candidates[i]!;
    const bytes = await store.get(kind, version);
    try {
      return await use(bytes, version);
    } catch (err) {
      refused(version, err as Error);
      if (i === 0) candidates.push(...(await store.list(kind)).filter((v) => v !== latest).reverse());
    }
  }
  return null;
}
