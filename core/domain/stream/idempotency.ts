// Safe retries (README "Safe retries"): what the fold remembers of the writes that carried an
// `Idempotency-Key`, so a retry gets the first answer again and writes nothing.
//
// A write sent with the header carries `idem: {key, digest}` in its event: the key scoped by the
// caller, the method and the path, and a digest of the request. The fold (events.ts) records the
// first event carrying a key, with the answer that event got (computed from the event and its fold
// outcome, byte for byte what the route answers), and folds any later event carrying the same key
// as a no-op: no second game, report, topic or vote. Engines and the syncer fold the same events in
// the same order, so two retries racing on two engines end the same everywhere: the first in the
// stream wins, the other is answered with its answer.
//
// Time is the event's own (its id's ms), so every engine agrees when a record is 24 h old. Records
// are dropped in time order while folding; the cap (IDEMPOTENCY_RECORDS) is a constant, not a
// setting, because a record dropped early changes what a later retry folds into, and every engine
// and the syncer must drop the same ones.

import { createHash } from 'node:crypto';
import { InvalidStateError } from '../../errors.js';
import { CappedMap } from './capped-map.js';
import { splitEventId } from './event.js';

/** What a write's event carries when its request had an Idempotency-Key. */
export interface IdemStamp {
  /** "<caller> <METHOD> <path> <Idempotency-Key>" (scopedIdemKey). */
  key: string;
  /** sha256 (base64url) of the method, the path and the canonical body (requestDigest). */
  digest: string;
}

/** The first answer a key got. */
export interface IdemRecord {
  /** Id of the event that wrote it (the first in the stream to carry the key). */
  readonly id: string;
  readonly digest: string;
  /** The status line ("201 Created"), the JSON body. */
  readonly status: string;
  readonly body: string;
  /** ms of the event id. */
  readonly at: number;
}

/** How long a key is remembered, by event time. */
export const IDEMPOTENCY_TTL_MS = 86_400_000;

/**
 * Records kept at most (every server process and the syncer's replica): the oldest is dropped first
 * and counted (droppedEarly). Heap used after GC, 50,000 records with 100-character keys: ~870 B
 * each with a report's answer, ~1,170 B with a topic's of four choices: ~45–60 MB at worst per process.
 */
export const IDEMPOTENCY_RECORDS = 50_000;

/** An Idempotency-Key as the header must carry it: 1–255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The key as stored: scoped by the caller (a digest of its API key: never the secret), the
 * method and the path with its id, so one client's key never meets another's or another route's.
 */
export function scopedIdemKey(apiKey: string, method: string, path: string, key: string): string {
  const caller = createHash('sha256').update(apiKey, 'utf8').digest('base64url').slice(0, 16);
  return `${caller} ${method} ${path} ${key}`;
}

