// The snapshot contract between the syncer (only writer) and the engines (readers):
// `{kind, version, createdAt, streamOffset, data}`. For kind "ads", data is the validated feed in
// the feed's own row format, so decoding re-runs the same row validator: a snapshot that is not
// perfectly valid was not written by our syncer, and is refused whole as corrupt. Kind "stream"
// (the event log's fold up to streamOffset) is in ../stream/stream-snapshot.ts, on the same envelope.

import { createHash } from 'node:crypto';
import { SnapshotCorruptError } from '../../errors.js';
import { validateFeed, type Ad } from './feed.js';
import { writeInstant, writePlatforms, writeWeekdays } from './campaign.js';

export const snapshotKinds = ['ads', 'stream'] as const;
export type SnapshotKind = (typeof snapshotKinds)[number];

export interface AdsSnapshot {
  readonly kind: 'ads';
  readonly version: string;
  /** ISO-8601 time the syncer compiled it. */
  readonly createdAt: string;
  /** Events-stream offset this snapshot covers (ads do not depend on the stream: always '0'). */
  readonly streamOffset: string;
  readonly ads: Ad[];
}

/** Versions sort by time as strings: `20261123T031500123Z-<12 hex of the content hash>`. */
export function snapshotVersion(createdAtMs: number, contentHash: string): string {
  return new Date(createdAtMs).toISOString().replace(/[-:.]/g, '') + '-' + contentHash.slice(0, 12);
}

/** Hash of the ads as they will be served: equal feeds give equal hashes, whatever their formatting. */
export function adsContentHash(ads: readonly Ad[]): string {
  const h = createHash('sha256');
  for (const ad of ads) h.update(JSON.stringify(toRow(ad)) + '\n');
  return h.digest('hex');
}

export function encodeAdsSnapshot(s: AdsSnapshot): Buffer {
  return encodeEnvelope(s, { ads: s.ads.map(toRow) });
}

export function decodeAdsSnapshot(bytes: Uint8Array): AdsSnapshot {
  const envelope = decodeEnvelope(bytes, 'ads');
  let feed: ReturnType<typeof validateFeed>;
  try {
    feed = validateFeed(envelope.data);
  } catch (err) {
    throw new SnapshotCorruptError(`snapshot data refused: ${(err as Error).message}`);
  }
  if (feed.rejectedTotal > 0) {
    const first = feed.rejectedSamples[0]!;
    throw new SnapshotCorruptError(`snapshot has ${feed.rejectedTotal} invalid rows (row ${first.row}: ${first.reason})`);
  }
  return { kind: 'ads', version: envelope.version, createdAt: envelope.createdAt, streamOffset: envelope.streamOffset, ads: feed.ads };
}

/** The fields every snapshot kind shares. */
export interface SnapshotHeader {
  readonly version: string;
  readonly createdAt: string;
  readonly streamOffset: string;
}

export function encodeEnvelope(h: SnapshotHeader & { kind: SnapshotKind }, data: unknown): Buffer {
  return Buffer.from(JSON.stringify({ kind: h.kind, version: h.version, createdAt: h.createdAt, streamOffset: h.streamOffset, data }));
}

/** Parses and checks the envelope; `data` is the kind's decoder's to validate. */
export function decodeEnvelope(bytes: Uint8Array, kind: SnapshotKind): SnapshotHeader & { data: unknown } {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new SnapshotCorruptError(`snapshot is not valid JSON: ${(err as Error).message}`);
  }
  const d = doc as Record<string, unknown> | null;
  if (typeof d !== 'object' || d === null) throw new SnapshotCorruptError('snapshot is not an object');
  if (d.kind !== kind) throw new SnapshotCorruptError(`snapshot kind is ${JSON.stringify(d.kind)}, expected "${kind}"`);
  for (const field of ['version', 'createdAt', 'streamOffset'] as const) {
    if (typeof d[field] !== 'string' || d[field] === '') throw new SnapshotCorruptError(`snapshot ${field} is missing`);
  }
  return { version: d.version as string, createdAt: d.createdAt as string, streamOffset: d.streamOffset as string, data: d.data };
}

function toRow(ad: Ad): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: ad.id,
    video_url: ad.videoUrl,
    country: ad.country,
    lang: ad.lang,
    start_hour: ad.startHour,
    end_hour: ad.endHour,
  };
  if (ad.weight !== 1) row.weight = ad.weight;
  // Creative fields only when the feed gave them: a feed without them hashes as it did before.
  if (ad.duration !== undefined) row.duration = ad.duration;
  if (ad.mime !== undefined) row.mime = ad.mime;
  if (ad.width !== undefined) row.width = ad.width;
  if (ad.height !== undefined) row.height = ad.height;
  if (ad.bitrate !== undefined) row.bitrate = ad.bitrate;
  if (ad.clickUrl !== undefined) row.click_url = ad.clickUrl;
  if (ad.title !== undefined) row.title = ad.title;
  // Campaign fields likewise, in the feed's form, so decoding re-validates them as the feed did.
  if (ad.campaignId !== undefined) row.campaign_id = ad.campaignId;
  if (ad.priority !== undefined) row.priority = ad.priority;
  if (ad.house !== undefined) row.house = true;
  if (ad.startsAt !== undefined) row.starts_at = writeInstant(ad.startsAt);
  if (ad.endsAt !== undefined) row.ends_at = writeInstant(ad.endsAt);
  if (ad.weekdays !== undefined) row.weekdays = writeWeekdays(ad.weekdays);
  if (ad.timezone !== undefined) row.timezone = ad.timezone;
  if (ad.platforms !== undefined) row.platforms = writePlatforms(ad.platforms);
  if (ad.kv !== undefined) row.kv = ad.kv;
  if (ad.frequencyCap !== undefined) row.frequency_cap = ad.frequencyCap;
  if (ad.campaignFrequencyCap !== undefined) row.campaign_frequency_cap = ad.campaignFrequencyCap;
  return row;
}
