// The compiled, immutable ad index: every possible JSON 200 body pre-serialised, the per-ad pieces
// of the VAST answer (vast.ts) escaped once, the campaign rules (rules.ts), and the plans
// (plan.ts): for every market (country, lang) and time slot, the tiers of ads on the air, each a
// rotation. Plans hold for a stretch of time; the next stretch's are compiled ahead of time on the
// builder thread and taken up by the first request that falls in it.
//
// Memory shape (the 1M-ad budget is 200 MB, see bench/compile.ts): all response bodies live in one
// byte slab with an offset table, and a bucket holds 4-byte ordinals into it, not copies of bodies.
// The VAST pieces sit in the same slab, after the bodies, and cost an ad 4 bytes when its id and
// video URL need no XML escaping and it gives no title: its pieces are then read from its JSON body,
// and its media and click-through pieces are shared with every ad that has the same ones.
// The index is its flat arrays (AdIndexParts); the per-ad Buffer view that uWS writes, the id
// string and a tier's Rotation are made on first use and kept, so steady state allocates nothing
// per request.
// Never mutated after compile, apart from rotation cursors and those first-use caches: a new feed
// means a new AdIndex (docs/conventions.md "Hot path": swap, never mutate).

import { defaultMime, type Ad } from '../../core/domain/ads/feed.js';
import { HOURS_PER_DAY } from '../decision/hours.js';
import { marketKeyOf } from '../decision/market.js';
import type { Audience } from '../decision/audience.js';
import { Plan, compilePlan, type PlanInput, type PlanParts } from './plan.js';
import { CHECK_CAP, CHECK_KV, CHECK_PLATFORM, CHECK_SLOT, compileRules, isHouseRank, type RuleParts } from './rules.js';
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
  /** Market keys, in the order of the plans' market rows. */
  marketKeys: Float64Array;
  /** Market m's ads, in feed order: marketOrdinals[marketStarts[m] .. marketStarts[m + 1]). */
  marketStarts: Uint32Array;
  marketOrdinals: Uint32Array;
  /** Per ordinal: start_hour × 24 + end_hour. */
  windows: Uint16Array;
  rules: RuleParts;
  /** The plans of the stretch of time the index was compiled at. */
  plan: PlanParts;
}

/** The plan compiler's input: the parts that do not change with time. */
export function planInput(p: AdIndexParts): PlanInput {
  return { marketStarts: p.marketStarts, marketOrdinals: p.marketOrdinals, windows: p.windows, weights: p.weights, rules: p.rules };
}

/** Bytes of `{"id":"` and of `","video_url":"`: where a plain id and URL sit in a JSON body. */
const ID_AT = 7;
const URL_AFTER_ID = 15;

export class AdIndex implements VastSource {
  /** The snapshot version this index was compiled from. */
  readonly version: string;
  private readonly slab: Buffer;
  private readonly idBytes: Buffer;
  /** Market key → its row in the plans. */
  private readonly rows = new Map<number, number>();
  /** The plans in force, and the next stretch's once compiled. */
  private plan: Plan;
  private nextPlan: Plan | null = null;
  /** The instant plans were last asked for (NaN: none pending), so a stretch is asked for once. */
  private asked = Number.NaN;
  /**
   * Called when plans for another stretch are needed: at `asOf` the next stretch starts (asked
   * ahead), or a request fell outside every stretch compiled (the clock jumped). The owner compiles
   * them (index-builder.ts) and hands them to addPlan. Unset, the index keeps its first plans.
   */
  onPlanNeeded: ((asOf: number) => void) | null = null;
  /** Parsed key-value rules, by rule kv number, made on first use. */
  private readonly kvRules: (KvRule | undefined)[];
  /** The request being picked for (pick sets it; accepts reads it). */
  private audience: Audience | null = null;
  /** By ordinal, made on first use: the id string the no-repeat rule compares and remembers. */
  private readonly ids: (string | undefined)[];
  /** By ordinal, cut from the slab on first use: the Buffer uWS writes. */
  private readonly views: (Buffer | undefined)[];