/** The request's digest: method, path and the body as canonical JSON (keys sorted at every level). */
export function requestDigest(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${path}\n${canonicalJson(body)}`, 'utf8').digest('base64url');
}

/** JSON with every object's keys in sorted order: equal values give equal text whatever order was sent. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x)).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A record in a snapshot: [key, event id, digest, status line, body, at]. */
export type IdemRecordState = [key: string, id: string, digest: string, status: string, body: string, at: number];

export interface IdempotencyState {
  records: IdemRecordState[];
  /** Votes folded as duplicates: [duplicate's event id, the first's]. */
  twins: [string, string][];
}

export class IdempotencyRecords {
  private readonly byKey = new Map<string, IdemRecord>();
  /** Keys in the order recorded (= time order); entries whose record is gone are skipped. */
  private order: [key: string, record: IdemRecord][] = [];
  private head = 0;
  /** vote_cast events that folded as a duplicate → the first vote's id (for votes_counted). */
  private readonly twins: CappedMap<string, string>;
  private dropped = 0;

  constructor(readonly max: number = IDEMPOTENCY_RECORDS) {
    this.twins = new CappedMap(max);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Records dropped at the cap before their 24 h (since this state was built). */
  get droppedEarly(): number {
    return this.dropped;
  }

  /** The record of `key` still valid at `nowMs`, if any. */
  get(key: string, nowMs: number): IdemRecord | undefined {
    const r = this.byKey.get(key);
    return r !== undefined && nowMs - r.at <= IDEMPOTENCY_TTL_MS ? r : undefined;
  }

  /** Drops records (and twins) older than 24 h before `nowMs`; they are in time order. */
  expire(nowMs: number): void {
    const cutoff = nowMs - IDEMPOTENCY_TTL_MS;
    while (this.head < this.order.length && this.order[this.head]![1].at < cutoff) this.drop();
    this.compact();
    if (this.twins.size > 0) {
      for (const [dup] of this.twins.entries()) {
        if (splitEventId(dup)[0] >= cutoff) break;
        this.twins.delete(dup);
      }
    }
  }

  /** Records the first answer of `key` (not recorded yet: the fold checked), dropping the oldest at the cap. */
  record(key: string, r: IdemRecord): void {
    while (this.byKey.size >= this.max && this.head < this.order.length) {
      if (this.drop()) this.dropped++;
    }
    this.compact();
    this.byKey.set(key, r);
    this.order.push([key, r]);
  }

  /** A vote_cast folded as a duplicate of vote `first`. */
  twin(dupId: string, firstId: string): void {
    this.twins.add(dupId, firstId);
  }

  /** The vote a counted id stands for: the first vote when `id` folded as its duplicate. */
  voteOf(id: string): string {
    if (this.twins.size === 0) return id;
    const first = this.twins.get(id);
    if (first === undefined) return id;
    this.twins.delete(id);
    return first;
  }

  /**
   * Drops every record whose answer mentions `email` (a POST /blacklist answer carries it), for an
   * erasure of the player. A scan: erasures are rare. Returns how many were dropped.
   */
  forget(email: string): number {
    let n = 0;
    for (const [key, r] of this.byKey) {
      if (r.body.includes(email)) {
        this.byKey.delete(key);
        n++;
      }
    }
    return n;
  }

  toState(): IdempotencyState {
    const records: IdemRecordState[] = [];
    for (let i = this.head; i < this.order.length; i++) {
      const [key, r] = this.order[i]!;
      if (this.byKey.get(key) === r) records.push([key, r.id, r.digest, r.status, r.body, r.at]);
    }
    return { records, twins: [...this.twins.entries()] };
  }

  /** Rebuilds from toState() (absent in snapshots written before safe retries: empty). */
  static fromState(s: IdempotencyState | undefined, max: number = IDEMPOTENCY_RECORDS): IdempotencyRecords {
    const out = new IdempotencyRecords(max);
    if (s === undefined) return out;
    if (typeof s !== 'object' || s === null || !Array.isArray(s.records) || !Array.isArray(s.twins)) throw new InvalidStateError('idempotency records malformed');
    let last = 0;
    for (const e of s.records) {
      if (!Array.isArray(e) || e.length !== 6 || !e.slice(0, 5).every((x) => typeof x === 'string') || !Number.isSafeInteger(e[5]) || e[5] < last) {
        throw new InvalidStateError(`bad idempotency record ${JSON.stringify(e).slice(0, 200)}`);
      }
      if (out.byKey.has(e[0])) throw new InvalidStateError(`idempotency key ${e[0].slice(0, 100)} recorded twice`);
      last = e[5];
      out.record(e[0], { id: e[1], digest: e[2], status: e[3], body: e[4], at: e[5] });
    }
    for (const e of s.twins) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'string') throw new InvalidStateError(`bad idempotency twin ${JSON.stringify(e).slice(0, 200)}`);
      out.twin(e[0], e[1]);
    }
    return out;
  }

  /** Pops the oldest entry of the order; true when it dropped a live record. */
  private drop(): boolean {
    const [key, r] = this.order[this.head]!;
    this.order[this.head++] = undefined as unknown as [string, IdemRecord];
    if (this.byKey.get(key) !== r) return false;
    this.byKey.delete(key);
    return true;
  }

  /** Frees the popped front of the order once it is half the array. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
