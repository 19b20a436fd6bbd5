// The compiled, immutable ad index: for every market (country, lang) 24 hour buckets, each a
// rotation over the ads live in that UTC hour, and every possible 200 body pre-serialised.
//
// Memory shape (the 1M-ad budget is 200 MB, see bench/compile.ts): all response bodies live in one
// byte slab with an offset table, and a bucket holds 4-byte ordinals into it, not copies of bodies.
// Adjacent hours with the same eligible set share one bucket (and so one rotation), which is what
// all-day and long-window ads produce. The index is its flat arrays (AdIndexParts); the per-ad
// Buffer view that uWS writes, the id string and a bucket's Rotation are made on first use and
// kept, so steady state allocates nothing per request.
// Never mutated after compile, apart from rotation cursors and those first-use caches: a new feed
// means a new AdIndex (docs/conventions.md "Hot path": swap, never mutate).

import type { Ad } from '../../core/domain/ads/feed.js';
import { HOURS_PER_DAY, hourMask } from '../decision/hours.js';
import { marketKeyOf } from '../decision/market.js';
import { Rotation } from '../decision/rotation.js';
import type { PlayerMemory } from '../decision/player-memory.js';

/** hourMask for every (start, end) pair, so compile does not recompute it per ad. */
const MASKS = (() => {
  const t = new Int32Array(HOURS_PER_DAY * HOURS_PER_DAY);
  for (let s = 0; s < HOURS_PER_DAY; s++) for (let e = 0; e < HOURS_PER_DAY; e++) t[s * HOURS_PER_DAY + e] = hourMask(s, e);
  return t;
})();

/**
 * An index as flat arrays, to move it between threads: every field but the version is a typed array,
 * so a transfer moves each buffer in O(1) and there is no object graph to clone (index-builder.ts
 * compiles in a worker thread). It is also the index's own representation: the serving thread wraps
 * it as it is, and the objects it keeps (a Rotation, a body's Buffer view, an id string) are made on
 * first use. Swapping indexes then puts a few dozen objects on the serving thread's heap instead of
 * one per ad and per bucket, for it to deserialize, promote and later mark and sweep
 * (bench/swap.ts).
 */
export interface AdIndexParts {
  version: string;
  /**
   * Every ad id, in ordinal order: ad i's is code units idOffsets[i] .. idOffsets[i + 1], stored
   * one byte per unit (Latin-1) when every id fits, else two (UTF-16LE). Code units, not UTF-8: an
   * id is any string, lone surrogates included, and must come back equal.
   */
  idBytes: Uint8Array;
  idWide: boolean;
  idOffsets: Uint32Array;
  /** Every 200 body: ad i's is slab[offsets[i] .. offsets[i + 1]). */
  slab: Uint8Array;
  offsets: Uint32Array;
  /** Weight per ordinal; null when every ad weighs 1. */
  weights: Uint16Array | null;
  /** Market keys, in the order of `hourRotations`' rows. */
  marketKeys: Float64Array;
  /** 24 per market: the rotation number for that hour, -1 when no ad is live. */
  hourRotations: Int32Array;
  /** Rotation r's members are members[rotationStarts[r] .. rotationStarts[r + 1]). */
  rotationStarts: Uint32Array;
  /** Total weight per rotation; 0 for a plain round-robin one. */
  rotationTotals: Uint32Array;
  members: Uint32Array;
}

export class AdIndex {
  /** The snapshot version this index was compiled from. */
  readonly version: string;
  private readonly slab: Buffer;
  private readonly idBytes: Buffer;
  private readonly hourRotations: Int32Array;
  /** Market key → its row in hourRotations. */
  private readonly rows = new Map<number, number>();
  /** By rotation number, made on a bucket's first pick (which is also where a fresh cursor starts). */
  private readonly rotations: (Rotation | undefined)[];
  /** By ordinal, made on first use: the id string the no-repeat rule compares and remembers. */
  private readonly ids: (string | undefined)[];
  /** By ordinal, cut from the slab on first use: the Buffer uWS writes. */
  private readonly views: (Buffer | undefined)[];

