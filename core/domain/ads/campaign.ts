// The campaign fields of a feed row (README "Campaigns"): who an ad belongs to and outranks, when it
// runs and where, and how often one player may see it. Each reader takes the row's raw value and
// returns the normalised one, undefined when the row leaves the field out, or null when the value is
// bad (the caller turns null into the field's reject reason). The writers give back the feed's own
// form, for snapshots and the feed linter.

/** Platforms a request may name and a row may target. A closed set: requests naming another get a 400. */
export const platforms = ['ios', 'android', 'windows', 'macos', 'linux', 'switch', 'playstation', 'xbox', 'web'] as const;
export type Platform = (typeof platforms)[number];

/** Weekday names in feed order; a mask's bit d is weekday d in JavaScript's numbering (0 = Sunday). */
export const weekdayNames = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** Feed order of weekdays when written back: Monday first, as campaign managers write them. */
const WEEKDAY_ORDER = [1, 2, 3, 4, 5, 6, 0] as const;

export const MAX_PRIORITY = 1000;
export const MAX_CAMPAIGN_ID_LENGTH = 128;
export const MAX_KV_KEYS = 16;
export const MAX_KV_KEY_LENGTH = 32;
export const MAX_KV_VALUES = 64;
export const MAX_KV_LENGTH = 64;
export const MAX_CAP_COUNT = 1000;
/** 30 days: a player's views are kept no longer than the longest cap window. */
export const MAX_CAP_SECONDS = 30 * 24 * 3600;

/** `count` views per `seconds`, per player. */
export interface FrequencyCap {
  readonly count: number;
  readonly seconds: number;
}

/** A kv key: what a request names as `kv.<key>`. */
const KV_KEY = new RegExp(`^[a-z0-9_]{1,${MAX_KV_KEY_LENGTH}}$`);
/** A kv value: printable ASCII, as every query value is. */
const KV_VALUE = /^[\x20-\x7e]+$/;

/** Bit p set ⇔ platforms[p] is targeted; undefined when absent, null when bad. */
export function readPlatforms(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0) return null;
  let mask = 0;
  for (const p of v) {
    const bit = typeof p === 'string' ? platforms.indexOf(p.toLowerCase() as Platform) : -1;
    if (bit < 0 || (mask & (1 << bit)) !== 0) return null;
    mask |= 1 << bit;
  }
  return mask;
}

export function writePlatforms(mask: number): string[] {
  return platforms.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

/** Bit d set ⇔ weekday d (0 = Sunday) is in; undefined when absent, null when bad. */
export function readWeekdays(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0) return null;
  let mask = 0;
  for (const d of v) {
    const bit = typeof d === 'string' ? weekdayNames.indexOf(d.toLowerCase() as (typeof weekdayNames)[number]) : -1;
    if (bit < 0 || (mask & (1 << bit)) !== 0) return null;
    mask |= 1 << bit;
  }
  return mask;
}

export function writeWeekdays(mask: number): string[] {
  return WEEKDAY_ORDER.filter((d) => (mask & (1 << d)) !== 0).map((d) => weekdayNames[d]);
}

/** Checked zones, so a feed of 1M rows in a dozen zones asks ICU a dozen times. */
const zones = new Map<string, string | null>();

/** The IANA zone, as ICU names it (case folded, aliases such as EST5EDT resolved); null when unknown. */
export function readTimezone(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return null;
  let zone = zones.get(v);
  if (zone === undefined) {
    try {
      zone = new Intl.DateTimeFormat('en-US', { timeZone: v }).resolvedOptions().timeZone;
    } catch {
      zone = null;
    }
    // Zones that are offsets ("+05:00") are not IANA names; ICU accepts some of them.
    if (zone !== null && !/^[A-Za-z]/.test(v)) zone = null;
    if (zones.size < 4096) zones.set(v, zone);
  }
  return zone;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The instants writeInstant gives back in a form readInstant reads (a four-digit UTC year):
 * 0000-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z. An offset can carry a row's instant out of
 * it (`9999-12-31T23:59:59-05:00` is in year 10000 UTC), and a snapshot holding that row would be
 * refused by every engine, so the feed refuses the row instead.
 */
const MIN_INSTANT = -62_167_219_200_000;
const MAX_INSTANT = 253_402_300_799_999;

/**
 * An ISO-8601 instant with its offset (`2026-12-01T00:00:00-05:00`, `…Z`), as epoch milliseconds.
 * Strict: a date that does not exist (February 30th) or a missing offset is null, where Date.parse
 * would guess; so is an instant outside MIN_INSTANT..MAX_INSTANT.
 */
export function readInstant(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return null;
  const m = INSTANT.exec(v);
  if (m === null) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  // Not Date.UTC(year, …): it reads years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return null;
  date.setUTCHours(hour, minute, second, ms);
  const local = date.getTime();
  let offset = 0;
  const zone = m[8]!;
  if (zone !== 'Z') {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 18 || minutes > 59) return null;
    offset = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  const instant = local - offset;
  return instant >= MIN_INSTANT && instant <= MAX_INSTANT ? instant : null;
}

export function writeInstant(ms: number): string {
  return new Date(ms).toISOString();
}

/** `{count, seconds}`: integers, 1..MAX_CAP_COUNT views per 1..MAX_CAP_SECONDS seconds. */
export function readCap(v: unknown): FrequencyCap | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return null;
  const { count, seconds, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return null;
  if (!isInt(count, 1, MAX_CAP_COUNT) || !isInt(seconds, 1, MAX_CAP_SECONDS)) return null;
  return { count, seconds };
}

/**
 * `{key: [value, …]}`: the request must carry `kv.<key>` with one of the values, for every key.
 * Keys are lower-case letters, digits and `_`, but not `__proto__`: assigning it would set the
 * result's prototype instead of adding a key, and the ad would silently lose its targeting (and be
 * written to snapshots as an empty `kv` no engine accepts). Values printable ASCII, in their order.
 */
export function readKv(v: unknown): Readonly<Record<string, readonly string[]>> | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return null;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_KV_KEYS) return null;
  const out: Record<string, readonly string[]> = {};
  for (const [key, values] of entries) {
    if (!KV_KEY.test(key) || key === '__proto__' || !Array.isArray(values) || values.length === 0 || values.length > MAX_KV_VALUES) return null;
    for (const value of values) {
      if (typeof value !== 'string' || value.length > MAX_KV_LENGTH || !KV_VALUE.test(value)) return null;
    }
    if (new Set(values).size !== values.length) return null;
    out[key] = values as string[];
  }
  return out;
}

export function readPriority(v: unknown): number | undefined | null {
  if (v === undefined || v === null) return undefined;
  return isInt(v, 0, MAX_PRIORITY) ? v : null;
}

export function readCampaignId(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' && v.length <= MAX_CAMPAIGN_ID_LENGTH && v.trim().length > 0 ? v : null;
}

/** true, or undefined for false and absent: a row that is not a house ad says nothing. */
export function readHouse(v: unknown): true | undefined | null {
  if (v === undefined || v === null || v === false) return undefined;
  return v === true ? true : null;
}

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}
