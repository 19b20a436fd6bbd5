// An index's plans: which ads are on the air in each market at each moment, ranked in tiers, for a
// stretch of time in which nothing about that changes but the time of day and week (README
// "Campaigns"). Within the stretch every flight is either running or not and every time zone keeps
// one UTC offset, so the time of day and week in every zone is a fixed function of the UTC slot: a
// request finds its plan with a division and two array reads, never date arithmetic. At the
// stretch's end the engine moves to the next plan, compiled ahead of time on the builder thread
// (index-builder.ts): a flight's start and end and a zone's daylight-saving change are plan
// boundaries, to the millisecond.
//
// Slots are UTC hours of the day, as they always were, unless the feed asks for more: quarter
// hours when a zone in use is not a whole number of hours from UTC (India, Nepal), and the seven
// days of the week when a row restricts weekdays. A plan is the list of the slot's tiers, best
// first, each a rotation over its on-air ads in feed order. A tier keeps its rotation (and so its
// cursor) while its set of ads stays the same from one slot to the next, the day wrapping around,
// and sets that recur share their members table.
//
// A dense tier is the exception: one whose sets change so often (many windows in many zones, over a
// week of quarter hours) that a table per set would cost more than DENSE_FACTOR times its ads, in
// a layout finer than a day of hours. It
// gets one rotation over all its ads, and each ad's schedule (a bit per slot, shared by every ad
// with the same zone, weekdays and hours) is checked on the draw: memory stays that of its ads, and
// a draw costs about one over the share of them on the air.

import { HOURS_PER_DAY, isLiveAt } from '../decision/hours.js';
import { steadyOffset } from '../decision/zones.js';
import { Rotation } from '../decision/rotation.js';
import { CHECK_SLOT, EVERY_WEEKDAY, type RuleParts } from './rules.js';

/**
 * A tier whose member tables would exceed this many times its ads is dense (one rotation, slot
 * checked on the draw): what a day of hourly slots may cost. Only layouts finer than that (weeks,
 * quarter hours) can be dense, so a feed without campaign fields compiles as it always did.
 */
export const DENSE_FACTOR = 24;

const HOUR_MS = 3_600_000;
const QUARTER_MS = 900_000;
const MINUTES_PER_DAY = 1440;
/** 1970-01-01, where slot 0 of a week starts, was a Thursday (JavaScript weekday 4). */
const EPOCH_WEEKDAY = 4;

/** What the plans are compiled from: the time-independent part of an index. */
export interface PlanInput {
  /** Markets' ads: market m's ordinals, in feed order, are marketOrdinals[marketStarts[m] .. marketStarts[m + 1]). */
  marketStarts: Uint32Array;
  marketOrdinals: Uint32Array;
  /** Per ordinal: start_hour × 24 + end_hour. */
  windows: Uint16Array;
  weights: Uint16Array | null;
  rules: RuleParts;
}

/** One stretch's plans, as flat arrays (they cross threads, like AdIndexParts). */
export interface PlanParts {
  /** The stretch: [validFrom, validUntil), epoch ms; infinite when nothing in the feed changes with time. */
  validFrom: number;
  validUntil: number;
  /** A slot is `slotMs` long; slots repeat every `slots` of them (a day or a week). */
  slotMs: number;
  slots: number;
  /** markets × slots: the slot's plan, -1 when no ad is on the air. */
  marketSlots: Int32Array;
  /** Plan p's rotations, best tier first: planRotations[planStarts[p] .. planStarts[p + 1]). */
  planStarts: Uint32Array;
  planRotations: Uint32Array;
  /** Rotation r's members are members[rotationStarts[r] .. rotationEnds[r]) (tables are shared). */
  rotationStarts: Uint32Array;
  rotationEnds: Uint32Array;
  /** Total weight per rotation; 0 for a plain round-robin one. */
  rotationTotals: Uint32Array;
  /** The tier rank of each rotation (rules.ts tierRank). */
  rotationRanks: Int32Array;
  /** OR of the members' rules' checks, and CHECK_SLOT for a dense tier's: 0 when no member needs a per-request check. */
  rotationChecks: Uint8Array;
  members: Uint32Array;
  /** Dense tiers' ads: each one's schedule (-1 for the rest); empty when no tier is dense. */
  adSchedule: Int32Array;
  /** Schedule k is on the air in slot s ⇔ scheduleLive[k × slots + s] is 1. */
  scheduleLive: Uint8Array;
}