  private constructor(private readonly parts: AdIndexParts) {
    this.version = parts.version;
    this.slab = Buffer.from(parts.slab.buffer, parts.slab.byteOffset, parts.slab.byteLength);
    this.idBytes = Buffer.from(parts.idBytes.buffer, parts.idBytes.byteOffset, parts.idBytes.byteLength);
    for (let m = 0; m < parts.marketKeys.length; m++) this.rows.set(parts.marketKeys[m]!, m);
    this.plan = new Plan(parts.plan, parts.weights);
    this.kvRules = new Array(parts.rules.kvRules.length);
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
    let bytes = this.slab.length + p.offsets.byteLength + (p.weights?.byteLength ?? 0);
    bytes += p.vastPieces.byteLength + p.vastRecords.byteLength + p.vastRecordOf.byteLength;
    bytes += p.marketOrdinals.byteLength + p.windows.byteLength + (p.rules.ruleOf?.byteLength ?? 0);
    return bytes + this.plan.bytes + (this.nextPlan?.bytes ?? 0);
  }

  /** The slab every body and VAST piece is cut from (vastRanges' positions are into it). */
  get slabBytes(): Buffer {
    return this.slab;
  }

  /** The JSON body of the next ad for a market at an instant, or null when none is on the air (pick, then body). */
  next(market: number, now: number, audience: Audience | null = null): Buffer | null {
    const ordinal = this.pick(market, now, audience);
    return ordinal < 0 ? null : this.body(ordinal);
  }

  /**
   * The ordinal of the next ad for a market at an instant (epoch ms), or -1 when none is eligible:
   * from the best tier that has an ad the request may be shown (platform, key-values, caps), in
   * rotation. With a player, skips the ad that player saw last if the tier has another, and
   * remembers the one picked.
   */
  pick(market: number, now: number, audience: Audience | null = null): number {
    return this.pickFrom(market, now, audience, false, true);
  }

  /**
   * Up to `out.length` distinct ads for one request (an ad pod), each picked as pick() does, into
   * `out`; returns how many. House ads fill a pod only when no paid ad is eligible at all.
   */
  pickMany(market: number, now: number, audience: Audience | null, out: Int32Array): number {
    let k = 0;
    this.chosen = out;
    for (; k < out.length; k++) {
      const house = k > 0 && isHouseRank(this.rankOf(out[0]!));
      const o = this.pickFrom(market, now, audience, true, k === 0 || house);
      if (o < 0) break;
      out[k] = o;
      this.chosenCount = k + 1;
    }
    this.chosenCount = 0;
    return k;
  }

  /** Ads already in the pod being picked (pickMany), skipped by accepts. */
  private chosen: Int32Array = new Int32Array(0);
  private chosenCount = 0;

  private rankOf(ordinal: number): number {
    const rules = this.parts.rules;
    return rules.rank[rules.ruleOf === null ? 0 : rules.ruleOf[ordinal]!]!;
  }

  private pickFrom(market: number, now: number, audience: Audience | null, filtered: boolean, houseOk: boolean): number {
    const row = this.rows.get(market);
    if (row === undefined) return -1;
    let plan = this.plan;
    if (!(now >= plan.validFrom && now < plan.validUntil)) plan = this.planFor(now);
    const p = plan.planAt(row, now);
    if (p < 0) return -1;
    const { planStarts, planRotations, rotationChecks, rotationRanks } = plan.parts;
    const last = audience?.last;
    for (let k = planStarts[p]!; k < planStarts[p + 1]!; k++) {
      const r = planRotations[k]!;
      if (!houseOk && isHouseRank(rotationRanks[r]!)) return -1;
      const rotation = plan.rotation(r);
      let ordinal: number;
      if (rotationChecks[r] === 0 && !filtered) {
        ordinal = rotation.next();
        // Weighted rotations may pick the same ad twice running; keep drawing until another comes
        // up, which the rotation guarantees within one period (ids are unique within an index).
        if (last !== undefined) {
          for (let draws = 1; this.idAt(ordinal) === last && rotation.size > 1 && draws < rotation.period; draws++) {
            ordinal = rotation.next();
          }
        }
      } else {
        // Some members need a check against the request: draw among those that pass, the player's
        // last ad only when no other does.
        this.audience = audience;
        this.avoid = last;
        this.dense = (rotationChecks[r]! & CHECK_SLOT) === 0 ? null : plan;
        this.slot = this.dense === null ? 0 : plan.slotOf(now);
        ordinal = rotation.nextWhere(this);
        if (ordinal < 0 && last !== undefined) {
          this.avoid = undefined;
          ordinal = rotation.nextWhere(this);
        }
        this.audience = null;
        this.dense = null;
        if (ordinal < 0) continue;
      }
      if (audience !== null) {
        const rules = this.parts.rules;
        audience.picked(rules, this.idAt(ordinal), rules.ruleOf === null ? 0 : rules.ruleOf[ordinal]!);
      }
      return ordinal;
    }
    return -1;
  }

