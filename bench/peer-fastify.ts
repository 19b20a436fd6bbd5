// The peer: what a Node team would build instead of the engine's uWS server. Fastify (default
// options, no logger) serves GET /ad_request and GET /blacklist/check from the engine's own compiled
// ad index, blacklist fold, decision code, key check, error bodies and request metrics, and answers
// the same statuses, headers and bodies. What differs is only what Fastify brings: node:http's parser
// and socket handling, find-my-way's routing, fast-querystring's request.query, and its reply.
// The parameter checks mirror QueryReader's limits (repeated, empty, too long, not printable ASCII)
// on request.query; one difference: fast-querystring reads '+' as a space in every parameter.
//
// Usage: node dist/bench/peer-fastify.js <port> <feed.json> [<events.jsonl>]. Builds both indexes
// before listening (the events log folded in process, as an engine without a snapshot replays it),
// prints "READY <port>" once listening; exits on SIGTERM.

import { existsSync, readFileSync } from 'node:fs';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { parseApiKeys } from '../core/domain/api-keys.js';
import { parseFeed } from '../core/domain/ads/feed.js';
import type { LoggedEvent } from '../core/domain/stream/event.js';
import { foldEvent } from '../core/domain/stream/events.js';
import { normaliseEmail } from '../core/domain/stream/report-rules.js';
import { StreamState } from '../core/domain/stream/stream-state.js';
import { DEFAULT_VOTE_RECEIPTS } from '../core/domain/stream/vote-receipts.js';
import { defaultErrorBodies, type ErrorCode } from '../core/errors.js';
import { systemClock } from '../core/runtime/clock.js';
import { errorHttpStatus } from '../core/runtime/respond.js';
import { Audience } from '../engine/decision/audience.js';
import { countryCode, langCode, marketKey } from '../engine/decision/market.js';
import { PlayerMemory } from '../engine/decision/player-memory.js';
import { AuthResult, Authenticator } from '../engine/http/auth.js';
import { QueryProblem, QueryReader, badParamBodies, type ParamSpec } from '../engine/http/query.js';
import { AdIndex } from '../engine/indexes/ad-index.js';
import { RequestMetrics, routeIndex, statusIndex } from '../engine/metrics/request-metrics.js';
import { AD_REQUEST_PARAMS, BAD_COUNTRY, BAD_LANG } from '../engine/routes/ad-request.js';
import { BAD_EMAIL, CHECK_PARAMS, CheckBodies } from '../engine/routes/blacklist.js';
import { BENCH_API_KEYS } from './scenarios.js';

const [portArg, feedFile, eventsFile] = process.argv.slice(2);
if (feedFile === undefined) {
  process.stderr.write('usage: peer-fastify <port> <feed.json> [<events.jsonl>]\n');
  process.exit(2);
}

const clock = systemClock;
const errs: string[] = [];
const auth = new Authenticator(parseApiKeys(process.env.API_KEYS ?? BENCH_API_KEYS, errs));
if (errs.length > 0) throw new Error(errs.join('; '));
const ads = AdIndex.compile(parseFeed(readFileSync(feedFile, 'utf8')).ads, 'peer');
const stream = StreamState.empty(DEFAULT_VOTE_RECEIPTS);
if (eventsFile !== undefined && existsSync(eventsFile)) {
  for (const line of readFileSync(eventsFile, 'utf8').split('\n')) if (line !== '') foldEvent(stream, JSON.parse(line) as LoggedEvent);
}
// The engine's defaults (PLAYER_MEMORY_MAX, PLAYER_MEMORY_TTL_SECONDS).
const audience = new Audience(new PlayerMemory({ maxEntries: 100_000, ttlMs: 3_600_000, clock }));
const metrics = new RequestMetrics(new Registry(), () => 0);

type Query = Record<string, string | string[] | undefined>;

/** The engine's parameter specs and 400 bodies, applied to Fastify's parsed query. */
class Params {
  readonly values: (string | undefined)[];
  problem = QueryProblem.None;
  problemParam = -1;
  readonly badParam: (param: number, problem: QueryProblem) => Buffer;

  constructor(private readonly specs: readonly ParamSpec[]) {
    this.values = new Array(specs.length).fill(undefined);
    this.badParam = badParamBodies(new QueryReader(specs));
  }

  read(q: Query): boolean {
    for (let i = 0; i < this.specs.length; i++) {
      const v = q[this.specs[i]!.name];
      this.values[i] = undefined;
      if (v === undefined) continue;
      const problem = typeof v === 'string' ? check(v, this.specs[i]!.maxLength) : QueryProblem.Repeated;
      if (problem !== QueryProblem.None) {
        this.problem = problem;
        this.problemParam = i;
        return false;
      }
      this.values[i] = v as string;
    }
    return true;
  }
}

