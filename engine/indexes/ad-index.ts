// The compiled, immutable ad index: for every market (country, lang) 24 hour buckets, each a
// rotation over the ads live in that UTC hour, every possible JSON 200 body pre-serialised, and the
// per-ad pieces of the VAST answer (vast.ts) escaped once.
//
// Memory shape (the 1M-ad budget is 200 MB, see bench/compile.ts): all response bodies live in one
// byte slab with an offset table, and a bucket holds 4-byte ordinals into it, not copies of bodies.
// The VAST pieces sit in the same slab, after the bodies, and cost an ad 4 bytes when its id and
// video URL need no XML escaping and it gives no title: its pieces are then read from its JSON body,
// and its media and click-through pieces are shared with every ad that has the same ones.
// Adjacent hours with the same eligible set share one bucket (and so one rotation), which is what
// all-day and long-window ads produce. The index is its flat arrays (AdIndexParts); the per-ad
// Buffer view that uWS writes, the id string and a bucket's Rotation are made on first use and
// kept, so steady state allocates nothing per request.
// Never mutated after compile, apart from rotation cursors and those first-use caches: a new feed
// means a new AdIndex (docs/conventions.md "Hot path": swap, never mutate).

import { defaultMime, type Ad } from '../../core/domain/ads/feed.js';
import { HOURS_PER_DAY, hourMask } from '../decision/hours.js';
import { marketKeyOf } from '../decision/market.js';
import { Rotation } from '../decision/rotation.js';
import type { PlayerMemory } from '../decision/player-memory.js';
import {
  F_CLICK,
  F_ID,
  F_MEDIA,
  F_TITLE,
  F_URL,
  R_CLICK,
  R_ID,
  R_MEDIA,
  R_TITLE,
  R_URL,
  VAST_FIELDS,
  XML_PLAIN,
  clickThroughPiece,
  escapeXml,
  hasDefaultMedia,
  mediaPiece,
  type VastSource,
} from './vast.js';

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
  /**
   * Every JSON 200 body: ad i's is slab[offsets[i] .. offsets[i + 1]). After the bodies, from
   * offsets[n] on, the VAST pieces: piece p is slab[vastPieces[p] .. vastPieces[p + 1]).
   */
  slab: Uint8Array;
  offsets: Uint32Array;
  vastPieces: Uint32Array;
  /**
   * VAST records, VAST_FIELDS pieces each (id, title, video URL, media, ClickThrough): a piece
   * number, or -1: the id or URL as it is in the JSON body, the id as title, no ClickThrough.
   */
  vastRecords: Int32Array;
  /** The VAST record of each ad. */
  vastRecordOf: Uint32Array;
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

/** Bytes of `{"id":"` and of `","video_url":"`: where a plain id and URL sit in a JSON body. */
const ID_AT = 7;
const URL_AFTER_ID = 15;

export class AdIndex implements VastSource {
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

  /** Bytes held by response bodies, VAST pieces, bucket tables and rotation state, for the index-size gauge. */
  get approxBytes(): number {
    const p = this.parts;
    // Every bucket's members table is in parts.members; the rest is the scores of weighted buckets picked so far.
    let bytes = this.slab.length + p.offsets.byteLength + (p.weights?.byteLength ?? 0) + p.members.byteLength;
    bytes += p.vastPieces.byteLength + p.vastRecords.byteLength + p.vastRecordOf.byteLength;
    for (const r of this.rotations) if (r !== undefined) bytes += r.bytes - r.members.byteLength;
    return bytes;
  }

  /** The slab every body and VAST piece is cut from (vastRanges' positions are into it). */
  get slabBytes(): Buffer {
    return this.slab;
  }

  /** The JSON body of the next ad for a market in a UTC hour, or null when none is live (pick, then body). */
  next(market: number, hour: number, memory: PlayerMemory | null, playerId: string | null): Buffer | null {
    const ordinal = this.pick(market, hour, memory, playerId);
    return ordinal < 0 ? null : this.body(ordinal);
  }

  /**
   * The ordinal of the next ad for a market in a UTC hour, or -1 when none is live. With a player
   * memory and id, skips the ad that player saw last if the bucket has another.
   */
  pick(market: number, hour: number, memory: PlayerMemory | null, playerId: string | null): number {
    const row = this.rows.get(market);
    if (row === undefined || !(hour >= 0 && hour < HOURS_PER_DAY)) return -1;
    const r = this.hourRotations[row * HOURS_PER_DAY + hour];
    if (r === undefined || r < 0) return -1;
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
    return ordinal;
  }

  /** The JSON 200 body of the ad at an ordinal. */
  body(ordinal: number): Buffer {
    return this.views[ordinal] ?? this.view(ordinal);
  }

