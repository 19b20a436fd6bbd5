// The campaign feed: `{"ads":[{id, video_url, country, lang, start_hour, end_hour, weight?,
// duration?, mime?, width?, height?, bitrate?, click_url?, title?, campaign_id?, priority?, house?,
// starts_at?, ends_at?, weekdays?, timezone?, platforms?, kv?, frequency_cap?,
// campaign_frequency_cap?}]}`. The optional creative fields describe the video for VAST answers
// (README "GET /ad_request"); absent, the creative defaults below apply. The optional campaign fields
// (campaign.ts, README "Campaigns") say when, where, above what and how often an ad runs; absent,
// a row means what it meant before they existed.
// Validation is row by row and never throws for a bad row: the row is dropped with a reason, counted
// and reported, so one typo in a 100k-row feed does not take the other 99,999 ads off the air.
// Only a document that is unusable as a whole (not JSON, no `ads` array, no valid row) is refused.

import { FeedRejectedError } from '../../errors.js';
import {
  readCampaignId,
  readCap,
  readHouse,
  readInstant,
  readKv,
  readPlatforms,
  readPriority,
  readTimezone,
  readWeekdays,
  type FrequencyCap,
} from './campaign.js';

/**
 * One validated ad, normalised: lower-case country and lang, integer hours, weight ≥ 1. The creative
 * fields are undefined when the feed does not give them (creativeDefaults says what VAST shows then),
 * so a snapshot carries exactly what the feed said.
 */
export interface Ad {
  readonly id: string;
  readonly videoUrl: string;
  readonly country: string;
  readonly lang: string;
  readonly startHour: number;
  readonly endHour: number;
  readonly weight: number;
  /** Seconds, > 0 and ≤ MAX_DURATION_S, to the millisecond. */
  readonly duration?: number | undefined;
  /** A `video/…` media type, lower-case. */
  readonly mime?: string | undefined;
  /** Pixels. */
  readonly width?: number | undefined;
  readonly height?: number | undefined;
  /** Kbit/s, as VAST counts it. */
  readonly bitrate?: number | undefined;
  /** Where a click on the video goes (http or https). */
  readonly clickUrl?: string | undefined;
  /** The ad's name for players (VAST AdTitle); the id when absent. */
  readonly title?: string | undefined;
  /** The campaign the ad belongs to: its frequency cap counts views of every ad of it. */
  readonly campaignId?: string | undefined;
  /** Tier, 0..MAX_PRIORITY (0 when absent): the highest tier with an eligible ad wins. */
  readonly priority?: number | undefined;
  /** Served only when no other ad is eligible. */
  readonly house?: true | undefined;
  /** Flight, epoch ms: live from startsAt (inclusive) to endsAt (exclusive). */
  readonly startsAt?: number | undefined;
  readonly endsAt?: number | undefined;
  /** Bit d (0 = Sunday) set ⇔ live on weekday d, in the ad's time zone. */
  readonly weekdays?: number | undefined;
  /** IANA zone in which the hours and weekdays are read; UTC when absent. */
  readonly timezone?: string | undefined;
  /** Bit p set ⇔ served to campaign.ts's platforms[p]; every platform when absent. */
  readonly platforms?: number | undefined;
  /** Key → allowed values: a request must match every key. */
  readonly kv?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Views of this ad per player. */
  readonly frequencyCap?: FrequencyCap | undefined;
  /** Views of any ad of this ad's campaign per player. */
  readonly campaignFrequencyCap?: FrequencyCap | undefined;
}

/** Why a row was dropped. A closed set: it is a metric label. */
export const rejectReasons = [
  'not_an_object',
  'bad_id',
  'bad_video_url',
  'bad_country',
  'bad_lang',
  'bad_start_hour',
  'bad_end_hour',
  'bad_weight',
  'bad_duration',
  'bad_mime',
  'bad_width',
  'bad_height',
  'bad_bitrate',
  'bad_click_url',
  'bad_title',
  'bad_campaign_id',
  'bad_priority',
  'bad_house',
  'bad_starts_at',
  'bad_ends_at',
  'bad_weekdays',
  'bad_timezone',
  'bad_platforms',
  'bad_kv',
  'bad_frequency_cap',
  'bad_campaign_frequency_cap',
  'duplicate_id',
] as const;
export type RejectReason = (typeof rejectReasons)[number];

