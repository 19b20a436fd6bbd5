// Composition root of ONE public uWS app: what routes exist and what each is handed. Everything a
// server needs arrives in AppDeps; nothing here opens a store or reads the environment.
// Reading order for a newcomer: this file → engine/routes/ad-request.ts → engine/indexes/ad-index.ts
// (docs/architecture.md "Folder map").

import type { TemplatedApp } from 'uWebSockets.js';
import { allowList, uWS } from '../../core/runtime/uws.js';
import { sendError, sendMethodNotAllowed, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import { adRequest } from '../routes/ad-request.js';
import { checkPlayer, checkPlayers, erasePlayer, reportPlayer, revokeReports } from '../routes/blacklist.js';
import { createGame, listGames } from '../routes/games.js';
import { openApiDocument } from '../routes/openapi.js';
import { createTopic, getTopic, listTopics, updateTopic } from '../routes/topics.js';
import { castVote, getVote } from '../routes/votes.js';
import { fireBeacon } from '../routes/beacon.js';
import { adReports } from '../routes/reports.js';
import type { RouteDeps } from '../routes/route-deps.js';

export type AppDeps = RouteDeps;

export type Method = 'get' | 'post' | 'put' | 'del';
/** Builds one route's handler from the server's state, once per app. */
type HandlerFactory = (deps: AppDeps) => Handler;

/**
 * The public routes: path → method → handler factory. The one list: the app below, its 405 Allow
 * lists, and the OpenAPI document's test (publicRoutes) all read it. Any other method on a listed
 * path is a 405 with an Allow list, but for OPTIONS with CORS_ORIGINS set: the CORS preflight
 * (engine/http/cors.ts); `:id` is one non-empty last path segment.
 */
const routes = {
  '/ad_request': { get: adRequest },
  '/games': { get: listGames, post: createGame },
  '/blacklist': { post: reportPlayer, del: revokeReports },
  '/blacklist/check': { get: checkPlayer, post: checkPlayers },
  '/players': { del: erasePlayer },
  '/topics': { get: listTopics, post: createTopic },
  '/topics/:id': { get: getTopic, put: updateTopic },
  '/votes': { post: castVote },
  '/votes/:id': { get: getVote },
  '/beacon/:token': { get: fireBeacon, post: fireBeacon },
  '/reports/ads': { get: adReports },
  '/openapi.json': { get: openApiDocument },
} as const satisfies Readonly<Record<string, Partial<Record<Method, HandlerFactory>>>>;

/** Every (path, method) the public app serves, paths in uWS's `/x/:id` form. */
export const publicRoutes: readonly { readonly path: string; readonly method: Method }[] = Object.freeze(
  Object.entries(routes).flatMap(([path, methods]) => Object.keys(methods).map((method) => Object.freeze({ path, method: method as Method }))),
);

/** Path → method → handler. */
type RouteTable = Readonly<Record<string, Partial<Record<Method, Handler>>>>;

function routeTable(deps: AppDeps): RouteTable {
  const table: Record<string, Partial<Record<Method, Handler>>> = {};
  for (const [path, methods] of Object.entries(routes)) {
    const handlers: Partial<Record<Method, Handler>> = {};
    for (const [method, make] of Object.entries(methods) as [Method, HandlerFactory][]) handlers[method] = make(deps);
    table[path] = handlers;
  }
  return table;
}

export function buildPublicApp(deps: AppDeps): TemplatedApp {
  const app = uWS.App();
  const table = routeTable(deps);
  const { cors } = deps;
  // With CORS on, every handler goes behind the CORS door (engine/http/cors.ts); off, none does.
  const door = cors === null ? (handler: Handler) => handler : (handler: Handler) => cors.wrap(handler);
  for (const [path, methods] of Object.entries(table)) {
    for (const [method, handler] of Object.entries(methods)) app[method as Method](path, door(handler));
    if (cors !== null) app.options(path, cors.preflight(deps, Object.keys(methods)));
    // uWS prefers a method-specific route over any(), so this only sees the methods not listed,
    // unknown ones included (QUERY, PURGE, a lower-case `get`: methods are case-sensitive).
    app.any(path, door(methodNotAllowedHandler(deps, Object.keys(methods))));
  }
  app.any('/*', door(notFoundHandler(deps)));
  return app;
}

function methodNotAllowedHandler({ metrics, state }: AppDeps, methods: string[]): Handler {
  const allow = allowList(methods);
  return (res) => {
    const startedAt = performance.now();
    sendMethodNotAllowed(res, allow, state.draining);
    metrics.record(routeIndex.unmatched, statusIndex['405'], startedAt);
  };
}

function notFoundHandler({ metrics, state }: AppDeps): Handler {
  return (res) => {
    const startedAt = performance.now();
    sendError(res, 'not_found', state.draining);
    metrics.record(routeIndex.unmatched, statusIndex['404'], startedAt);
  };
}