function check(v: string, maxLength: number): QueryProblem {
  if (v.length === 0) return QueryProblem.Empty;
  if (v.length > maxLength) return QueryProblem.TooLong;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c < 0x20 || c > 0x7e) return QueryProblem.NotAscii;
  }
  return QueryProblem.None;
}

function sendError(reply: FastifyReply, code: ErrorCode, body: Buffer = defaultErrorBodies[code]): void {
  reply.code(errorHttpStatus(code)).header('content-type', 'application/json');
  if (errorHttpStatus(code) === 503) reply.header('retry-after', '1');
  reply.send(body);
}

function sendOk(reply: FastifyReply, body: Buffer | string): void {
  reply.header('content-type', 'application/json').send(body);
}

/** admit() without a rate limiter (the bench's engine runs with RATE_LIMIT_PER_SECOND=0). */
function admitted(request: FastifyRequest, reply: FastifyReply, queryKey: string | undefined, route: number, startedAt: number): boolean {
  const h = request.headers;
  const key = queryKey ?? Authenticator.headerKey(typeof h['x-api-key'] === 'string' ? h['x-api-key'] : '', h.authorization ?? '');
  const result = auth.check(key, 'game');
  if (result === AuthResult.Ok) return true;
  const forbidden = result === AuthResult.WrongScope;
  sendError(reply, forbidden ? 'forbidden' : 'unauthorized');
  metrics.record(route, forbidden ? statusIndex['403'] : statusIndex['401'], startedAt);
  return false;
}

const AD = new Params(AD_REQUEST_PARAMS);

function adRequest(request: FastifyRequest, reply: FastifyReply) {
  const startedAt = performance.now();
  const route = routeIndex.ad_request;
  if (!AD.read(request.query as Query)) {
    sendError(reply, 'bad_param', AD.badParam(AD.problemParam, AD.problem));
    return metrics.record(route, statusIndex['400'], startedAt);
  }
  const values = AD.values;
  if (!admitted(request, reply, values[3], route, startedAt)) return;
  const countryRaw = values[0];
  const langRaw = values[1];
  if (countryRaw === undefined || langRaw === undefined) {
    sendError(reply, 'bad_param', AD.badParam(countryRaw === undefined ? 0 : 1, QueryProblem.Missing));
    return metrics.record(route, statusIndex['400'], startedAt);
  }
  const country = countryCode(countryRaw);
  const lang = langCode(langRaw);
  if (country < 0 || lang < 0) {
    sendError(reply, 'bad_param', country < 0 ? BAD_COUNTRY : BAD_LANG);
    return metrics.record(route, statusIndex['400'], startedAt);
  }
  const now = clock.now();
  audience.reset(values[2] ?? null, now);
  const body = ads.next(marketKey(country, lang), now, audience);
  if (body === null) {
    sendError(reply, 'no_ad');
    return metrics.record(route, statusIndex['404'], startedAt);
  }
  sendOk(reply, body);
  metrics.record(route, statusIndex['200'], startedAt);
}

const CHECK = new Params(CHECK_PARAMS);
const bodies = new CheckBodies();

function blacklistCheck(request: FastifyRequest, reply: FastifyReply) {
  const startedAt = performance.now();
  const route = routeIndex.blacklist_check;
  if (!CHECK.read(request.query as Query)) {
    sendError(reply, 'bad_param', CHECK.badParam(CHECK.problemParam, CHECK.problem));
    return metrics.record(route, statusIndex['400'], startedAt);
  }
  const values = CHECK.values;
  if (!admitted(request, reply, values[1], route, startedAt)) return;
  const raw = values[0];
  if (raw === undefined) {
    sendError(reply, 'bad_param', CHECK.badParam(0, QueryProblem.Missing));
    return metrics.record(route, statusIndex['400'], startedAt);
  }
  const email = normaliseEmail(raw);
  if (email === null) {
    sendError(reply, 'bad_param', BAD_EMAIL);
    return metrics.record(route, statusIndex['400'], startedAt);
  }
  const result = stream.blacklist.check(email, clock.now());
  if (result === null) {
    sendError(reply, 'not_reported');
    return metrics.record(route, statusIndex['404'], startedAt);
  }
  sendOk(reply, bodies.of(result));
  metrics.record(route, statusIndex['200'], startedAt);
}

const app = Fastify({ logger: false });
app.get('/ad_request', adRequest);
app.get('/blacklist/check', blacklistCheck);
app.listen({ host: '127.0.0.1', port: Number(portArg ?? 0) }).then(
  () => {
    const address = app.server.address();
    process.stdout.write(`READY ${typeof address === 'object' && address !== null ? address.port : portArg}\n`);
    // No drain: the bench stops a server once its load is over.
    process.on('SIGTERM', () => process.exit(0));
  },
  (err: Error) => {
    process.stderr.write(`peer: cannot listen: ${err.message}\n`);
    process.exit(1);
  },
);
