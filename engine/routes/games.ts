// POST /games (admin) and GET /games (game) — README "Games and blacklist"; GET /games answers the
// whole list or a page of it, with an ETag (README "Pagination", "Caching"). A game's id is
// decided by the fold of the event stream (creation order), identically on every engine, so the
// engine appends the creation and answers from the fold of its own event: 201 with the id, or 409
// when an earlier event (on any engine) took the name.

import { gameCreated } from '../../core/domain/stream/events.js';
import { normaliseGameName } from '../../core/domain/stream/report-rules.js';
import { stringField } from '../../core/domain/fields.js';
import type { BlacklistIndex } from '../../core/domain/stream/blacklist-index.js';
import { InputError } from '../../core/errors.js';
import { STATUS_200, STATUS_201, type Handler } from '../../core/runtime/respond.js';
import { PRIVATE_REVALIDATE, sendConditional } from '../http/conditional.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import { ListBodies, PAGE_PARAMS, PageQuery } from './list-bodies.js';
import { streamReadDoor } from './read-door.js';
import type { RouteDeps } from './route-deps.js';
import { FOLD_WAIT_MS, writeRoute } from './write-route.js';

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
  const page = new PageQuery(0);
  const door = streamReadDoor(deps, 'games', PAGE_PARAMS, page.check);
  // Games are only ever added: their count is the list's revision.
  const bodies = new ListBodies<BlacklistIndex>(
    (games) => games.gameCount,
    (games, id) => JSON.stringify(games.gameById(id)),
  );
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const games = deps.stream.blacklist;
    const body = page.paged ? bodies.page(games, games.gameCount, page.after, page.limit) : bodies.all(games, games.gameCount);
    const notModified = sendConditional(res, req, STATUS_200, body, PRIVATE_REVALIDATE, deps.state.draining);
    deps.metrics.record(routeIndex.games, notModified ? statusIndex['304'] : statusIndex['200'], r.startedAt);
  };
}