export interface RejectedRow {
  /** Position of the row in the feed's `ads` array. */
  readonly row: number;
  /** The row's id when it had a usable one, for the log line. */
  readonly id: string | null;
  readonly reason: RejectReason;
}

export interface FeedValidation {
  readonly ads: Ad[];
  /** Every reason with its count, zeros included. */
  readonly rejectedByReason: Record<RejectReason, number>;
  readonly rejectedTotal: number;
  /** The first MAX_REJECTED_SAMPLES dropped rows, for logging; counts above are complete. */
  readonly rejectedSamples: RejectedRow[];
}

export const MAX_ID_LENGTH = 128;
export const MAX_URL_LENGTH = 2048;
export const MAX_WEIGHT = 1000;
/** An hour: longer is not an ad. */
export const MAX_DURATION_S = 3600;
/** 16K video; wider or taller is a typo. */
export const MAX_DIMENSION = 16384;
/** Kbit/s: 1 Gbit/s. */
export const MAX_BITRATE = 1_000_000;
export const MAX_TITLE_LENGTH = 256;
const MAX_REJECTED_SAMPLES = 100;

const COUNTRY = /^[A-Za-z]{2}$/;
const LANG = /^[A-Za-z]{3}$/;
/** `video/` and an RFC 6838 subtype name, in any case; no parameters. */
const VIDEO_MIME = /^video\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/i;

/**
 * What a VAST answer shows for creative fields the feed leaves out: 30 seconds, 1280×720, no
 * bitrate, no click-through, the id as title, and a media type from the video URL's extension
 * (`.webm` video/webm, `.ogv` video/ogg, `.mov` video/quicktime, anything else video/mp4).
 */
export const creativeDefaults = { duration: 30, width: 1280, height: 720 } as const;

/** The media type of a video URL by its path's extension; video/mp4 when it names none we know. */
export function defaultMime(videoUrl: string): string {
  // No slicing or case-folding copies: an index compile calls this for every ad without a mime.
  let end = videoUrl.length;
  const query = videoUrl.indexOf('?');
  if (query >= 0) end = query;
  const hash = videoUrl.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;
  const dot = videoUrl.lastIndexOf('.', end - 1);
  if (dot < 0 || videoUrl.lastIndexOf('/', end - 1) > dot) return 'video/mp4';
  if (extensionIs(videoUrl, dot + 1, end, 'webm')) return 'video/webm';
  if (extensionIs(videoUrl, dot + 1, end, 'ogv')) return 'video/ogg';
  if (extensionIs(videoUrl, dot + 1, end, 'mov')) return 'video/quicktime';
  return 'video/mp4';
}

/** s[from, end) is `ext` (lower-case letters), in any case. */
function extensionIs(s: string, from: number, end: number, ext: string): boolean {
  if (end - from !== ext.length) return false;
  for (let i = 0; i < ext.length; i++) if ((s.charCodeAt(from + i) | 0x20) !== ext.charCodeAt(i)) return false;
  return true;
}

/** Told of every dropped row as validation goes, past the sample cap, before any refusal (the feed linter). */
export type OnRejectedRow = (rejected: RejectedRow) => void;

/** Parses and validates a feed document. Throws FeedRejectedError only when no row is usable. */
export function parseFeed(text: string, onRejected?: OnRejectedRow): FeedValidation {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FeedRejectedError(`feed is not valid JSON: ${(err as Error).message}`);
  }
  return validateFeed(doc, onRejected);
}

