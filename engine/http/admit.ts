// The door every keyed synchronous handler goes through after reading its query: the key (from the
// query when it has one, else the headers — read only then, each getHeader being a call into C++),
// its scope, and its rate. Answers 401/403/429 itself and counts them; returns whether to go on.
// Synchronous, so req is still alive (R1).

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Scope } from '../core/api-keys.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import { statusIndex } from '../metrics/request-metrics.js';
import { AuthResult, Authenticator } from './auth.js';
import type { RateLimiter } from './rate-limit.js';
import { sendError, sendRateLimited } from './respond.js';

const S401 = statusIndex['401'];
const S403 = statusIndex['403'];
const S429 = statusIndex['429'];

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
  const key = queryKey ?? Authenticator.headerKey(req.getHeader('x-api-key'), req.getHeader('authorization'));
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