  /** The id the filtered draw skips (the player's last ad), while pick runs. */
  private avoid: string | undefined = undefined;
  /** While a dense tier is drawn from: its plans and the request's slot (plan.ts). */
  private dense: Plan | null = null;
  private slot = 0;

  /** Whether the ad at an ordinal may be shown to the request being picked for (Rotation.nextWhere). */
  accepts(ordinal: number): boolean {
    if (this.dense !== null && !this.dense.onAir(ordinal, this.slot)) return false;
    const rules = this.parts.rules;
    const rule = rules.ruleOf === null ? 0 : rules.ruleOf[ordinal]!;
    const checks = rules.checks[rule]!;
    const audience = this.audience;
    if (checks !== 0) {
      if ((checks & CHECK_PLATFORM) !== 0 && (audience === null || !this.platformOk(rule, audience))) return false;
      if ((checks & CHECK_KV) !== 0 && (audience === null || !this.kvOk(rule, audience))) return false;
      if ((checks & CHECK_CAP) !== 0 && audience !== null && audience.capped(rules, this.idAt(ordinal), rule)) return false;
    }
    for (let i = 0; i < this.chosenCount; i++) if (this.chosen[i] === ordinal) return false;
    return this.avoid === undefined || this.idAt(ordinal) !== this.avoid;
  }

  private kvRule(k: number): KvRule {
    return this.kvRules[k] ?? (this.kvRules[k] = new KvRule(this.parts.rules.kvRules[k]!));
  }

  /** The plans for an instant outside the current stretch: the next stretch's when it is ready. */
  private planFor(now: number): Plan {
    const next = this.nextPlan;
    if (next?.covers(now)) {
      this.plan = next;
      this.nextPlan = null;
      this.ask(next.validUntil);
      return next;
    }
    // Not compiled yet (the clock jumped, or the builder is behind): ask, and answer from the plans
    // in force meanwhile.
    this.ask(now);
    return this.plan;
  }

  private ask(asOf: number): void {
    if (!Number.isFinite(asOf) || this.onPlanNeeded === null || this.asked === asOf) return;
    this.asked = asOf;
    this.onPlanNeeded(asOf);
  }

  /** When the index's first plans end (+Infinity when nothing in the feed changes with time): ask for the next stretch now. */
  start(): void {
    this.ask(this.plan.validUntil);
  }

  /** Takes plans compiled for another stretch (onPlanNeeded). */
  addPlan(parts: PlanParts, now: number): void {
    const plan = new Plan(parts, this.parts.weights);
    this.asked = Number.NaN;
    if (plan.covers(now)) {
      this.plan = plan;
      this.ask(plan.validUntil);
    } else if (parts.validFrom >= this.plan.validUntil) {
      this.nextPlan = plan;
    } else {
      // Behind an instant already asked for again: keep it only if nothing better is in force.
      if (!this.plan.covers(now)) this.ask(now);
    }
  }

  /** Plans asked for could not be compiled: a later request asks again. */
  planFailed(): void {
    this.asked = Number.NaN;
  }

  /** Whether the plans in force cover an instant. */
  covers(now: number): boolean {
    return this.plan.covers(now);
  }

  /** The stretch the plans in force cover. */
  get stretch(): { from: number; until: number } {
    return { from: this.plan.validFrom, until: this.plan.validUntil };
  }

  /** The rules of the ads (explain, caps). */
  get rules(): RuleParts {
    return this.parts.rules;
  }

  /** Every ad of a market, on the air or not, in feed order (explain). */
  marketAds(market: number): Uint32Array {
    const row = this.rows.get(market);
    if (row === undefined) return new Uint32Array(0);
    const { marketStarts, marketOrdinals } = this.parts;
    return marketOrdinals.subarray(marketStarts[row]!, marketStarts[row + 1]!);
  }

  /** An ad's daily window: [start_hour, end_hour]. */
  windowOf(ordinal: number): [start: number, end: number] {
    const w = this.parts.windows[ordinal]!;
    return [Math.floor(w / HOURS_PER_DAY), w % HOURS_PER_DAY];
  }

  /** The rule number of the ad at an ordinal (rules.ts). */
  ruleAt(ordinal: number): number {
    const ruleOf = this.parts.rules.ruleOf;
    return ruleOf === null ? 0 : ruleOf[ordinal]!;
  }

