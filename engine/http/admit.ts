// The door every keyed synchronous handler goes through after reading its query: the key (from the
// query when it has one, else the headers — read only then, and `authorization` only when
// `x-api-key` is absent, each getHeader being a call into C++ that costs ~40-90 ns),
// its scope, and its rate. Answers 401/403/429 itself and counts them; returns whether to go on.
// Synchronous, so req is still alive (docs/conventions.md "uWS rules that bite").

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Scope } from '../../core/domain/api-keys.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import { statusIndex } from '../metrics/request-metrics.js';
import { AuthResult, Authenticator } from './auth.js';
import type { RateLimiter } from './rate-limit.js';
import { sendError, sendRateLimited } from '../../core/runtime/respond.js';

const S401 = statusIndex['401'];
const S403 = statusIndex['403'];
const S429 = statusIndex['429'];
// Header names as bytes: a JS string name is converted to UTF-8 on every call, which measured
// ~90 ns per getHeader against ~50 ns with a Buffer.
const X_API_KEY = Buffer.from('x-api-key');
const AUTHORIZATION = Buffer.from('authorization');

/** The key from the headers (Authenticator.headerKey's rules), reading `authorization` only if needed. */
export function headerKey(req: HttpRequest): string {
  const xApiKey = req.getHeader(X_API_KEY);
  return xApiKey !== '' ? xApiKey : Authenticator.headerKey('', req.getHeader(AUTHORIZATION));
}

export interface Door {
  readonly auth: Authenticator;
  readonly limiter: RateLimiter | null;
  readonly metrics: RequestMetrics;
}

export function admit(
  door: Door,
  res: HttpResponse,
  req: HttpRequest,
  queryKey: string | undefined,
  scope: Scope,
  route: number,
  startedAt: number,
  close: boolean,
): boolean {
  const key = queryKey ?? headerKey(req);
  const result = door.auth.check(key, scope);
  if (result !== AuthResult.Ok) {
    const forbidden = result === AuthResult.WrongScope;
    sendError(res, forbidden ? 'forbidden' : 'unauthorized', close);
    door.metrics.record(route, forbidden ? S403 : S401, startedAt);
    return false;
  }
  if (door.limiter !== null) {
    const wait = door.limiter.take(key, startedAt);
    if (wait > 0) {
      sendRateLimited(res, wait, close);
      door.metrics.record(route, S429, startedAt);
      return false;
    }
  }
  return true;
}
