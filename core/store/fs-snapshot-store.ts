// SnapshotStore on a local folder (embedded mode):
//   <dir>/snapshots/<kind>/<version>.json   immutable version files
//   <dir>/snapshots/<kind>/latest           the pointer: one line holding a version
// Every file is written to a temporary name, fsynced, then renamed into place, so a crash leaves
// either the old file or the new one, never a torn one (rename(2) is atomic within a filesystem).

import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotExistsError, SnapshotNotFoundError } from '../errors.js';
import type { SnapshotKind } from '../domain/ads/snapshot.js';
import { VERSION_PATTERN, checkVersion, type SnapshotStore } from './snapshot-store.js';
import { writeAtomically } from './atomic-file.js';

const SUFFIX = '.json';

export class FsSnapshotStore implements SnapshotStore {
  readonly description: string;

  constructor(private readonly dir: string) {
    this.description = `folder ${join(dir, 'snapshots')}`;
  }

  async put(kind: SnapshotKind, version: string, bytes: Uint8Array): Promise<void> {
    checkVersion(version);
    const file = this.versionPath(kind, version);
    const existing = await readIfExists(file);
    if (existing !== null) {
      if (Buffer.compare(existing, bytes) === 0) return;
      throw new SnapshotExistsError(`snapshot ${kind}/${version} already exists with other content`);
    }
    await mkdir(this.kindDir(kind), { recursive: true });
    await writeAtomically(file, bytes);
  }

  async setLatest(kind: SnapshotKind, version: string): Promise<void> {
    checkVersion(version);
    if ((await readIfExists(this.versionPath(kind, version))) === null) {
      throw new SnapshotNotFoundError(`snapshot ${kind}/${version} does not exist`);
    }
    await writeAtomically(join(this.kindDir(kind), 'latest'), Buffer.from(version + '\n'));
  }

  async latest(kind: SnapshotKind): Promise<string | null> {
    const pointer = await readIfExists(join(this.kindDir(kind), 'latest'));
    if (pointer === null) return null;
    const version = pointer.toString('utf8').trim();
    return version === '' ? null : version;
  }

  async get(kind: SnapshotKind, version: string): Promise<Uint8Array> {
    checkVersion(version);
    const bytes = await readIfExists(this.versionPath(kind, version));
    if (bytes === null) throw new SnapshotNotFoundError(`snapshot ${kind}/${version} does not exist`);
    return bytes;
  }

  async remove(kind: SnapshotKind, version: string): Promise<boolean> {
    if (!VERSION_PATTERN.test(version) || (await this.latest(kind)) === version) return false;
    try {
      await unlink(this.versionPath(kind, version));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async list(kind: SnapshotKind): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.kindDir(kind));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => n.slice(0, -SUFFIX.length))
      .filter((v) => VERSION_PATTERN.test(v))
      .sort();
  }

  private kindDir(kind: SnapshotKind): string {
    return join(this.dir, 'snapshots', kind);
  }

  private versionPath(kind: SnapshotKind, version: string): string {
    return join(this.kindDir(kind), version + SUFFIX);
  }
}

async function readIfExists(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