  /** Whether a request with this audience may be shown the ad (platform, key-values), caps aside: explain's view of accepts. */
  matches(ordinal: number, audience: Audience): { platform: boolean; kv: boolean } {
    const rule = this.ruleAt(ordinal);
    return { platform: this.platformOk(rule, audience), kv: this.kvOk(rule, audience) };
  }

  /** The request names a platform the rule targets, or the rule targets none. */
  private platformOk(rule: number, audience: Audience): boolean {
    const platforms = this.parts.rules.platforms[rule]!;
    return platforms === 0 || (audience.platform & platforms) !== 0;
  }

  /** The request carries every key of the rule's key-values with an allowed value, or the rule has none. */
  private kvOk(rule: number, audience: Audience): boolean {
    const kv = this.parts.rules.kv[rule]!;
    return kv < 0 || this.kvRule(kv).matches(audience);
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

  /**
   * Ids of the ads on the air in a market at an instant, by tier, best first, each in rotation
   * order (tests and debugging). Moves to the next plans as a pick does.
   */
  liveTiers(market: number, now: number): string[][] {
    const row = this.rows.get(market);
    if (row === undefined) return [];
    const plan = this.plan.covers(now) ? this.plan : this.planFor(now);
    const p = plan.planAt(row, now);
    if (p < 0) return [];
    const { planStarts, planRotations, rotationStarts, rotationEnds, rotationChecks, members } = plan.parts;
    const tiers: string[][] = [];
    const slot = plan.slotOf(now);
    for (let k = planStarts[p]!; k < planStarts[p + 1]!; k++) {
      const r = planRotations[k]!;
      let ordinals = Array.from(members.subarray(rotationStarts[r]!, rotationEnds[r]!));
      if ((rotationChecks[r]! & CHECK_SLOT) !== 0) ordinals = ordinals.filter((o) => plan.onAir(o, slot));
      tiers.push(ordinals.map((o) => this.idAt(o)));
    }
    return tiers;
  }

  /** Every id on the air in a market at an instant, best tier first (liveTiers, flattened). */
  liveIds(market: number, now: number): string[] {
    return this.liveTiers(market, now).flat();
  }

  /** Compiles the plans in force at `asOf` (epoch ms; the epoch when omitted, which suits feeds that do not depend on time). */
  static compile(ads: readonly Ad[], version: string, asOf = 0): AdIndex {
    return new AdIndex(AdIndex.compileParts(ads, version, asOf));
  }

  /** Compiles straight to parts (what the index builder thread sends), without making an AdIndex. */
  static compileParts(ads: readonly Ad[], version: string, asOf = 0, denseFactor?: number): AdIndexParts {
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
    const marketKeys = new Float64Array(byMarket.size);
    const marketStarts = new Uint32Array(byMarket.size + 1);
    const marketOrdinals = new Uint32Array(n);
    let m = 0;
    for (const [key, ordinals] of byMarket) {
      marketKeys[m] = key;
      marketOrdinals.set(ordinals, marketStarts[m]!);
      marketStarts[m + 1] = marketStarts[m]! + ordinals.length;
      m++;
    }
    const windows = new Uint16Array(n);
    for (let i = 0; i < n; i++) windows[i] = ads[i]!.startHour * HOURS_PER_DAY + ads[i]!.endHour;
    const rules = compileRules(ads);
    const plan = compilePlan({ marketStarts, marketOrdinals, windows, weights, rules }, asOf, denseFactor);
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
      marketStarts,
      marketOrdinals,
      windows,
      rules,
      plan,
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

/** Strings JSON writes verbatim: printable ASCII without `"` or `\\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** A code unit Latin-1 cannot hold. */
const WIDE = /[\u0100-\uffff]/;
/** Bytes of `{"id":"","video_url":""}`. */
const TEMPLATE_BYTES = 24;

/** A key-value rule (rules.ts), parsed: every key's value in the request must be one of its values. */
class KvRule {
  private readonly keys: string[];
  private readonly values: Set<string>[];
  constructor(json: string) {
    const rule = JSON.parse(json) as Record<string, string[]>;
    this.keys = Object.keys(rule);
    this.values = this.keys.map((k) => new Set(rule[k]));
  }
  matches(audience: Audience): boolean {
    for (let i = 0; i < this.keys.length; i++) {
      const v = audience.kvValue(this.keys[i]!);
      if (v === undefined || !this.values[i]!.has(v)) return false;
    }
    return true;
  }
}