  private constructor(private readonly parts: AdIndexParts) {
    this.version = parts.version;
    this.slab = Buffer.from(parts.slab.buffer, parts.slab.byteOffset, parts.slab.byteLength);
    this.idBytes = Buffer.from(parts.idBytes.buffer, parts.idBytes.byteOffset, parts.idBytes.byteLength);
    this.hourRotations = parts.hourRotations;
    for (let m = 0; m < parts.marketKeys.length; m++) this.rows.set(parts.marketKeys[m]!, m);
    this.rotations = new Array(parts.rotationTotals.length);
    this.ids = new Array(parts.idOffsets.length - 1);
    this.views = new Array(parts.offsets.length - 1);
  }

  get adCount(): number {
    return this.ids.length;
  }

  get marketCount(): number {
    return this.rows.size;
  }

  /** Bytes held by response bodies, bucket tables and rotation state, for the index-size gauge. */
  get approxBytes(): number {
    const p = this.parts;
    // Every bucket's members table is in parts.members; the rest is the scores of weighted buckets picked so far.
    let bytes = this.slab.length + p.offsets.byteLength + (p.weights?.byteLength ?? 0) + p.members.byteLength;
    for (const r of this.rotations) if (r !== undefined) bytes += r.bytes - r.members.byteLength;
    return bytes;
  }

  /**
   * The body of the next ad for a market in a UTC hour, or null when none is live. With a player
   * memory and id, skips the ad that player saw last if the bucket has another.
   */
  next(market: number, hour: number, memory: PlayerMemory | null, playerId: string | null): Buffer | null {
    const row = this.rows.get(market);
    if (row === undefined || !(hour >= 0 && hour < HOURS_PER_DAY)) return null;
    const r = this.hourRotations[row * HOURS_PER_DAY + hour];
    if (r === undefined || r < 0) return null;
    const rotation = this.rotations[r] ?? this.rotation(r);
    let ordinal = rotation.next();
    if (playerId !== null && memory !== null) {
      const last = memory.last(playerId);
      // Weighted rotations may pick the same ad twice running; keep drawing until another comes up,
      // which the rotation guarantees within one period (ids are unique within an index).
      for (let draws = 1; this.idAt(ordinal) === last && rotation.size > 1 && draws < rotation.period; draws++) {
        ordinal = rotation.next();
      }
      memory.remember(playerId, this.idAt(ordinal));
    }
    return this.views[ordinal] ?? this.view(ordinal);
  }

  private rotation(r: number): Rotation {
    const p = this.parts;
    const members = p.members.subarray(p.rotationStarts[r]!, p.rotationStarts[r + 1]!);
    const total = p.rotationTotals[r]!;
    const rotation = total === 0 ? new Rotation(members, null, members.length) : new Rotation(members, p.weights, total);
    this.rotations[r] = rotation;
    return rotation;
  }

  /** The id of the ad at an ordinal. */
  idAt(ordinal: number): string {
    return this.ids[ordinal] ?? this.id(ordinal);
  }

  private id(ordinal: number): string {
    const { idOffsets, idWide } = this.parts;
    // A fresh string (player memory keeps it after this index is gone), decoded unit for unit.
    const id = idWide
      ? this.idBytes.toString('utf16le', 2 * idOffsets[ordinal]!, 2 * idOffsets[ordinal + 1]!)
      : this.idBytes.toString('latin1', idOffsets[ordinal]!, idOffsets[ordinal + 1]!);
    this.ids[ordinal] = id;
    return id;
  }

  private view(ordinal: number): Buffer {
    const v = this.slab.subarray(this.parts.offsets[ordinal]!, this.parts.offsets[ordinal + 1]!);
    this.views[ordinal] = v;
    return v;
  }

  /**
   * The index's arrays, to transfer to another thread. Transferring them detaches them here, so
   * this index is unusable afterwards; rotation cursors are not part of them (a new index starts
   * every rotation afresh).
   */
  toParts(): AdIndexParts {
    return this.parts;
  }

  static fromParts(p: AdIndexParts): AdIndex {
    return new AdIndex(p);
  }

