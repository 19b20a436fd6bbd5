// SnapshotStore on any S3-compatible bucket (production mode; docs/architecture.md "Ports and adapters"):
//   <prefix>snapshots/<kind>/<version>   immutable version objects, gzip-compressed
//   <prefix>snapshots/<kind>/latest      the pointer: a small object holding a version
// On AWS S3 a PutObject replaces an object atomically, so readers see the old pointer or the new
// one, and the pointer is only written after its version object exists (put, then setLatest).
// Some S3-compatible servers rewrite an object in place (s3rver, which the tests run against, does),
// so a reader can catch a pointer half-written: the pointer ends in a newline, and a read without
// it, or whose body stream breaks, is retried. Version objects are never rewritten.
// Versions carry the SHA-256 of their uncompressed bytes in object metadata: put() of an existing
// version compares hashes instead of downloading it.

import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BodyReadError, SnapshotCorruptError, SnapshotExistsError, SnapshotNotFoundError } from '../errors.js';
import type { SnapshotKind } from '../domain/ads/snapshot.js';
import { VERSION_PATTERN, checkVersion, type SnapshotStore } from './snapshot-store.js';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);
const POINTER = 'latest';
const HASH_META = 'sha256';
/** Reads of the pointer before a torn one is reported as an error. */
const POINTER_READ_ATTEMPTS = 5;

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket, e.g. "arcade-edge/"; empty by default. */
  prefix?: string;
}

export class S3SnapshotStore implements SnapshotStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(o: S3StoreOptions) {
    this.client = o.client;
    this.bucket = o.bucket;
    this.prefix = o.prefix ?? '';
    this.description = `s3://${o.bucket}/${this.prefix}snapshots`;
  }

  async put(kind: SnapshotKind, version: string, bytes: Uint8Array): Promise<void> {
    checkVersion(version);
    const hash = sha256(bytes);
    const existing = await this.head(this.versionKey(kind, version));
    if (existing !== null) {
      if (existing[HASH_META] === hash) return;
      throw new SnapshotExistsError(`snapshot ${kind}/${version} already exists with other content`);
    }
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.versionKey(kind, version),
        Body: await gzip(bytes),
        ContentType: 'application/json',
        ContentEncoding: 'gzip',
        Metadata: { [HASH_META]: hash },
      }),
    );
  }

  async setLatest(kind: SnapshotKind, version: string): Promise<void> {
    checkVersion(version);
    if ((await this.head(this.versionKey(kind, version))) === null) {
      throw new SnapshotNotFoundError(`snapshot ${kind}/${version} does not exist`);
    }
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.pointerKey(kind), Body: `${version}\n`, ContentType: 'text/plain' }),
    );
  }

  async latest(kind: SnapshotKind): Promise<string | null> {
    const key = this.pointerKey(kind);
    for (let attempt = 1; ; attempt++) {
      let text: string | null = null;
      try {
        const body = await this.getObject(key);
        if (body === null) return null;
        text = Buffer.from(body).toString('utf8');
        if (text.endsWith('\n')) return text.trim() || null;
      } catch (err) {
        if (!(err instanceof BodyReadError)) throw err;
      }
      if (attempt === POINTER_READ_ATTEMPTS) {
        throw new SnapshotCorruptError(`pointer s3://${this.bucket}/${key} stayed incomplete over ${attempt} reads (${JSON.stringify(text)})`);
      }
      await new Promise((r) => setTimeout(r, attempt * 10));
    }
  }

  async get(kind: SnapshotKind, version: string): Promise<Uint8Array> {
    checkVersion(version);
    const body = await this.getObject(this.versionKey(kind, version));
    if (body === null) throw new SnapshotNotFoundError(`snapshot ${kind}/${version} does not exist`);
    try {
      return await gunzip(body);
    } catch (err) {
      throw new SnapshotCorruptError(`snapshot ${kind}/${version} is not valid gzip: ${(err as Error).message}`);
    }
  }

  async list(kind: SnapshotKind): Promise<string[]> {
    const dir = this.kindPrefix(kind);
    const versions: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: dir, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const name = o.Key!.slice(dir.length);
        if (name !== POINTER && VERSION_PATTERN.test(name)) versions.push(name);
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return versions.sort();
  }

  async remove(kind: SnapshotKind, version: string): Promise<boolean> {
    if (!VERSION_PATTERN.test(version) || (await this.latest(kind)) === version) return false;
    const key = this.versionKey(kind, version);
    if ((await this.head(key)) === null) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    return true;
  }

  /** The object's user metadata, or null when it does not exist. */
  private async head(key: string): Promise<Record<string, string> | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return r.Metadata ?? {};
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async getObject(key: string): Promise<Uint8Array | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      try {
        return await r.Body!.transformToByteArray();
      } catch (err) {
        throw new BodyReadError(`reading s3://${this.bucket}/${key}: ${(err as Error).message}`);
      }
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private kindPrefix(kind: SnapshotKind): string {
    return `${this.prefix}snapshots/${kind}/`;
  }

  private versionKey(kind: SnapshotKind, version: string): string {
    return this.kindPrefix(kind) + version;
  }

  private pointerKey(kind: SnapshotKind): string {
    return this.kindPrefix(kind) + POINTER;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** S3 says "not found" as NoSuchKey (GET), NotFound (HEAD) or a bare 404, depending on the call and server. */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
