// The door of a keyed read answered from the stream's fold (GET /topics, /topics/{id}, /votes/{id}):
// the query (400 naming the parameter), the key, its scope and rate (admit), and the stream
// replayed once (503 until then: an answer would be incomplete). It answers each refusal itself
// and counts it. Synchronous, so req is still alive (docs/conventions.md "uWS rules that bite").

import { errorBody } from '../../core/errors.js';
import type { Scope } from '../../core/domain/api-keys.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { admit } from '../http/admit.js';
import { QueryReader, badParamBodies, type ParamSpec } from '../http/query.js';
import { sendError, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex, type Route } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';
import { STREAM_LOADING } from './write-route.js';

/** Reads `params` (the key as `api_key` is added last); null when it answered a refusal. */
export type ReadDoor = (res: Parameters<Handler>[0], req: Parameters<Handler>[1]) => { startedAt: number; values: readonly (string | undefined)[] } | null;

/**
 * `validate` checks the values of `params` beyond the reader's rules, before the key: a 400 body
 * naming the problem, or null when they are fine.
 */
export function streamReadDoor(
  deps: RouteDeps,
  route: Route,
  params: readonly ParamSpec[],
  validate: (values: readonly (string | undefined)[]) => Buffer | null = () => null,
  scope: Scope = 'game',
): ReadDoor {
  const { metrics, state } = deps;
  const slot = routeIndex[route];
  const query = new QueryReader([...params, { name: 'api_key', maxLength: 256 }]);
  const apiKey = params.length;
  const badParam = badParamBodies(query);
  const loading = errorBody('not_ready', STREAM_LOADING);
  return (res, req) => {
    const startedAt = performance.now();
    if (!query.read(rawQuery(req))) {
      sendError(res, 'bad_param', state.draining, badParam(query.problemParam, query.problem));
      metrics.record(slot, statusIndex['400'], startedAt);
      return null;
    }
    const invalid = validate(query.values);
    if (invalid !== null) {
      sendError(res, 'bad_param', state.draining, invalid);
      metrics.record(slot, statusIndex['400'], startedAt);
      return null;
    }
    if (!admit(deps, res, req, query.values[apiKey], scope, slot, startedAt, state.draining)) return null;
    if (!deps.stream.caughtUp) {
      sendError(res, 'not_ready', state.draining, loading);
      metrics.record(slot, statusIndex['503'], startedAt);
      return null;
    }
    return { startedAt, values: query.values };
  };
}