  /** Ids of the ads live in a market at an hour, in rotation order (tests and debugging). */
  liveIds(market: number, hour: number): string[] {
    const row = this.rows.get(market);
    if (row === undefined || !(hour >= 0 && hour < HOURS_PER_DAY)) return [];
    const r = this.hourRotations[row * HOURS_PER_DAY + hour];
    if (r === undefined || r < 0) return [];
    const p = this.parts;
    return Array.from(p.members.subarray(p.rotationStarts[r]!, p.rotationStarts[r + 1]!), (o) => this.idAt(o));
  }

  static compile(ads: readonly Ad[], version: string): AdIndex {
    return new AdIndex(AdIndex.compileParts(ads, version));
  }

  /** Compiles straight to parts (what the index builder thread sends), without making an AdIndex. */
  static compileParts(ads: readonly Ad[], version: string): AdIndexParts {
    const n = ads.length;
    const idOffsets = new Uint32Array(n + 1);
    // Pass 1 sizes the slab. Almost every id and URL is printable ASCII with nothing to escape: its
    // body is the plain template and its size is known without building a string. The rest go
    // through JSON.stringify. (At 1M ads, building 1M body strings first cost ~0.3 s of GC.)
    const escaped = new Map<number, string>();
    let total = 0;
    let idWide = false;
    for (let i = 0; i < n; i++) {
      const ad = ads[i]!;
      idOffsets[i + 1] = idOffsets[i]! + ad.id.length;
      const plainId = PLAIN.test(ad.id);
      if (!plainId && !idWide) idWide = WIDE.test(ad.id);
      if (plainId && PLAIN.test(ad.videoUrl)) {
        total += TEMPLATE_BYTES + ad.id.length + ad.videoUrl.length;
      } else {
        // Same bytes as JSON.stringify({id, video_url}), without building the intermediate object.
        const body = '{"id":' + JSON.stringify(ad.id) + ',"video_url":' + JSON.stringify(ad.videoUrl) + '}';
        escaped.set(i, body);
        total += Buffer.byteLength(body);
      }
    }
    // One write of the joined ids rather than a native call per id. Not pooled memory
    // (allocUnsafeSlow), like every buffer here: the builder thread transfers it.
    const idBytes = Buffer.allocUnsafeSlow(idOffsets[n]! * (idWide ? 2 : 1));
    const allIds = new Array<string>(n);
    for (let i = 0; i < n; i++) allIds[i] = ads[i]!.id;
    idBytes.write(allIds.join(''), 0, idWide ? 'utf16le' : 'latin1');
    const slab = Buffer.allocUnsafeSlow(total);
    const offsets = new Uint32Array(n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      offsets[i] = at;
      const body = escaped.get(i);
      if (body !== undefined) {
        at += slab.write(body, at);
      } else {
        const ad = ads[i]!;
        at += slab.write('{"id":"' + ad.id + '","video_url":"' + ad.videoUrl + '"}', at, 'latin1');
      }
    }
    offsets[n] = at;

    let weights: Uint16Array | null = null;
    for (let i = 0; i < n; i++) {
      const w = ads[i]!.weight;
      if (w !== 1) (weights ??= new Uint16Array(n).fill(1))[i] = w;
    }

    const byMarket = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const ad = ads[i]!;
      const key = marketKeyOf(ad.country, ad.lang);
      const list = byMarket.get(key);
      if (list === undefined) byMarket.set(key, [i]);
      else list.push(i);
    }
    // Rotations are numbered in order of first appearance, market by market, hour by hour.
    const marketKeys = new Float64Array(byMarket.size);
    const hourRotations = new Int32Array(byMarket.size * HOURS_PER_DAY).fill(-1);
    const rotations: Bucket[] = [];
    let m = 0;
    for (const [key, ordinals] of byMarket) {
      marketKeys[m] = key;
      const hours = compileMarket(ads, ordinals, weights);
      const numbers = new Map<Bucket, number>();
      for (let h = 0; h < HOURS_PER_DAY; h++) {
        const bucket = hours[h];
        if (bucket == null) continue;
        let number = numbers.get(bucket);
        if (number === undefined) {
          number = rotations.push(bucket) - 1;
          numbers.set(bucket, number);
        }
        hourRotations[m * HOURS_PER_DAY + h] = number;
      }
      m++;
    }
    const rotationStarts = new Uint32Array(rotations.length + 1);
    for (let r = 0; r < rotations.length; r++) rotationStarts[r + 1] = rotationStarts[r]! + rotations[r]!.members.length;
    const members = new Uint32Array(rotationStarts[rotations.length]!);
    const rotationTotals = new Uint32Array(rotations.length);
    for (let r = 0; r < rotations.length; r++) {
      members.set(rotations[r]!.members, rotationStarts[r]!);
      rotationTotals[r] = rotations[r]!.total;
    }
    return { version, idBytes, idWide, idOffsets, slab, offsets, weights, marketKeys, hourRotations, rotationStarts, rotationTotals, members };
  }
}

