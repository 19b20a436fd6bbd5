// POST /blacklist (report a player), DELETE /blacklist (revoke one game's reports), DELETE /players
// (erase an email) and GET or POST /blacklist/check (how badly is this player banned, over every
// game or one; one player or up to MAX_BATCH), README "Games and blacklist", "Ban lifecycle" and
// "Erasure". Reports are appended to the event log and answered 201 once durable; a revocation or
// an erasure is answered once this server has folded it, so a check here right after sees it.
// Checks are answered from this server's folded index and its own reports on their way to the fold
// (OwnWrites), never from a store.

import { admit } from '../http/admit.js';
import { errorBody, InputError } from '../../core/errors.js';
import { playerErased, playerReported, reportAnswer, reportsRevoked, type PlayerReported } from '../../core/domain/stream/events.js';
import { readInstant } from '../../core/domain/ads/campaign.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { EMAIL_MAX_LENGTH, normaliseEmail, normaliseReason } from '../../core/domain/stream/report-rules.js';
import { idField, parseId, stringField } from '../../core/domain/fields.js';
import { QueryProblem, QueryReader, badParamBodies, type ParamSpec } from '../http/query.js';
import { STATUS_200, STATUS_201, sendError, sendOk, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import { ALL_GAMES, type BanCheck } from '../../core/domain/stream/blacklist-index.js';
import type { RouteDeps } from './route-deps.js';
import { FOLD_WAIT_MS, STREAM_LOADING, writeRoute, type WriteResult } from './write-route.js';

export function reportPlayer(deps: RouteDeps): Handler {
  return writeRoute(deps, 'blacklist', 'game', async (body, _pathId, idem) => {
    const gameId = idField(body, 'game_id');
    const email = normaliseEmail(stringField(body, 'email'));
    if (email === null) throw new InputError('bad_body', 'email is not a valid email address');
    const reason = normaliseReason(stringField(body, 'reason'));
    if (reason === null) throw new InputError('bad_body', 'reason must be a lower_snake token such as "cheating"');
    const now = deps.clock.now();
    const expiresAt = readInstant((body as Record<string, unknown>).expires_at);
    if (expiresAt === null) throw new InputError('bad_body', 'expires_at must be an ISO-8601 instant with its offset, such as 2027-01-31T00:00:00Z, or null');
    if (expiresAt !== undefined && expiresAt <= now) throw new InputError('bad_body', 'expires_at is not in the future');
    if (deps.stream.blacklist.gameById(gameId) === undefined) return { error: 'unknown_game' };
    if (deps.events === null) return { error: 'store_unavailable' };
    const report: PlayerReported = { game_id: gameId, email, reason, reported_at: now };
    if (expiresAt !== undefined) report.expires_at = expiresAt;
    // Durable once append resolves, and seen by a check here from then on (StreamHolder.ownWriter).
    const id = await deps.events.append(playerReported({ ...report, idem }));
    return { status: STATUS_201, body: reportAnswer(report), event: id };
  });
}

/** The query of DELETE /blacklist and /players: the email (as GET /blacklist/check reads it), the game. */
const EMAIL_PARAM: ParamSpec = { name: 'email', maxLength: EMAIL_MAX_LENGTH, literalPlus: true };
const GAME_PARAM: ParamSpec = { name: 'game_id', maxLength: 10 };
const GAME_MESSAGE = 'game_id must be a positive integer';

function emailParam(raw: string | undefined): string {
  if (raw === undefined) throw new InputError('bad_param', 'email is missing');
  const email = normaliseEmail(raw);
  if (email === null) throw new InputError('bad_param', 'email is not a valid email address');
  return email;
}

/** The fold's count of reports removed by our own event, or the 503 when it has not come back in time. */
async function removedByFold(deps: RouteDeps, id: string): Promise<number | WriteResult> {
  const outcome = await deps.stream.outcome(id, FOLD_WAIT_MS);
  if (outcome === 'timeout') return { error: 'store_unavailable', message: 'recorded, but not folded here yet: it takes effect on every engine shortly' };
  return typeof outcome === 'number' ? outcome : 0;
}

/**
 * DELETE /blacklist?email=&game_id= (admin): revokes every report of the game on the email, on
 * every engine (README "Ban lifecycle"). 200 with the number revoked, 0 included: the end state is
 * the one asked for either way.
 */
export function revokeReports(deps: RouteDeps): Handler {
  return writeRoute(
    deps,
    'blacklist',
    'admin',
    async (_body, _id, _idem, [rawEmail, rawGame]) => {
      const email = emailParam(rawEmail);
      if (rawGame === undefined) throw new InputError('bad_param', 'game_id is missing');
      const gameId = parseId(rawGame);
      if (gameId === null) throw new InputError('bad_param', GAME_MESSAGE);
      if (deps.stream.blacklist.gameById(gameId) === undefined) return { error: 'unknown_game' };
      if (deps.events === null) return { error: 'store_unavailable' };
      const removed = await removedByFold(deps, await deps.events.append(reportsRevoked({ game_id: gameId, email })));
      if (typeof removed !== 'number') return removed;
      return { status: STATUS_200, body: JSON.stringify({ game_id: gameId, email, reports_revoked: removed }) };
    },
    { params: [EMAIL_PARAM, GAME_PARAM], bodyless: true },
  );
}

/**
 * DELETE /players?email= (admin): erases the email (README "Erasure"): its reports leave every
 * engine's fold now, and the stored copies at the next compactions. 200 once folded here.
 */
export function erasePlayer(deps: RouteDeps): Handler {
  return writeRoute(
    deps,
    'players',
    'admin',
    async (_body, _id, _idem, [rawEmail]) => {
      const email = emailParam(rawEmail);
      if (deps.events === null) return { error: 'store_unavailable' };
      const removed = await removedByFold(deps, await deps.events.append(playerErased({ email })));
      if (typeof removed !== 'number') return removed;
      return { status: STATUS_200, body: JSON.stringify({ email, reports_erased: removed }) };
    },
    { params: [EMAIL_PARAM], bodyless: true },
  );
}

/** The most emails one POST /blacklist/check takes. */
export const MAX_BATCH = 100;

/**
 * POST /blacklist/check (game): `{"emails": [...], "game_id"?: n}` → `{"results": [{"email",
 * "ban": {...} | null}]}`, in the order asked, each email normalised. One bad email refuses the
 * whole call, naming it: a batch is checked whole or not at all.
 */
export function checkPlayers(deps: RouteDeps): Handler {
  return writeRoute(deps, 'blacklist_check_batch', 'game', async (body) => {
    const emails = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).emails : undefined;
    if (!Array.isArray(emails) || emails.length === 0 || emails.length > MAX_BATCH) {
      throw new InputError('bad_body', `emails is required: an array of 1 to ${MAX_BATCH} email addresses`);
    }
    const normalised = emails.map((raw, i) => {
      const email = typeof raw === 'string' ? normaliseEmail(raw) : null;
      if (email === null) throw new InputError('bad_body', `emails[${i}] is not a valid email address`);
      return email;
    });
    const rawGame = (body as Record<string, unknown>).game_id;
    let gameId = ALL_GAMES;
    if (rawGame !== undefined && rawGame !== null) {
      gameId = idField(body, 'game_id');
      if (deps.stream.blacklist.gameById(gameId) === undefined) return { error: 'unknown_game' };
    }
    const now = deps.clock.now();
    const results = normalised.map((email) => `{"email":${JSON.stringify(email)},"ban":${banJson(deps.stream.check(email, now, gameId))}}`);
    return { status: STATUS_200, body: `{"results":[${results.join(',')}]}` };
  });
}

