// The compiled, immutable ad index: for every market (country, lang) 24 hour buckets, each a
// rotation over the ads live in that UTC hour, and every possible 200 body pre-serialised.
//
// Memory shape (the 1M-ad budget is 200 MB, see bench/compile.ts): all response bodies live in one
// byte slab with an offset table, and a bucket holds 4-byte ordinals into it, not copies of bodies.
// Adjacent hours with the same eligible set share one bucket (and so one rotation), which is what
// all-day and long-window ads produce. The per-ad Buffer view that uWS writes is cut from the slab
// on first use and kept, so steady state allocates nothing per request.
// Never mutated after compile, apart from rotation cursors: a new feed means a new AdIndex
// (docs/conventions.md "Hot path": swap, never mutate).

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
 * An index as flat arrays, to move it between threads: every buffer is transferable and there is no
 * object graph to clone (index-builder.ts compiles in a worker thread, the server rebuilds the few
 * thousand Rotation objects around the received arrays in about a millisecond).
 */
export interface AdIndexParts {
  version: string;
  ids: string[];
  slab: Uint8Array;
  offsets: Uint32Array;
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

interface Market {
  /** One rotation per UTC hour, null when no ad is live; adjacent equal hours share an object. */
  readonly hours: (Rotation | null)[];
}

export class AdIndex {
  private readonly views: (Buffer | undefined)[];

  private constructor(
    /** The snapshot version this index was compiled from. */
    readonly version: string,
    private readonly markets: Map<number, Market>,
    private readonly ids: readonly string[],
    private readonly slab: Buffer,
    private readonly offsets: Uint32Array,
    /** Weight per ordinal; null when every ad weighs 1. */
    private readonly weights: Uint16Array | null,
  ) {
    this.views = new Array(ids.length);
  }

  get adCount(): number {
    return this.ids.length;
  }

  get marketCount(): number {
    return this.markets.size;
  }

  /** Bytes held by response bodies, bucket tables and rotation state, for the index-size gauge. */
  get approxBytes(): number {
    let bytes = this.slab.length + this.offsets.byteLength + (this.weights?.byteLength ?? 0);
    const seen = new Set<Rotation>();
    for (const m of this.markets.values()) {
      for (const r of m.hours) {
        if (r === null || seen.has(r)) continue;
        seen.add(r);
        bytes += r.bytes;
      }
    }
    return bytes;
  }

  /**
   * The body of the next ad for a market in a UTC hour, or null when none is live. With a player
   * memory and id, skips the ad that player saw last if the bucket has another.
   */
  next(market: number, hour: number, memory: PlayerMemory | null, playerId: string | null): Buffer | null {
    const m = this.markets.get(market);
    if (m === undefined) return null;
    const rotation = m.hours[hour];
    if (rotation == null) return null;
    let ordinal = rotation.next();
    if (playerId !== null && memory !== null) {
      const last = memory.last(playerId);
      // Weighted rotations may pick the same ad twice running; keep drawing until another comes up,
      // which the rotation guarantees within one period (ids are unique within an index).
      for (let draws = 1; this.ids[ordinal] === last && rotation.size > 1 && draws < rotation.period; draws++) {
        ordinal = rotation.next();
      }
      memory.remember(playerId, this.ids[ordinal]!);
    }
    return this.views[ordinal] ?? this.view(ordinal);
  }

  private view(ordinal: number): Buffer {
    const v = this.slab.subarray(this.offsets[ordinal]!, this.offsets[ordinal + 1]!);
    this.views[ordinal] = v;
    return v;
  }

  /** The index as transferable arrays (see AdIndexParts). Call on a fresh index: cursors are not kept. */
  toParts(): AdIndexParts {
    const rotationNumber = new Map<Rotation, number>();
    const rotations: Rotation[] = [];
    const marketKeys = new Float64Array(this.markets.size);
    const hourRotations = new Int32Array(this.markets.size * HOURS_PER_DAY).fill(-1);
    let m = 0;
    for (const [key, market] of this.markets) {
      marketKeys[m] = key;
      for (let h = 0; h < HOURS_PER_DAY; h++) {
        const r = market.hours[h];
        if (r == null) continue;
        let n = rotationNumber.get(r);
        if (n === undefined) {
          n = rotations.push(r) - 1;
          rotationNumber.set(r, n);
        }
        hourRotations[m * HOURS_PER_DAY + h] = n;
      }
      m++;
    }
    const rotationStarts = new Uint32Array(rotations.length + 1);
    for (let r = 0; r < rotations.length; r++) rotationStarts[r + 1] = rotationStarts[r]! + rotations[r]!.size;
    const members = new Uint32Array(rotationStarts[rotations.length]!);
    const rotationTotals = new Uint32Array(rotations.length);
    rotations.forEach((r, i) => {
      members.set(r.members, rotationStarts[i]!);
      rotationTotals[i] = r.weighted ? r.period : 0;
    });
    return {
      version: this.version,
      ids: this.ids as string[],
      slab: this.slab,
      offsets: this.offsets,
      weights: this.weights,
      marketKeys,
      hourRotations,
      rotationStarts,
      rotationTotals,
      members,
    };
  }