  /**
   * Where the VAST pieces of the ad at an ordinal are in slabBytes: [start, end) pairs at vast.ts's
   * R_ID, R_TITLE, R_URL, R_MEDIA and R_CLICK (an empty range for no ClickThrough). Fills `out`.
   */
  vastRanges(ordinal: number, out: Uint32Array): void {
    const p = this.parts;
    const pieces = p.vastPieces;
    const records = p.vastRecords;
    const rec = p.vastRecordOf[ordinal]! * VAST_FIELDS;
    const body = p.offsets[ordinal]!;
    // An id with nothing to escape is in its body as it is, one byte per unit (ASCII).
    const idEnd = body + ID_AT + p.idOffsets[ordinal + 1]! - p.idOffsets[ordinal]!;
    let piece = records[rec + F_ID]!;
    if (piece < 0) {
      out[R_ID] = body + ID_AT;
      out[R_ID + 1] = idEnd;
    } else {
      out[R_ID] = pieces[piece]!;
      out[R_ID + 1] = pieces[piece + 1]!;
    }
    piece = records[rec + F_TITLE]!;
    out[R_TITLE] = piece < 0 ? out[R_ID]! : pieces[piece]!;
    out[R_TITLE + 1] = piece < 0 ? out[R_ID + 1]! : pieces[piece + 1]!;
    piece = records[rec + F_URL]!;
    // A plain URL after a plain id: the body is `{"id":"<id>","video_url":"<url>"}`.
    out[R_URL] = piece < 0 ? idEnd + URL_AFTER_ID : pieces[piece]!;
    out[R_URL + 1] = piece < 0 ? p.offsets[ordinal + 1]! - 2 : pieces[piece + 1]!;
    piece = records[rec + F_MEDIA]!;
    out[R_MEDIA] = pieces[piece]!;
    out[R_MEDIA + 1] = pieces[piece + 1]!;
    piece = records[rec + F_CLICK]!;
    out[R_CLICK] = piece < 0 ? 0 : pieces[piece]!;
    out[R_CLICK + 1] = piece < 0 ? 0 : pieces[piece + 1]!;
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
    // The same pass makes each ad's VAST record; an id or URL plain for XML is plain for JSON too.
    const escaped = new Map<number, string>();
    const vast = new VastBuilder();
    const vastRecordOf = new Uint32Array(n);
    let total = 0;
    let idWide = false;
    for (let i = 0; i < n; i++) {
      const ad = ads[i]!;
      idOffsets[i + 1] = idOffsets[i]! + ad.id.length;
      const xmlId = XML_PLAIN.test(ad.id);
      const plainId = xmlId || PLAIN.test(ad.id);
      if (!plainId && !idWide) idWide = WIDE.test(ad.id);
      const xmlUrl = XML_PLAIN.test(ad.videoUrl);
      vastRecordOf[i] = vast.record(ad, xmlId, xmlUrl && plainId);
      if (plainId && (xmlUrl || PLAIN.test(ad.videoUrl))) {
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
    const slab = Buffer.allocUnsafeSlow(total + vast.bytes);
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
    const vastPieces = vast.writeTo(slab, at);

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
    return {
      version,
      idBytes,
      idWide,
      idOffsets,
      slab,
      offsets,
      vastPieces,
      vastRecords: Int32Array.from(vast.records),
      vastRecordOf,
      weights,
      marketKeys,
      hourRotations,
      rotationStarts,
      rotationTotals,
      members,
    };
  }
}

/**
 * The VAST pieces and records while compiling (AdIndexParts.vastPieces, vastRecords). Equal pieces
 * are stored once; so is the record of every ad whose id, title and URL come from its JSON body and
 * whose media and ClickThrough pieces are the same.
 */
class VastBuilder {
  /** Bytes of the pieces so far; piece p ends at ends[p + 1], relative to the first. */
  bytes = 0;
  readonly records: number[] = [];
  private readonly texts: string[] = [];
  private readonly ends: number[] = [0];
  private readonly numbers = new Map<string, number>();
  /** (media, ClickThrough) → the record of the ads that have only those pieces of their own. */
  private readonly shared = new Map<number, number>();
  /** Media type → the media piece of an ad that gives no creative field but maybe a title or click URL. */
  private readonly defaultMedia = new Map<string, number>();

  /** The record for an ad; `xmlId`: its id needs no escaping; `urlInBody`: its URL can be read from its JSON body. */
  record(ad: Ad, xmlId: boolean, urlInBody: boolean): number {
    const media = hasDefaultMedia(ad) ? this.defaultMediaPiece(ad) : this.piece(mediaPiece(ad));
    const click = ad.clickUrl === undefined ? -1 : this.piece(clickThroughPiece(ad.clickUrl));
    const id = xmlId ? -1 : this.piece(escapeXml(ad.id));
    const title = ad.title === undefined ? -1 : this.piece(escapeXml(ad.title));
    const url = urlInBody ? -1 : this.piece(escapeXml(ad.videoUrl));
    if (id >= 0 || title >= 0 || url >= 0) return this.push(id, title, url, media, click);
    // One key per (media, click) pair while there are fewer than 2^26 (67M) pieces.
    const key = media * 0x4000000 + click + 1;
    let record = this.shared.get(key);
    if (record === undefined) {
      record = this.push(id, title, url, media, click);
      this.shared.set(key, record);
    }
    return record;
  }

  /** Writes the pieces into `slab` from `base` on; returns their offsets (AdIndexParts.vastPieces). */
  writeTo(slab: Buffer, base: number): Uint32Array {
    const offsets = new Uint32Array(this.ends.length);
    for (let p = 0; p < this.ends.length; p++) offsets[p] = base + this.ends[p]!;
    let at = base;
    for (const text of this.texts) at += slab.write(text, at);
    return offsets;
  }

  private defaultMediaPiece(ad: Ad): number {
    const mime = defaultMime(ad.videoUrl);
    let piece = this.defaultMedia.get(mime);
    if (piece === undefined) {
      piece = this.piece(mediaPiece(ad));
      this.defaultMedia.set(mime, piece);
    }
    return piece;
  }

  private piece(text: string): number {
    let p = this.numbers.get(text);
    if (p === undefined) {
      p = this.texts.push(text) - 1;
      this.numbers.set(text, p);
      this.bytes += Buffer.byteLength(text);
      this.ends.push(this.bytes);
    }
    return p;
  }

  private push(id: number, title: number, url: number, media: number, click: number): number {
    this.records.push(id, title, url, media, click);
    return this.records.length / VAST_FIELDS - 1;
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