/** One hour bucket's rotation while compiling: its members and total weight (0: plain round-robin). */
interface Bucket {
  readonly members: Uint32Array;
  readonly total: number;
}

/** Strings JSON writes verbatim: printable ASCII without `"` or `\\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A code unit Latin-1 cannot hold. */
const WIDE = /[\u0100-\uffff]/;
/** Bytes of `{"id":"","video_url":""}`. */
const TEMPLATE_BYTES = 24;

/** The market's bucket for each UTC hour, null when no ad is live; adjacent equal hours share one. */
/** The market's bucket for each UTC hour, null when no ad is live; adjacent equal hours share one. */
function compileMarket(ads: readonly Ad[], ordinals: number[], weights: Uint16Array | null): (Bucket | null)[] {
  // Counting sort into hour buckets: one pass to size them, one to fill, each visiting only the
  // hours an ad is live in (Σ live hours, not 24 × ads).
  const masks = new Int32Array(ordinals.length);
  const counts = new Uint32Array(HOURS_PER_DAY);
  for (let j = 0; j < ordinals.length; j++) {
    const ad = ads[ordinals[j]!]!;
    let mask = MASKS[ad.startHour * HOURS_PER_DAY + ad.endHour]!;
    masks[j] = mask;
    while (mask !== 0) {
      const h = 31 - Math.clz32(mask & -mask);
      counts[h]!++;
      mask &= mask - 1;
    }
  }
  const buckets: (Uint32Array | null)[] = Array.from(counts, (c) => (c === 0 ? null : new Uint32Array(c)));
  const fill = new Uint32Array(HOURS_PER_DAY);
  for (let j = 0; j < ordinals.length; j++) {
    let mask = masks[j]!;
    while (mask !== 0) {
      const h = 31 - Math.clz32(mask & -mask);
      buckets[h]![fill[h]!++] = ordinals[j]!;
      mask &= mask - 1;
    }
  }
  // Adjacent hours with the same set share one rotation (and so its cursor).
  const hours: (Bucket | null)[] = new Array(HOURS_PER_DAY).fill(null);
  let previous: Bucket | null = null;
  for (let h = 0; h < HOURS_PER_DAY; h++) {
    const members = buckets[h]!;
    if (members === null) {
      previous = null;
      continue;
    }
    previous = previous !== null && sameMembers(previous.members, members) ? previous : bucketFor(weights, members);
    hours[h] = previous;
  }
  // The day wraps: hour 23 and hour 0 with the same set keep one rotation going across midnight.
  const first = hours[0];
  const last = hours[HOURS_PER_DAY - 1];
  if (first != null && last != null && first !== last && sameMembers(first.members, last.members)) {
    for (let h = HOURS_PER_DAY - 1; h >= 0 && hours[h] === last; h--) hours[h] = first;
  }
  return hours;
}

function bucketFor(weights: Uint16Array | null, members: Uint32Array): Bucket {
  if (weights === null) return { members, total: 0 };
  const w0 = weights[members[0]!]!;
  let uniform = true;
  let total = 0;
  for (let k = 0; k < members.length; k++) {
    const w = weights[members[k]!]!;
    total += w;
    if (w !== w0) uniform = false;
  }
  return { members, total: uniform ? 0 : total };
}

function sameMembers(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
