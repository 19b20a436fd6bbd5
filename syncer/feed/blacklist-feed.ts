// The optional blacklist feed (BLACKLIST_FEED_URL): a JSON array, or JSON lines, of
// `{game_id or game_name, email, reason, reported_at, expires_at?}`. Validated row by row like the campaign
// feed: a bad row is dropped with a reason, counted and sampled for the log; only a body that is
// neither a JSON array nor JSON lines is refused whole. Rows go through the same input rules as
// POST /blacklist (core/domain/stream/report-rules.ts). Each valid row gets a key from its content, so a row pulled again
// (every SYNC_SCHEDULE tick) is recognised and merged once.

import { createHash } from 'node:crypto';
import type { PlayerReported } from '../../core/domain/stream/events.js';
import { normaliseEmail, normaliseGameName, normaliseReason } from '../../core/domain/stream/report-rules.js';
import type { BlacklistIndex } from '../../core/domain/stream/blacklist-index.js';
import { NOT_JSON, splitFeedRows } from './feed-rows.js';

/** Why a row was dropped. A closed set: it is a metric label. */
export const blacklistRejectReasons = [
  'not_json',
  'not_an_object',
  'missing_game',
  'unknown_game',
  'bad_email',
  'bad_reason',
  'bad_reported_at',
  'reported_at_in_future',
  'bad_expires_at',
  'duplicate_row',
] as const;
export type BlacklistRejectReason = (typeof blacklistRejectReasons)[number];

/** A feed row as an event: it always carries its key. */
export type FeedReport = Omit<PlayerReported, 'idem'> & { feed_key: string };

/** Clock skew allowed between a feed's reported_at and ours. */
const FUTURE_SKEW_MS = 5 * 60_000;
const MAX_SAMPLES = 100;

export interface BlacklistFeedValidation {
  /** Valid rows in feed order, each with its feed_key. */
  readonly reports: FeedReport[];
  readonly rejectedByReason: Record<BlacklistRejectReason, number>;
  readonly rejectedTotal: number;
  /** The first rows dropped (position in the feed, 0-based, and why), for the log. */
  readonly rejectedSamples: { row: number; reason: BlacklistRejectReason }[];
}

/** `games` resolves game_id and game_name; `nowMs` bounds reported_at. */
export function parseBlacklistFeed(text: string, games: Pick<BlacklistIndex, 'gameById' | 'gameByName'>, nowMs: number): BlacklistFeedValidation {
  const rows = splitFeedRows(text, 'blacklist feed');
  const rejectedByReason = Object.fromEntries(blacklistRejectReasons.map((r) => [r, 0])) as Record<BlacklistRejectReason, number>;
  const rejectedSamples: { row: number; reason: BlacklistRejectReason }[] = [];
  const reports: FeedReport[] = [];
  const seen = new Set<string>();
  rows.forEach((raw, row) => {
    const result = validateRow(raw, games, nowMs);
    const reason = typeof result === 'string' ? result : seen.has(result.feed_key) ? 'duplicate_row' : null;
    if (reason !== null) {
      rejectedByReason[reason]++;
      if (rejectedSamples.length < MAX_SAMPLES) rejectedSamples.push({ row, reason });
      return;
    }
    const report = result as FeedReport;
    seen.add(report.feed_key);
    reports.push(report);
  });
  const rejectedTotal = Object.values(rejectedByReason).reduce((a, b) => a + b, 0);
  return { reports, rejectedByReason, rejectedTotal, rejectedSamples };
}


function validateRow(raw: unknown, games: Pick<BlacklistIndex, 'gameById' | 'gameByName'>, nowMs: number): FeedReport | BlacklistRejectReason {
  if (raw === NOT_JSON) return 'not_json';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not_an_object';
  const r = raw as Record<string, unknown>;
  let gameId: number | undefined;
  if (r.game_id !== undefined && r.game_id !== null) {
    if (!Number.isSafeInteger(r.game_id)) return 'missing_game';
    gameId = games.gameById(r.game_id as number)?.id;
  } else if (typeof r.game_name === 'string') {
    const name = normaliseGameName(r.game_name);
    if (name === null) return 'missing_game';
    gameId = games.gameByName(name)?.id;
  } else {
    return 'missing_game';
  }
  if (gameId === undefined) return 'unknown_game';
  const email = typeof r.email === 'string' ? normaliseEmail(r.email) : null;
  if (email === null) return 'bad_email';
  const reason = typeof r.reason === 'string' ? normaliseReason(r.reason) : null;
  if (reason === null) return 'bad_reason';
  const at = reportedAt(r.reported_at);
  if (at === null) return 'bad_reported_at';
  if (at > nowMs + FUTURE_SKEW_MS) return 'reported_at_in_future';
  const expires = r.expires_at === undefined || r.expires_at === null ? 0 : reportedAt(r.expires_at);
  if (expires === null || (expires !== 0 && expires <= at)) return 'bad_expires_at';
  // A row without expires_at keeps the key it had before expiry existed (rows already merged stay merged).
  const content = `${gameId}\n${email}\n${reason}\n${at}${expires === 0 ? '' : `\n${expires}`}`;
  const feedKey = createHash('sha256').update(content).digest('base64url').slice(0, 22);
  const report: FeedReport = { game_id: gameId, email, reason, reported_at: at, feed_key: feedKey };
  if (expires !== 0) report.expires_at = expires;
  return report;
}

/** An ISO-8601 date-time with its zone (or a date, taken as UTC midnight), or integer ms since the epoch. */
function reportedAt(v: unknown): number | null {
  if (Number.isSafeInteger(v) && (v as number) >= 0) return v as number;
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}
