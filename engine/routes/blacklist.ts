// POST /blacklist (report a player) and GET /blacklist/check (how badly is this player banned),
// README "Games and blacklist". Reports are appended to the event log and answered 201 once
// durable; checks are answered from this server's folded index and its own reports on their way to
// the fold (OwnWrites), never from a store.

import { admit } from '../http/admit.js';
import { errorBody, InputError } from '../../core/errors.js';
import { playerReported } from '../../core/domain/stream/events.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { EMAIL_MAX_LENGTH, normaliseEmail, normaliseReason } from '../../core/domain/stream/report-rules.js';
import { idField, stringField } from '../../core/domain/fields.js';
import { QueryProblem, QueryReader, badParamBodies, type ParamSpec } from '../http/query.js';
import { STATUS_201, sendError, sendOk, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { BanCheck } from '../../core/domain/stream/blacklist-index.js';
import type { RouteDeps } from './route-deps.js';
import { STREAM_LOADING, writeRoute } from './write-route.js';

export function reportPlayer(deps: RouteDeps): Handler {
  return writeRoute(deps, 'blacklist', 'game', async (body, _pathId, idem) => {
    const gameId = idField(body, 'game_id');
    const email = normaliseEmail(stringField(body, 'email'));
    if (email === null) throw new InputError('bad_body', 'email is not a valid email address');
    const reason = normaliseReason(stringField(body, 'reason'));
    if (reason === null) throw new InputError('bad_body', 'reason must be a lower_snake token such as "cheating"');
    if (deps.stream.blacklist.gameById(gameId) === undefined) return { error: 'unknown_game' };
    if (deps.events === null) return { error: 'store_unavailable' };
    // Durable once append resolves, and seen by a check here from then on (StreamHolder.ownWriter).
    const id = await deps.events.append(playerReported({ game_id: gameId, email, reason, reported_at: deps.clock.now(), idem }));
    return { status: STATUS_201, body: JSON.stringify({ game_id: gameId, email, reason }), event: id };
  });
}

const EMAIL = 0;
const API_KEY = 1;

/** The parameters GET /blacklist/check reads, in the order of their slots above. */
export const CHECK_PARAMS: readonly ParamSpec[] = [
  // A '+' in an email is a plus: a space is never part of one (README "Games and blacklist").
  { name: 'email', maxLength: EMAIL_MAX_LENGTH, literalPlus: true },
  { name: 'api_key', maxLength: 256 },
];
export const BAD_EMAIL = errorBody('bad_param', 'email is not a valid email address');

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
    const result = stream.check(email, clock.now());
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
