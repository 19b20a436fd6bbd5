// POST /games (admin) and GET /games (game) — README "Games and blacklist". A game's id is
// decided by the fold of the event stream (creation order), identically on every engine, so the
// engine appends the creation and answers from the fold of its own event: 201 with the id, or 409
// when an earlier event (on any engine) took the name.

import { admit } from '../http/admit.js';
import { gameCreated } from '../../core/domain/stream/events.js';
import { normaliseGameName } from '../../core/domain/stream/report-rules.js';
import { stringField } from '../../core/domain/fields.js';
import { InputError, errorBody } from '../../core/errors.js';
import { STATUS_200, STATUS_201, sendJson, type Handler, sendError } from '../../core/runtime/respond.js';
import { QueryReader, badParamBodies } from '../http/query.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';
import { FOLD_WAIT_MS, STREAM_LOADING, writeRoute } from './write-route.js';

export function createGame(deps: RouteDeps): Handler {
  return writeRoute(deps, 'games', 'admin', async (body, _pathId, idem) => {
    const name = normaliseGameName(stringField(body, 'name'));
    if (name === null) throw new InputError('bad_body', 'name must not be empty (at most 200 characters)');
    if (deps.stream.blacklist.gameByName(name) !== undefined) return { error: 'duplicate_game' };
    if (deps.events === null) return { error: 'store_unavailable' };
    const id = await deps.events.append(gameCreated({ name, idem }));
    const outcome = await deps.stream.outcome(id, FOLD_WAIT_MS);
    if (outcome === null) return { error: 'duplicate_game', event: id };
    const game = typeof outcome === 'object' ? outcome : deps.stream.blacklist.gameByName(name);
    if (game === undefined) return { error: 'store_unavailable', message: 'the game was recorded but is not visible yet; see GET /games shortly', event: id };
    return { status: STATUS_201, body: JSON.stringify(game), event: id };
  });
}

export function listGames(deps: RouteDeps): Handler {
  const { stream, metrics, state } = deps;
  const query = new QueryReader([{ name: 'api_key', maxLength: 256 }]);
  const route = routeIndex.games;
  const loading = errorBody('not_ready', STREAM_LOADING);
  const badParam = badParamBodies(query);
  return (res, req) => {
    const startedAt = performance.now();
    if (!query.read(rawQuery(req))) {
      sendError(res, 'bad_param', state.draining, badParam(query.problemParam, query.problem));
      return metrics.record(route, statusIndex['400'], startedAt);
    }
    if (!admit(deps, res, req, query.values[0], 'game', route, startedAt, state.draining)) return;
    if (!stream.caughtUp) {
      sendError(res, 'not_ready', state.draining, loading);
      return metrics.record(route, statusIndex['503'], startedAt);
    }
    sendJson(res, STATUS_200, JSON.stringify(stream.blacklist.games), state.draining);
    metrics.record(route, statusIndex['200'], startedAt);
  };
}