export function validateFeed(doc: unknown, onRejected?: OnRejectedRow): FeedValidation {
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { ads?: unknown }).ads)) {
    throw new FeedRejectedError('feed must be a JSON object with an "ads" array');
  }
  const rows = (doc as { ads: unknown[] }).ads;
  const rejectedByReason = Object.fromEntries(rejectReasons.map((r) => [r, 0])) as Record<RejectReason, number>;
  const rejectedSamples: RejectedRow[] = [];
  let rejectedTotal = 0;
  const reject = (row: number, id: string | null, reason: RejectReason): void => {
    rejectedByReason[reason]++;
    rejectedTotal++;
    if (rejectedSamples.length < MAX_REJECTED_SAMPLES) rejectedSamples.push({ row, id, reason });
    onRejected?.({ row, id, reason });
  };

  // Duplicate ids: the last row wins. Keep the position of each id's winning row so the output keeps
  // feed order (rotation order follows it) and the losers are counted as duplicates.
  const byId = new Map<string, number>();
  const valid: (Ad | undefined)[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const result = validateRow(rows[i]);
    if (typeof result === 'string') {
      reject(i, rowIdForLog(rows[i]), result);
      continue;
    }
    const earlier = byId.get(result.id);
    if (earlier !== undefined) {
      valid[earlier] = undefined;
      reject(earlier, result.id, 'duplicate_id');
    }
    byId.set(result.id, i);
    valid[i] = result;
  }
  const ads: Ad[] = [];
  for (const ad of valid) if (ad !== undefined) ads.push(ad);
  if (ads.length === 0) {
    throw new FeedRejectedError(`feed has no valid row (${rows.length} rows, ${rejectedTotal} rejected)`);
  }
  return { ads, rejectedByReason, rejectedTotal, rejectedSamples };
}

/** Returns the normalised ad, or the reason the row is dropped. First failing rule wins. */
export function validateRow(row: unknown): Ad | RejectReason {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'not_an_object';
  const r = row as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || id.trim().length === 0) {
    return 'bad_id';
  }
  if (!isHttpUrl(r.video_url)) return 'bad_video_url';
  if (typeof r.country !== 'string' || !COUNTRY.test(r.country)) return 'bad_country';
  if (typeof r.lang !== 'string' || !LANG.test(r.lang)) return 'bad_lang';
  if (!isHour(r.start_hour)) return 'bad_start_hour';
  if (!isHour(r.end_hour)) return 'bad_end_hour';
  let weight = 1;
  if (r.weight !== undefined && r.weight !== null) {
    if (typeof r.weight !== 'number' || !Number.isInteger(r.weight) || r.weight < 1 || r.weight > MAX_WEIGHT) {
      return 'bad_weight';
    }
    weight = r.weight;
  }
  const base = {
    id,
    videoUrl: r.video_url as string,
    country: r.country.toLowerCase(),
    lang: r.lang.toLowerCase(),
    startHour: r.start_hour as number,
    endHour: r.end_hour as number,
    weight,
  };
  // Most rows give no optional field: they keep the short shape (one shape per kind of row, so the
  // compiler's loops over 1M ads stay monomorphic).
  const creative = !(absent(r.duration) && absent(r.mime) && absent(r.width) && absent(r.height) && absent(r.bitrate) && absent(r.click_url) && absent(r.title));
  if (!creative && !givesCampaignField(r)) return base;
  let duration: number | undefined;
  if (!absent(r.duration)) {
    // Kept to the millisecond, so the snapshot holds what VAST will say.
    duration = typeof r.duration === 'number' ? Math.round(r.duration * 1000) / 1000 : Number.NaN;
    if (!(duration > 0 && duration <= MAX_DURATION_S)) return 'bad_duration';
  }
  let mime: string | undefined;
  if (!absent(r.mime)) {
    if (typeof r.mime !== 'string' || !VIDEO_MIME.test(r.mime)) return 'bad_mime';
    mime = r.mime.toLowerCase();
  }
  const width = optionalCount(r.width, MAX_DIMENSION);
  if (width === null) return 'bad_width';
  const height = optionalCount(r.height, MAX_DIMENSION);
  if (height === null) return 'bad_height';
  const bitrate = optionalCount(r.bitrate, MAX_BITRATE);
  if (bitrate === null) return 'bad_bitrate';
  let clickUrl: string | undefined;
  if (!absent(r.click_url)) {
    if (!isHttpUrl(r.click_url)) return 'bad_click_url';
    clickUrl = r.click_url;
  }
  let title: string | undefined;
  if (!absent(r.title)) {
    if (typeof r.title !== 'string' || r.title.length > MAX_TITLE_LENGTH || r.title.trim().length === 0) return 'bad_title';
    title = r.title;
  }
  const campaignId = readCampaignId(r.campaign_id);
  if (campaignId === null) return 'bad_campaign_id';
  const priority = readPriority(r.priority);
  if (priority === null) return 'bad_priority';
  const house = readHouse(r.house);
  if (house === null) return 'bad_house';
  const startsAt = readInstant(r.starts_at);
  if (startsAt === null) return 'bad_starts_at';
  const endsAt = readInstant(r.ends_at);
  if (endsAt === null || (endsAt !== undefined && startsAt !== undefined && endsAt <= startsAt)) return 'bad_ends_at';
  const weekdays = readWeekdays(r.weekdays);
  if (weekdays === null) return 'bad_weekdays';
  const timezone = readTimezone(r.timezone);
  if (timezone === null) return 'bad_timezone';
  const platforms = readPlatforms(r.platforms);
  if (platforms === null) return 'bad_platforms';
  const kv = readKv(r.kv);
  if (kv === null) return 'bad_kv';
  const frequencyCap = readCap(r.frequency_cap);
  if (frequencyCap === null) return 'bad_frequency_cap';
  const campaignFrequencyCap = readCap(r.campaign_frequency_cap);
  if (campaignFrequencyCap === null || (campaignFrequencyCap !== undefined && campaignId === undefined)) return 'bad_campaign_frequency_cap';
  // One object literal with every field, not a spread of base: a spread of 26 keys made each row a
  // dictionary-mode object, and validation of 1M campaign rows 10× slower (bench/compile.ts).
  return {
    id: base.id,
    videoUrl: base.videoUrl,
    country: base.country,
    lang: base.lang,
    startHour: base.startHour,
    endHour: base.endHour,
    weight: base.weight,
    duration,
    mime,
    width,
    height,
    bitrate,
    clickUrl,
    title,
    campaignId,
    priority,
    house,
    startsAt,
    endsAt,
    weekdays,
    timezone,
    platforms,
    kv,
    frequencyCap,
    campaignFrequencyCap,
  };
}

