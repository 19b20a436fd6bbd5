// GET /ad_request?country=us&lang=eng[&player_id=…] — the hot path (docs/architecture.md
// "A request's path"). Synchronous from first line to last: read the query and headers, check the key, look the market
// up in the current index, write pre-serialised bytes. No await, so no onAborted or cork is needed,
// and no per-request object is built (docs/conventions.md "Hot path"): the query reader and error bodies are made once, here.

import { admit } from '../http/admit.js';
import { errorBody } from '../../core/errors.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { utcHour } from '../decision/hours.js';
import { countryCode, langCode, marketKey } from '../decision/market.js';
import { QueryProblem, QueryReader, badParamBodies, type ParamSpec } from '../http/query.js';
import { sendError, sendOk, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';

const COUNTRY = 0;
const LANG = 1;
const PLAYER = 2;
const API_KEY = 3;
const ROUTE = routeIndex.ad_request;
const S200 = statusIndex['200'];
const S400 = statusIndex['400'];
const S404 = statusIndex['404'];
const S503 = statusIndex['503'];

/** The parameters GET /ad_request reads, in the order of their slots above. */
export const AD_REQUEST_PARAMS: readonly ParamSpec[] = [
  // Generous caps: a wrong-length code gets the message that says what a code looks like.
  { name: 'country', maxLength: 32 },
  { name: 'lang', maxLength: 32 },
  { name: 'player_id', maxLength: 128 },
  { name: 'api_key', maxLength: 256 },
];
export const BAD_COUNTRY = errorBody('bad_param', 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"');
export const BAD_LANG = errorBody('bad_param', 'lang must be a 3-letter ISO 639-2 code, e.g. "eng"');

/** The GET /ad_request handler, built once per app. */
export function adRequest(deps: RouteDeps): Handler {
  const { holder, memory, clock, metrics, state } = deps;
  const query = new QueryReader(AD_REQUEST_PARAMS);
  const badParam = badParamBodies(query);

  return (res, req) => {
    const startedAt = performance.now();
    const close = state.draining;
    if (!query.read(rawQuery(req))) {
      sendError(res, 'bad_param', close, badParam(query.problemParam, query.problem));
      return metrics.record(ROUTE, S400, startedAt);
    }
    const values = query.values;
    if (!admit(deps, res, req, values[API_KEY], 'game', ROUTE, startedAt, close)) return;
    const countryRaw = values[COUNTRY];
    const langRaw = values[LANG];
    if (countryRaw === undefined || langRaw === undefined) {
      sendError(res, 'bad_param', close, badParam(countryRaw === undefined ? COUNTRY : LANG, QueryProblem.Missing));
      return metrics.record(ROUTE, S400, startedAt);
    }
    const country = countryCode(countryRaw);
    const lang = langCode(langRaw);
    if (country < 0 || lang < 0) {
      sendError(res, 'bad_param', close, country < 0 ? BAD_COUNTRY : BAD_LANG);
      return metrics.record(ROUTE, S400, startedAt);
    }
    const index = holder.ads;
    if (index === null) {
      sendError(res, 'not_ready', close);
      return metrics.record(ROUTE, S503, startedAt);
    }
    const body = index.next(marketKey(country, lang), utcHour(clock.now()), memory, values[PLAYER] ?? null);
    if (body === null) {
      sendError(res, 'no_ad', close);
      return metrics.record(ROUTE, S404, startedAt);
    }
    sendOk(res, body, close);
    metrics.record(ROUTE, S200, startedAt);
  };
}
