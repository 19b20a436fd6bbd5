// The CORS door of the public app (README "Browser games (CORS)"), built only when CORS_ORIGINS is
// set: with it off, the app registers its handlers as they are and no request reads Origin.
// Each handler is wrapped once, at registration: the wrapper reads Origin (one getHeader, while req
// is alive) and marks the response with the allowed origin's bytes, or undefined, before the
// handler runs; core/runtime/respond.ts writes the headers on whatever the handler answers, now or
// after an await. OPTIONS on a public path is a preflight: answered 204 for an allowed origin asking
// for a method the path serves, without a key and outside the rate limit (browsers never send a key
// on a preflight), else the path's usual 405, without CORS headers.

import { ANY_ORIGIN } from '../../core/runtime/config.js';
import { allowList, httpMethod } from '../../core/runtime/uws.js';
import { markCors, sendMethodNotAllowed, sendPreflight, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex, type RequestMetrics } from '../metrics/request-metrics.js';
import type { ServerState } from './server-state.js';

const ORIGIN = Buffer.from('origin');
const REQUEST_METHOD = Buffer.from('access-control-request-method');
const ANY = Buffer.from(ANY_ORIGIN);
const PREFLIGHT = routeIndex.preflight;
const S204 = statusIndex['204'];
const S405 = statusIndex['405'];

export class CorsDoor {
  /** Origin as the browser sends it → the bytes answered in Access-Control-Allow-Origin. */
  private readonly allowed: ReadonlyMap<string, Buffer>;
  private readonly any: boolean;

  /** `origins`: CORS_ORIGINS as config.ts parsed it (lower-case origins, or `*` alone); not empty. */
  constructor(origins: readonly string[]) {
    this.any = origins.includes(ANY_ORIGIN);
    this.allowed = new Map(origins.map((o) => [o, Buffer.from(o)]));
  }

  /** What to answer a request with this Origin header ('' when it has none): undefined for no CORS headers. */
  answer(origin: string): Buffer | undefined {
    if (this.any) return origin === '' ? undefined : ANY;
    return this.allowed.get(origin);
  }

  /** `handler` behind the door: its every answer carries the CORS headers when the origin is allowed. */
  wrap(handler: Handler): Handler {
    return (res, req) => {
      markCors(res, this.answer(req.getHeader(ORIGIN)));
      handler(res, req);
    };
  }

  /**
   * OPTIONS on a path serving `methods` (as the route table lists them: lower-case, `del`). Counted under
   * the route `preflight`.
   */
  preflight({ metrics, state }: { metrics: RequestMetrics; state: ServerState }, methods: readonly string[]): Handler {
    const list = allowList(methods);
    const served = new Set(methods.map(httpMethod));
    return (res, req) => {
      const startedAt = performance.now();
      const origin = this.answer(req.getHeader(ORIGIN));
      // Methods are case-sensitive; browsers send the standard ones upper-case.
      if (origin !== undefined && served.has(req.getHeader(REQUEST_METHOD))) {
        sendPreflight(res, origin, list, state.draining);
        return metrics.record(PREFLIGHT, S204, startedAt);
      }
      sendMethodNotAllowed(res, list, state.draining);
      metrics.record(PREFLIGHT, S405, startedAt);
    };
  }
}
