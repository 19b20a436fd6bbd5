// The shared shape of a write route: key check (synchronous, R1), body read, validation, append to
// the event log, wait for our own event to be folded, answer. Everything after the first await goes
// through AsyncReply (onAborted registered first, corked writes). Errors end in the catalogue:
// BodyError → 400/413/415; anything else (the event log down) → 503 store_unavailable.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Scope } from '../core/api-keys.js';
import { Errors, type ErrorCode } from '../core/errors.js';
import { headerKey } from '../http/admit.js';
import { AuthResult } from '../http/auth.js';
import { BodyError, readJsonBody } from '../http/body.js';
import { QueryReader, problemText } from '../http/query.js';
import { rawQuery } from '../core/uws.js';
import { AsyncReply, type Handler } from '../http/respond.js';
import { routeIndex, statusIndex, type Route, type Status } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';

/** The 503 message while the event log has not been replayed yet (answers would be incomplete). */
export const BLACKLIST_LOADING = 'games and reports are still loading from the event log; retry shortly';

/** What the route's logic decided: a status line and JSON body, or a catalogue error. */
export type WriteResult = { status: Buffer; body: string } | { error: ErrorCode; message?: string };

export function writeRoute(deps: RouteDeps, route: Route, scope: Scope, handle: (body: unknown) => Promise<WriteResult>): Handler {
  const { auth, metrics } = deps;
  const routeSlot = routeIndex[route];
  // The key may come in the query, as the game-ban contract's clients send it.
  const query = new QueryReader([{ name: 'api_key', maxLength: 256 }]);
  return (res: HttpResponse, req: HttpRequest) => {
    const startedAt = performance.now();
    const reply = new AsyncReply(res);
    const finish = (statusLine: string) => metrics.record(routeSlot, statusIndex[statusLine.slice(0, 3) as Status], startedAt);
    if (!query.read(rawQuery(req))) {
      res.onData(() => {});
      reply.error('bad_param', `${query.problemParam < 0 ? '' : 'api_key '}${problemText[query.problem]}`);
      return finish(Errors.bad_param.status);
    }
    const key = query.values[0] ?? headerKey(req);
    const authResult = auth.check(key, scope);
    if (authResult !== AuthResult.Ok) {
      const code = authResult === AuthResult.WrongScope ? 'forbidden' : 'unauthorized';
      res.onData(() => {}); // read and drop the body: the connection stays usable
      reply.error(code);
      return finish(Errors[code].status);
    }
    const wait = deps.limiter?.take(key, startedAt) ?? 0;
    if (wait > 0) {
      res.onData(() => {});
      reply.rateLimited(wait);
      return finish(Errors.rate_limited.status);
    }
    if (!deps.blacklist.caughtUp) {
      res.onData(() => {});
      reply.error('not_ready', BLACKLIST_LOADING);
      return finish(Errors.not_ready.status);
    }
    readJsonBody(res, req, reply, deps.maxBodyBytes)
      .then(handle)
      .then(
        (r) => {
          if ('error' in r) {
            reply.error(r.error, r.message);
            finish(Errors[r.error].status);
          } else {
            reply.send(r.status, 'application/json', r.body);
            finish(r.status.toString('latin1'));
          }
        },
        (err: unknown) => {
          const code: ErrorCode = err instanceof BodyError ? err.code : 'store_unavailable';
          reply.error(code, err instanceof BodyError ? err.message : undefined);
          finish(Errors[code].status);
        },
      );
  };
}
