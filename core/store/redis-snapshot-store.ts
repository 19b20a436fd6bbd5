// SnapshotStore on Redis: the fast copy engines read first (docs/architecture.md "Ports and adapters"). S3 keeps
// every version; Redis keeps the recent ones (the syncer prunes with keepNewest()) and the pointer:
//   <prefix>snap:<kind>:versions   hash version → snapshot bytes
//   <prefix>snap:<kind>:latest     the pointer: a version
// setLatest is one Lua script, so the pointer only ever names a version present in the hash, and a
// reader sees the old pointer or the new one. Redis is single-threaded: every step is atomic.

import type { Redis } from 'ioredis';
import { SnapshotExistsError, SnapshotNotFoundError } from '../errors.js';
import type { SnapshotKind } from '../domain/ads/snapshot.js';
import { VERSION_PATTERN, checkVersion, type SnapshotStore } from './snapshot-store.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';

/** KEYS[1] versions hash, KEYS[2] pointer; ARGV[1] version. 0 when the version is not stored. */
const SET_LATEST = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1`;

/** KEYS[1] versions hash; ARGV[1] version, ARGV[2] bytes. 1 stored, 0 same bytes already, -1 other bytes. */
const PUT = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing == false then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end
if existing == ARGV[2] then return 0 end
return -1`;

export class RedisSnapshotStore implements SnapshotStore {
  readonly description: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys = redisKeys(),
  ) {
    const o = redis.options;
    this.description = `redis ${o.host ?? '?'}:${o.port ?? '?'}/${o.db ?? 0} ${keys.snapshotsPattern}`;
  }

  async put(kind: SnapshotKind, version: string, bytes: Uint8Array): Promise<void> {
    checkVersion(version);
    const r = (await this.redis.eval(PUT, 1, this.versionsKey(kind), version, Buffer.from(bytes))) as number;
    if (r === -1) throw new SnapshotExistsError(`snapshot ${kind}/${version} already exists with other content`);
  }

  async setLatest(kind: SnapshotKind, version: string): Promise<void> {
    checkVersion(version);
    const r = (await this.redis.eval(SET_LATEST, 2, this.versionsKey(kind), this.pointerKey(kind), version)) as number;
    if (r === 0) throw new SnapshotNotFoundError(`snapshot ${kind}/${version} does not exist`);
  }

  async latest(kind: SnapshotKind): Promise<string | null> {
    return this.redis.get(this.pointerKey(kind));
  }

  async get(kind: SnapshotKind, version: string): Promise<Uint8Array> {
    checkVersion(version);
    const bytes = await this.redis.hgetBuffer(this.versionsKey(kind), version);
    if (bytes === null) throw new SnapshotNotFoundError(`snapshot ${kind}/${version} is not in Redis`);
    return bytes;
  }

  async list(kind: SnapshotKind): Promise<string[]> {
    return (await this.redis.hkeys(this.versionsKey(kind))).filter((v) => VERSION_PATTERN.test(v)).sort();
  }

  async remove(kind: SnapshotKind, version: string): Promise<boolean> {
    if (!VERSION_PATTERN.test(version) || (await this.latest(kind)) === version) return false;
    return (await this.redis.hdel(this.versionsKey(kind), version)) === 1;
  }

  /**
   * Drops all but the newest `keep` versions, never the one the pointer names (after a rollback it
   * may be old). Versions sort by their timestamp prefix. Returns the versions dropped.
   */
  async keepNewest(kind: SnapshotKind, keep: number): Promise<string[]> {
    const latest = await this.latest(kind);
    const versions = await this.list(kind);
    const drop = versions.slice(0, Math.max(0, versions.length - keep)).filter((v) => v !== latest);
    if (drop.length > 0) await this.redis.hdel(this.versionsKey(kind), ...drop);
    return drop;
  }

  private versionsKey(kind: SnapshotKind): string {
    return this.keys.snapshotVersions(kind);
  }

  private pointerKey(kind: SnapshotKind): string {
    return this.keys.snapshotLatest(kind);
  }
}
