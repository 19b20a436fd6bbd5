// `npm run feed:lint -- <file|url> [--json]`: what the syncer would make of a campaign feed, for the
// people who write it. Reads the feed with the syncer's FeedClient (http(s)://, file://; a plain path
// is read as a file) and judges it with the syncer's parseFeed: no rule has a second copy here, this
// file only explains them. Prints every row's verdict, the count of each reason found, the totals,
// and whether the syncer would take the feed.
// Exit codes: 0 the syncer would accept the feed (a JSON object with an `ads` array and at least one
// valid row), 1 it would refuse it or it cannot be read, 2 a usage error.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  MAX_CAMPAIGN_ID_LENGTH,
  MAX_CAP_COUNT,
  MAX_CAP_SECONDS,
  MAX_KV_KEY_LENGTH,
  MAX_KV_KEYS,
  MAX_KV_LENGTH,
  MAX_KV_VALUES,
  MAX_PRIORITY,
  platforms,
  weekdayNames,
} from '../core/domain/ads/campaign.js';
import {
  MAX_BITRATE,
  MAX_DIMENSION,
  MAX_DURATION_S,
  MAX_ID_LENGTH,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
  MAX_WEIGHT,
  parseFeed,
  rejectReasons,
  type Ad,
  type RejectedRow,
  type RejectReason,
} from '../core/domain/ads/feed.js';
import { ArcadeError, FeedFetchError, FeedRejectedError } from '../core/errors.js';
import { DEFAULT_FEED_MAX_BYTES, DEFAULT_FEED_TIMEOUT_MS } from '../core/runtime/config.js';
import { redactUrls } from '../core/runtime/logger.js';
import { FeedClient } from './feed/feed-client.js';

const USAGE = 'usage: npm run feed:lint -- <file|url> [--json]';

const CAP = `{"count": 1 to ${MAX_CAP_COUNT}, "seconds": 1 to ${MAX_CAP_SECONDS}}, both integers, nothing else`;
const instant = (field: string, example: string): string =>
  `${field} must be an ISO-8601 date and time with its offset, such as ${example}, on a day that exists, in years 0000 to 9999`;

/** What each reason means, in one line for people. Typed by reason: a new reason cannot be left out. */
const reasonTexts: Record<RejectReason, string> = {
  not_an_object: 'each entry of "ads" must be a JSON object',
  bad_id: `id must be a string of 1 to ${MAX_ID_LENGTH} characters, not blank`,
  bad_video_url: `video_url must be an http:// or https:// URL of at most ${MAX_URL_LENGTH} characters`,
  bad_country: 'country must be a 2-letter ISO 3166-1 alpha-2 code such as US',
  bad_lang: 'lang must be a 3-letter ISO 639-2 code such as eng',
  bad_start_hour: 'start_hour must be an integer hour from 0 to 23',
  bad_end_hour: 'end_hour must be an integer hour from 0 to 23',
  bad_weight: `weight must be an integer from 1 to ${MAX_WEIGHT}`,
  bad_duration: `duration must be a number of seconds above 0 and at most ${MAX_DURATION_S}`,
  bad_mime: 'mime must be a video/… media type without parameters, such as video/mp4',
  bad_width: `width must be an integer number of pixels from 1 to ${MAX_DIMENSION}`,
  bad_height: `height must be an integer number of pixels from 1 to ${MAX_DIMENSION}`,
  bad_bitrate: `bitrate must be an integer number of Kbit/s from 1 to ${MAX_BITRATE}`,
  bad_click_url: `click_url must be an http:// or https:// URL of at most ${MAX_URL_LENGTH} characters`,
  bad_title: `title must be a string of 1 to ${MAX_TITLE_LENGTH} characters, not blank`,
  bad_campaign_id: `campaign_id must be a string of 1 to ${MAX_CAMPAIGN_ID_LENGTH} characters, not blank`,
  bad_priority: `priority must be an integer from 0 to ${MAX_PRIORITY}`,
  bad_house: 'house must be true or false',
  bad_starts_at: instant('starts_at', '2026-12-01T00:00:00-05:00 or 2026-12-01T05:00:00Z'),
  bad_ends_at: `${instant('ends_at', '2026-12-31T23:59:59Z')}, and later than starts_at`,
  bad_weekdays: `weekdays must be a non-empty list of distinct day names from ${weekdayNames.join(', ')}`,
  bad_timezone: 'timezone must be an IANA zone such as Europe/Paris',
  bad_platforms: `platforms must be a non-empty list of distinct names from ${platforms.join(', ')}`,
  bad_kv:
    `kv must be an object of 1 to ${MAX_KV_KEYS} keys (lower-case letters, digits and _, at most ${MAX_KV_KEY_LENGTH} characters), ` +
    `each a list of 1 to ${MAX_KV_VALUES} distinct strings of printable ASCII of at most ${MAX_KV_LENGTH} characters`,
  bad_frequency_cap: `frequency_cap must be ${CAP}`,
  bad_campaign_frequency_cap: `campaign_frequency_cap needs a campaign_id on the row, and must be ${CAP}`,
  duplicate_id: 'a later valid row has the same id, and the last one wins',
};

/** One row's verdict: `reason` null when the syncer keeps it; `winner` the row that replaced a duplicate. */
interface Verdict {
  readonly row: number;
  readonly id: string | null;
  readonly reason: RejectReason | null;
  readonly winner?: number;
}

interface Lint {
  readonly verdicts: Verdict[];
  /** Only the reasons found, in the order of rejectReasons. */
  readonly rejectedByReason: Partial<Record<RejectReason, number>>;
  readonly accepted: number;
  readonly rejected: number;
  /** Why the syncer would take nothing from this feed; null when it would take it. */
  readonly refused: string | null;
}