export function planBuffers(p: PlanParts): ArrayBuffer[] {
  return [p.marketSlots, p.planStarts, p.planRotations, p.rotationStarts, p.rotationEnds, p.rotationTotals, p.rotationRanks, p.rotationChecks, p.members, p.adSchedule, p.scheduleLive].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/** The stretch of time around `asOf` in which no flight starts or ends and no zone in use changes its offset. */
export function stretchAround(rules: RuleParts, asOf: number): { from: number; until: number; offsets: Int32Array } {
  let from = -Infinity;
  let until = Infinity;
  for (let k = 0; k < rules.rank.length; k++) {
    for (const edge of [rules.flightStart[k]!, rules.flightEnd[k]!]) {
      if (edge <= asOf) from = Math.max(from, edge);
      else until = Math.min(until, edge);
    }
  }
  const offsets = new Int32Array(rules.zones.length);
  for (let z = 0; z < rules.zones.length; z++) {
    const steady = steadyOffset(rules.zones[z]!, asOf);
    offsets[z] = steady.offset;
    from = Math.max(from, steady.from);
    until = Math.min(until, steady.until);
  }
  return { from, until, offsets };
}

/** Compiles the plans for the stretch of time that contains `asOf`. */
export function compilePlan(input: PlanInput, asOf: number, denseFactor = DENSE_FACTOR): PlanParts {
  const { marketStarts, marketOrdinals, windows, weights, rules } = input;
  const ordinals = windows.length;
  const { ruleOf } = rules;
  const { from, until, offsets } = stretchAround(rules, asOf);
  let weekly = false;
  for (let k = 0; k < rules.weekdays.length; k++) if (rules.weekdays[k] !== EVERY_WEEKDAY) weekly = true;
  let quarters = false;
  for (const offset of offsets) if (offset % 60 !== 0) quarters = true;
  const slotMs = quarters ? QUARTER_MS : HOUR_MS;
  const perDay = quarters ? 96 : HOURS_PER_DAY;
  const slots = weekly ? 7 * perDay : perDay;
  const slotMinutes = slotMs / 60_000;

  // One on-air table per (zone, weekdays, hour window) in use, and the slots at which it toggles.
  const schedules = new Map<number, { live: Uint8Array; toggles: number[]; id: number }>();
  const scheduleOf = (rule: number, window: number) => {
    const zone = rules.zone[rule]!;
    const days = rules.weekdays[rule]!;
    const key = (zone * 128 + days) * 576 + window;
    let schedule = schedules.get(key);
    if (schedule === undefined) {
      const live = new Uint8Array(slots);
      const start = Math.floor(window / HOURS_PER_DAY);
      const end = window % HOURS_PER_DAY;
      for (let s = 0; s < slots; s++) {
        const local = s * slotMinutes + offsets[zone]!;
        const day = Math.floor(local / MINUTES_PER_DAY);
        const hour = Math.floor((local - day * MINUTES_PER_DAY) / 60);
        const weekday = (((EPOCH_WEEKDAY + day) % 7) + 7) % 7;
        live[s] = isLiveAt(start, end, hour) && (!weekly || (days & (1 << weekday)) !== 0) ? 1 : 0;
      }
      const toggles: number[] = [];
      for (let s = 0; s < slots; s++) if (live[s] !== live[(s + slots - 1) % slots]) toggles.push(s);
      schedule = { live, toggles, id: schedules.size };
      schedules.set(key, schedule);
    }
    return schedule;
  };

  const markets = marketStarts.length - 1;
  const marketSlots = new Int32Array(markets * slots).fill(-1);
  const planStarts: number[] = [0];
  const planRotations: number[] = [];
  const rot = { starts: [] as number[], ends: [] as number[], totals: [] as number[], ranks: [] as number[], checks: [] as number[] };
  const members = new Growing();
  let adSchedule: Int32Array | null = null;
  /** Members tables by set signature (per market and tier), so recurring sets share one. */
  let tables = new Map<number, number>();

  for (let m = 0; m < markets; m++) {
    // The market's ads on the air in this stretch, grouped by (tier, schedule); tiers best first.
    const groupKeys = new Map<number, number>();
    const groups: { tier: number; live: Uint8Array; toggles: number[]; schedule: number; ads: number }[] = [];
    const ranks: number[] = [];
    const tierOf = new Map<number, number>();
    /** Per tier, its ads on the air in this stretch, in feed order, and each one's group. */
    const tierAds: number[][] = [];
    const tierGroups: number[][] = [];
    for (let j = marketStarts[m]!; j < marketStarts[m + 1]!; j++) {
      const o = marketOrdinals[j]!;
      const rule = ruleOf === null ? 0 : ruleOf[o]!;
      if (!(rules.flightStart[rule]! <= asOf && asOf < rules.flightEnd[rule]!)) continue;
      const rank = rules.rank[rule]!;
      let tier = tierOf.get(rank);
      if (tier === undefined) {
        tier = ranks.push(rank) - 1;
        tierOf.set(rank, tier);
        tierAds.push([]);
        tierGroups.push([]);
      }
      const key = (tier * 65536 + rules.zone[rule]!) * 128 * 576 + rules.weekdays[rule]! * 576 + windows[o]!;
      let g = groupKeys.get(key);
      if (g === undefined) {
        const schedule = scheduleOf(rule, windows[o]!);
        g = groups.push({ tier, live: schedule.live, toggles: schedule.toggles, schedule: schedule.id, ads: 0 }) - 1;
        groupKeys.set(key, g);
      }
      tierAds[tier]!.push(o);
      tierGroups[tier]!.push(g);
      groups[g]!.ads++;
    }
    if (groups.length === 0) continue;
    // Tier numbers in rank order, best first.
    const order = ranks.map((_, t) => t).sort((a, b) => ranks[b]! - ranks[a]!);
    const live = new Uint8Array(groups.length);

    // Each tier on its own: a rotation per maximal run of slots with the same set of ads on the air,
    // found by a sweep that starts where the tier changes, so a run wraps around the day or week.
    const tierRotations: Int32Array[] = [];
    for (let t = 0; t < ranks.length; t++) {
      tables = new Map<number, number>();
      const own: number[] = [];
      for (let g = 0; g < groups.length; g++) if (groups[g]!.tier === t) own.push(g);
      const togglesAt = new Map<number, number[]>();
      let start = -1;
      for (const g of own) {
        for (const s of groups[g]!.toggles) {
          const at = togglesAt.get(s);
          if (at === undefined) togglesAt.set(s, [g]);
          else at.push(g);
          if (start < 0 || s < start) start = s;
        }
      }
      if (start < 0) start = 0;
      if (dense(own, togglesAt, start, t)) continue;
      // The set's signature, kept as groups toggle: a sum of a random 32-bit stamp per live group
      // (mod 2^32) and their count. Equal signatures are checked member by member before sharing.
      let stamp = 0;
      let count = 0;
      for (const g of own) {
        live[g] = groups[g]!.live[start]!;
        if (live[g] === 1) {
          stamp = (stamp + stampOf(g)) >>> 0;
          count++;
        }
      }
      const at = new Int32Array(slots);
      let current = -1;
      for (let step = 0; step < slots; step++) {
        const s = (start + step) % slots;
        const toggled = togglesAt.get(s);
        if (step === 0 || toggled !== undefined) {
          if (step > 0) {
            for (const g of toggled!) {
              live[g] = live[g]! ^ 1;
              stamp = (live[g] === 1 ? stamp + stampOf(g) : stamp - stampOf(g)) >>> 0;
              count += live[g] === 1 ? 1 : -1;
            }
          }
          current = count === 0 ? -1 : tierRotation(t, stamp * 4096 + (count & 4095));
        }
        at[s] = current;
      }
      tierRotations.push(at);
    }

    /**
     * Whether tier t is dense: the tables of its sets, one per change, would hold more than
     * denseFactor times its ads. If so, gives it one rotation for every slot where an ad is on the air.
     */
    function dense(own: number[], togglesAt: Map<number, number[]>, start: number, t: number): boolean {
      const ads = tierAds[t]!;
      let onAir = 0;
      for (const g of own) {
        live[g] = groups[g]!.live[start]!;
        if (live[g] === 1) onAir += groups[g]!.ads;
      }
      const onAirAt = new Int32Array(slots);
      let cost = onAir;
      for (let step = 0; step < slots; step++) {
        const s = (start + step) % slots;
        const toggled = togglesAt.get(s);
        if (step > 0 && toggled !== undefined) {
          for (const g of toggled) {
            live[g] = live[g]! ^ 1;
            onAir += live[g] === 1 ? groups[g]!.ads : -groups[g]!.ads;
          }
          cost += onAir;
        }
        onAirAt[s] = onAir;
      }
      if (slots <= HOURS_PER_DAY || cost <= denseFactor * ads.length) return false;
      adSchedule ??= new Int32Array(ordinals).fill(-1);
      const startAt = members.length;
      let total = 0;
      let checks = CHECK_SLOT;
      let uniform = true;
      const w0 = weights === null ? 1 : weights[ads[0]!]!;
      for (let j = 0; j < ads.length; j++) {
        const o = ads[j]!;
        members.push(o);
        adSchedule[o] = groups[tierGroups[t]![j]!]!.schedule;
        const w = weights === null ? 1 : weights[o]!;
        if (w !== w0) uniform = false;
        total += w;
        checks |= rules.checks[ruleOf === null ? 0 : ruleOf[o]!]!;
      }
      rot.starts.push(startAt);
      rot.ends.push(startAt + ads.length);
      rot.totals.push(weights === null || uniform ? 0 : total);
      rot.ranks.push(ranks[t]!);
      rot.checks.push(checks);
      const r = rot.starts.length - 1;
      tierRotations.push(onAirAt.map((n) => (n > 0 ? r : -1)));
      return true;
    }
    // Plans: a new one wherever a tier's rotation changes from the slot before.
    let plan = -1;
    for (let s = 0; s < slots; s++) {
      let changed = s === 0;
      for (let t = 0; t < ranks.length && !changed; t++) if (tierRotations[t]![s] !== tierRotations[t]![s - 1]) changed = true;
      if (changed) {
        const start = planRotations.length;
        for (const t of order) {
          const r = tierRotations[t]![s]!;
          if (r >= 0) planRotations.push(r);
        }
        if (planRotations.length === start) plan = -1;
        else {
          plan = planStarts.length - 1;
          planStarts.push(planRotations.length);
        }
      }
      marketSlots[m * slots + s] = plan;
    }

    /** A rotation over tier t's ads whose group is on the air now (signature `signature`). */
    function tierRotation(t: number, signature: number): number {
      const ads = tierAds[t]!;
      const adGroups = tierGroups[t]!;
      const startAt = members.length;
      let count = 0;
      let total = 0;
      let checks = 0;
      let uniform = true;
      let w0 = -1;
      for (let j = 0; j < ads.length; j++) {
        if (live[adGroups[j]!] !== 1) continue;
        const o = ads[j]!;
        members.push(o);
        count++;
        const w = weights === null ? 1 : weights[o]!;
        if (w0 < 0) w0 = w;
        if (w !== w0) uniform = false;
        total += w;
        checks |= rules.checks[ruleOf === null ? 0 : ruleOf[o]!]!;
      }
      // A set this market's tier had before (the same hours on another day): share its table.
      const earlier = tables.get(signature);
      if (earlier !== undefined && members.sameAs(earlier, startAt, count)) {
        members.length = startAt;
        rot.starts.push(earlier);
      } else {
        if (earlier === undefined) tables.set(signature, startAt);
        rot.starts.push(startAt);
      }
      rot.ends.push(rot.starts[rot.starts.length - 1]! + count);
      rot.totals.push(weights === null || uniform ? 0 : total);
      rot.ranks.push(ranks[t]!);
      rot.checks.push(checks);
      return rot.starts.length - 1;
    }
  }
  return {
    validFrom: from,
    validUntil: until,
    slotMs,
    slots,
    marketSlots,
    planStarts: Uint32Array.from(planStarts),
    planRotations: Uint32Array.from(planRotations),
    rotationStarts: Uint32Array.from(rot.starts),
    rotationEnds: Uint32Array.from(rot.ends),
    rotationTotals: Uint32Array.from(rot.totals),
    rotationRanks: Int32Array.from(rot.ranks),
    rotationChecks: Uint8Array.from(rot.checks),
    members: members.toArray(),
    adSchedule: adSchedule ?? new Int32Array(0),
    scheduleLive: adSchedule === null ? new Uint8Array(0) : packSchedules(schedules, slots),
  };
}

/** Every schedule's on-air table, one after the other (PlanParts.scheduleLive). */
function packSchedules(schedules: Map<number, { live: Uint8Array; id: number }>, slots: number): Uint8Array {
  const out = new Uint8Array(schedules.size * slots);
  for (const { live, id } of schedules.values()) out.set(live, id * slots);
  return out;
}

/** A random 32-bit stamp per group number (fixed seed): set signatures add them up. */
const stamps: number[] = [];
function stampOf(g: number): number {
  while (stamps.length <= g) {
    let x = (stamps.length + 1) * 0x9e3779b1;
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    stamps.push((x ^ (x >>> 16)) >>> 0);
  }
  return stamps[g]!;
}

/** A Uint32 list that grows by doubling (members of 1M ads: no boxed array of numbers). */
class Growing {
  length = 0;
  private data = new Uint32Array(1024);
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }
  /** Whether data[a .. a + n) equals data[b .. b + n). */
  sameAs(a: number, b: number, n: number): boolean {
    for (let i = 0; i < n; i++) if (this.data[a + i] !== this.data[b + i]) return false;
    return true;
  }
}