  static fromParts(p: AdIndexParts): AdIndex {
    const rotations = Array.from(p.rotationTotals, (total, r) => {
      const members = p.members.subarray(p.rotationStarts[r]!, p.rotationStarts[r + 1]!);
      return total === 0 ? new Rotation(members, null, members.length) : new Rotation(members, p.weights, total);
    });
    const markets = new Map<number, Market>();
    p.marketKeys.forEach((key, m) => {
      const hours = Array.from({ length: HOURS_PER_DAY }, (_, h) => {
        const r = p.hourRotations[m * HOURS_PER_DAY + h]!;
        return r < 0 ? null : rotations[r]!;
      });
      markets.set(key, { hours });
    });
    const slab = Buffer.from(p.slab.buffer, p.slab.byteOffset, p.slab.byteLength);
    return new AdIndex(p.version, markets, p.ids, slab, p.offsets, p.weights);
  }

  /** Ids of the ads live in a market at an hour, in rotation order (tests and debugging). */
  liveIds(market: number, hour: number): string[] {
    const rotation = this.markets.get(market)?.hours[hour];
    return rotation == null ? [] : Array.from(rotation.members, (o) => this.ids[o]!);
  }

  static compile(ads: readonly Ad[], version: string): AdIndex {
    const n = ads.length;
    const ids = new Array<string>(n);
    // Pass 1 sizes the slab. Almost every id and URL is printable ASCII with nothing to escape: its
    // body is the plain template and its size is known without building a string. The rest go
    // through JSON.stringify. (At 1M ads, building 1M body strings first cost ~0.3 s of GC.)
    const escaped = new Map<number, string>();
    let total = 0;
    for (let i = 0; i < n; i++) {
      const ad = ads[i]!;
      ids[i] = ad.id;
      if (PLAIN.test(ad.id) && PLAIN.test(ad.videoUrl)) {
        total += TEMPLATE_BYTES + ad.id.length + ad.videoUrl.length;
      } else {
        // Same bytes as JSON.stringify({id, video_url}), without building the intermediate object.
        const body = '{"id":' + JSON.stringify(ad.id) + ',"video_url":' + JSON.stringify(ad.videoUrl) + '}';
        escaped.set(i, body);
        total += Buffer.byteLength(body);
      }
    }
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
    const markets = new Map<number, Market>();
    for (const [key, ordinals] of byMarket) markets.set(key, compileMarket(ads, ordinals, weights));
    return new AdIndex(version, markets, ids, slab, offsets, weights);
  }
}

/** Strings JSON writes verbatim: printable ASCII without `"` or `\\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Bytes of `{"id":"","video_url":""}`. */
const TEMPLATE_BYTES = 24;

function compileMarket(ads: readonly Ad[], ordinals: number[], weights: Uint16Array | null): Market {
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
  const hours: (Rotation | null)[] = new Array(HOURS_PER_DAY).fill(null);
  let previous: Rotation | null = null;
  for (let h = 0; h < HOURS_PER_DAY; h++) {
    const members = buckets[h]!;
    if (members === null) {
      previous = null;
      continue;
    }
    previous = previous !== null && sameMembers(previous.members, members) ? previous : rotationFor(weights, members);
    hours[h] = previous;
  }
  // The day wraps: hour 23 and hour 0 with the same set keep one rotation going across midnight.
  const first = hours[0];
  const last = hours[HOURS_PER_DAY - 1];
  if (first != null && last != null && first !== last && sameMembers(first.members, last.members)) {
    for (let h = HOURS_PER_DAY - 1; h >= 0 && hours[h] === last; h--) hours[h] = first;
  }
  return { hours };
}

function rotationFor(weights: Uint16Array | null, members: Uint32Array): Rotation {
  if (weights === null) return new Rotation(members, null, members.length);
  const w0 = weights[members[0]!]!;
  let uniform = true;
  let total = 0;
  for (let k = 0; k < members.length; k++) {
    const w = weights[members[k]!]!;
    total += w;
    if (w !== w0) uniform = false;
  }
  return uniform ? new Rotation(members, null, members.length) : new Rotation(members, weights, total);
}

function sameMembers(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