const banJson = (r: BanCheck | null): string => (r === null ? 'null' : checkBody(r));

const EMAIL = 0;
const API_KEY = 1;
const GAME = 2;

/** The parameters GET /blacklist/check reads, in the order of their slots above. */
export const CHECK_PARAMS: readonly ParamSpec[] = [
  // A '+' in an email is a plus: a space is never part of one (README "Games and blacklist").
  EMAIL_PARAM,
  { name: 'api_key', maxLength: 256 },
  GAME_PARAM,
];
export const BAD_EMAIL = errorBody('bad_param', 'email is not a valid email address');
const BAD_GAME = errorBody('bad_param', GAME_MESSAGE);

export function checkPlayer(deps: RouteDeps): Handler {
  const { stream, clock, metrics, state } = deps;
  const query = new QueryReader(CHECK_PARAMS);
  const badParam = badParamBodies(query);
  const route = routeIndex.blacklist_check;
  const loading = errorBody('not_ready', STREAM_LOADING);
  const bodies = new CheckBodies();
  return (res, req) => {
    const startedAt = performance.now();
    const close = state.draining;
    if (!query.read(rawQuery(req))) {
      sendError(res, 'bad_param', close, badParam(query.problemParam, query.problem));
      return metrics.record(route, statusIndex['400'], startedAt);
    }
    const values = query.values;
    if (!admit(deps, res, req, values[API_KEY], 'game', route, startedAt, close)) return;
    if (!stream.caughtUp) {
      sendError(res, 'not_ready', close, loading);
      return metrics.record(route, statusIndex['503'], startedAt);
    }
    const raw = values[EMAIL];
    if (raw === undefined) {
      sendError(res, 'bad_param', close, badParam(EMAIL, QueryProblem.Missing));
      return metrics.record(route, statusIndex['400'], startedAt);
    }
    const email = normaliseEmail(raw);
    if (email === null) {
      sendError(res, 'bad_param', close, BAD_EMAIL);
      return metrics.record(route, statusIndex['400'], startedAt);
    }
    let gameId = ALL_GAMES;
    const rawGame = values[GAME];
    if (rawGame !== undefined) {
      const id = parseId(rawGame);
      if (id === null) {
        sendError(res, 'bad_param', close, BAD_GAME);
        return metrics.record(route, statusIndex['400'], startedAt);
      }
      if (stream.blacklist.gameById(id) === undefined) {
        sendError(res, 'unknown_game', close);
        return metrics.record(route, statusIndex['404'], startedAt);
      }
      gameId = id;
    }
    const result = stream.check(email, clock.now(), gameId);
    if (result === null) {
      sendError(res, 'not_reported', close);
      return metrics.record(route, statusIndex['404'], startedAt);
    }
    sendOk(res, bodies.of(result), close);
    metrics.record(route, statusIndex['200'], startedAt);
  };
}