/** A stretch's plans on the serving thread: rotations made on a tier's first pick, as AdIndex did. */
export class Plan {
  readonly validFrom: number;
  readonly validUntil: number;
  private readonly rotations: (Rotation | undefined)[];

  constructor(
    readonly parts: PlanParts,
    private readonly weights: Uint16Array | null,
  ) {
    this.validFrom = parts.validFrom;
    this.validUntil = parts.validUntil;
    this.rotations = new Array(parts.rotationTotals.length);
  }

  covers(now: number): boolean {
    return now >= this.validFrom && now < this.validUntil;
  }

  /** The plan of a market row at an instant, -1 when no ad is on the air. */
  planAt(row: number, now: number): number {
    const p = this.parts;
    return p.marketSlots[row * p.slots + this.slotOf(now)]!;
  }

  /** The slot of an instant. */
  slotOf(now: number): number {
    return Math.floor(now / this.parts.slotMs) % this.parts.slots;
  }

  /** Whether an ad of a dense tier is on the air in a slot (CHECK_SLOT rotations). */
  onAir(ordinal: number, slot: number): boolean {
    const p = this.parts;
    return p.scheduleLive[p.adSchedule[ordinal]! * p.slots + slot] === 1;
  }

  rotation(r: number): Rotation {
    return this.rotations[r] ?? this.make(r);
  }

  private make(r: number): Rotation {
    const p = this.parts;
    const members = p.members.subarray(p.rotationStarts[r]!, p.rotationEnds[r]!);
    const total = p.rotationTotals[r]!;
    const rotation = total === 0 ? new Rotation(members, null, members.length) : new Rotation(members, this.weights, total);
    this.rotations[r] = rotation;
    return rotation;
  }

  /** Bytes of the plans and of the rotation state made so far. */
  get bytes(): number {
    const p = this.parts;
    let bytes = planBuffers(p).reduce((sum, b) => sum + b.byteLength, 0);
    for (const r of this.rotations) if (r !== undefined) bytes += r.bytes - r.members.byteLength;
    return bytes;
  }
}