/** Whether the row gives a campaign field. `house: false` says no more than leaving it out (readHouse). */
function givesCampaignField(r: Record<string, unknown>): boolean {
  // Named reads, not r[name] over a list of names: keyed reads of rows are megamorphic.
  return !(
    absent(r.campaign_id) &&
    absent(r.priority) &&
    (absent(r.house) || r.house === false) &&
    absent(r.starts_at) &&
    absent(r.ends_at) &&
    absent(r.weekdays) &&
    absent(r.timezone) &&
    absent(r.platforms) &&
    absent(r.kv) &&
    absent(r.frequency_cap) &&
    absent(r.campaign_frequency_cap)
  );
}

/** A field the row leaves out: missing or null (as weight). */
function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

/** An optional integer from 1 to max: the number, undefined when absent, null when bad. */
function optionalCount(v: unknown, max: number): number | undefined | null {
  if (absent(v)) return undefined;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max ? v : null;
}

function isHour(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 23;
}

function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_URL_LENGTH) return false;
  // Cheap prefix test first: URL.canParse would accept "ftp:" or "javascript:" and costs more.
  if (!v.startsWith('https://') && !v.startsWith('http://')) return false;
  return URL.canParse(v);
}

function rowIdForLog(row: unknown): string | null {
  const id = typeof row === 'object' && row !== null ? (row as { id?: unknown }).id : undefined;
  if (typeof id === 'string' && id.length > 0) return id.length > 64 ? `${id.slice(0, 64)}…` : id;
  if (typeof id === 'number') return String(id);
  return null;
}