/** Limits of CheckBodies: reasons kept, and the counts below which a body is kept. */
const BODY_REASONS = 256;
const BODY_GAMES = 4;
const BODY_RECENT = 16;

/**
 * 200 bodies as bytes, kept by reason and small counts (most checks: one game, a few reports), so a
 * check hands uWS a ready Buffer. A string body is flattened and converted to UTF-8 on every end():
 * with building it, ~185 ns more than a Buffer, measured inside a uWS handler. Bounded: at most
 * BODY_REASONS reasons × BODY_GAMES × BODY_RECENT bodies (~3 MB at worst); anything else is built
 * by template each time, as before. Same bytes either way (checkBody).
 */
export class CheckBodies {
  private readonly byReason = new Map<string, (Buffer | undefined)[]>();

  of(r: BanCheck): Buffer | string {
    const games = r.number_of_games_reported;
    const recent = r.times_reported_last_90_days;
    if (games > BODY_GAMES || recent >= BODY_RECENT) return checkBody(r);
    let kept = this.byReason.get(r.most_common_reason);
    if (kept === undefined) {
      if (this.byReason.size >= BODY_REASONS) return checkBody(r);
      kept = new Array<Buffer | undefined>((BODY_GAMES + 1) * BODY_RECENT).fill(undefined);
      this.byReason.set(r.most_common_reason, kept);
    }
    const slot = games * BODY_RECENT + recent;
    return (kept[slot] ??= Buffer.from(checkBody(r)));
  }
}

/**
 * The 200 body, by template: a reason is a validated lower_snake token and the counts are integers,
 * so nothing needs escaping, and this costs ~50 ns where JSON.stringify measured ~375 ns — the
 * largest JS cost of a check. Key order and bytes are JSON.stringify's (a test compares them).
 */
export function checkBody(r: BanCheck): string {
  return `{"most_common_reason":"${r.most_common_reason}","number_of_games_reported":${r.number_of_games_reported},"times_reported_last_90_days":${r.times_reported_last_90_days}}`;
}