/** The feed judged by parseFeed, which tells every dropped row, so every row gets its verdict. */
function lint(text: string): Lint {
  const dropped: RejectedRow[] = [];
  let ads: Ad[] = [];
  let refused: string | null = null;
  try {
    ads = parseFeed(text, (r) => dropped.push(r)).ads;
  } catch (err) {
    if (!(err instanceof FeedRejectedError)) throw err;
    refused = err.message;
  }
  // Accepted rows are the rows not dropped, in feed order, which is the order of `ads`.
  const reasons = new Map<number, RejectedRow>();
  for (const r of dropped) reasons.set(r.row, r);
  const verdicts: Verdict[] = [];
  const winners = new Map<string, number>();
  let next = 0;
  for (let row = 0; row < ads.length + dropped.length; row++) {
    const r = reasons.get(row);
    if (r !== undefined) {
      verdicts.push({ row, id: r.id, reason: r.reason });
    } else {
      const id = ads[next++]!.id;
      winners.set(id, row);
      verdicts.push({ row, id, reason: null });
    }
  }
  for (const [i, v] of verdicts.entries()) {
    const winner = v.reason === 'duplicate_id' && v.id !== null ? winners.get(v.id) : undefined;
    if (winner !== undefined) verdicts[i] = { ...v, winner };
  }
  const counts = new Map<RejectReason, number>();
  for (const r of dropped) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  const rejectedByReason: Partial<Record<RejectReason, number>> = {};
  for (const reason of rejectReasons) if (counts.has(reason)) rejectedByReason[reason] = counts.get(reason)!;
  return { verdicts, rejectedByReason, accepted: ads.length, rejected: dropped.length, refused };
}

/** Plain text for a terminal or a CI log. Ids are JSON strings: a feed's control characters stay escaped. */
function* textReport(source: string, l: Lint): Generator<string> {
  yield `feed ${source}`;
  if (l.refused !== null && l.verdicts.length === 0) {
    // Refused as a document (not JSON, no "ads" array, no rows): there are no rows to judge.
    yield `the syncer would refuse this feed: ${l.refused}`;
    return;
  }
  yield `${l.verdicts.length} rows, numbered from 0 as in the syncer's logs:`;
  for (const v of l.verdicts) {
    const id = v.id === null ? '(no id)' : JSON.stringify(v.id);
    if (v.reason === null) {
      yield `row ${v.row} ${id}: ok`;
    } else {
      const won = v.winner === undefined ? '' : ` (row ${v.winner} wins)`;
      yield `row ${v.row} ${id}: ${v.reason}${won}: ${reasonTexts[v.reason]}`;
    }
  }
  const found = Object.entries(l.rejectedByReason);
  if (found.length > 0) {
    yield 'rejected by reason:';
    const width = Math.max(...found.map(([reason]) => reason.length));
    for (const [reason, n] of found) yield `  ${reason.padEnd(width)}  ${n}`;
  }
  yield `accepted ${l.accepted}, rejected ${l.rejected}`;
  yield l.refused === null ? 'the syncer would accept this feed' : `the syncer would refuse this feed: ${l.refused}`;
}

function jsonReport(source: string, l: Lint): string {
  return JSON.stringify({
    feed: source,
    accepted_feed: l.refused === null,
    refused: l.refused,
    accepted: l.accepted,
    rejected: l.rejected,
    rejected_by_reason: l.rejectedByReason,
    rows: l.verdicts.map((v) => ({ row: v.row, id: v.id, verdict: v.reason ?? 'ok', ...(v.winner === undefined ? {} : { winner: v.winner }) })),
  });
}

/** The URL the FeedClient reads: http(s):// and file:// as given, anything without a scheme as a path. */
function feedUrl(arg: string): string | null {
  if (/^(https?|file):/i.test(arg)) return URL.canParse(arg) ? new URL(arg).href : arg;
  // Another scheme (ftp://, s3://) is not a feed the syncer reads; a drive letter (C:\) is a path.
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(arg)) return null;
  return pathToFileURL(resolve(arg)).href;
}

/** Writes the lines in large pieces: a million rows, a million verdicts. Resolves once flushed. */
async function writeLines(lines: Iterable<string>): Promise<void> {
  let chunk = '';
  for (const line of lines) {
    chunk += line + '\n';
    if (chunk.length >= 1 << 16) {
      if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
      chunk = '';
    }
  }
  await new Promise<void>((r) => process.stdout.write(chunk, () => r()));
}

async function main(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const url = rest.length === 1 && !rest[0]!.startsWith('-') ? feedUrl(rest[0]!) : null;
  if (url === null) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const source = redactUrls(url);
  const client = new FeedClient(url, { timeoutMs: DEFAULT_FEED_TIMEOUT_MS, maxBytes: DEFAULT_FEED_MAX_BYTES });
  let text: string;
  try {
    const pull = await client.pull();
    // The client sends no validators on its first pull: a 304 cannot come back.
    if (!pull.changed) throw new FeedFetchError('feed answered 304 Not Modified to an unconditional request');
    text = pull.text;
  } catch (err) {
    const code = err instanceof ArcadeError ? `${err.code}: ` : '';
    process.stderr.write(`cannot read feed ${source}: ${code}${redactUrls((err as Error).message)}\n`);
    return 1;
  } finally {
    await client.close();
  }
  const result = lint(text);
  await writeLines(json ? [jsonReport(source, result)] : textReport(source, result));
  return result.refused === null ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`feed-lint failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
