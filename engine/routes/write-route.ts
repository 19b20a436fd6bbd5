// The shared shape of a write route (docs/architecture.md "A write's path"): key check
// (synchronous, while req is alive), body read, validation, append to
// the event log, answer (games and topics first wait for their own event to be folded). Everything after the first await goes
// through AsyncReply (onAborted registered first, corked writes). Errors end in the catalogue:
// InputError → 400/413/415; anything else (the event log down) → 503 store_unavailable.
// Topic writes also accept the key as an `api_key` field of the JSON body (the original voting
// API's clients send it there): with no key in the query or headers, the body is read first and
// its key checked before anything in it is used.
// With an Idempotency-Key header (README "Safe retries"), the key's record in the fold decides
// first: a retry of a recorded request is answered its first answer and writes nothing, a
// different request under the key is a 422; a new one is written with the key in its event, and
// answered, once folded, with the answer the fold recorded for the key (the first event's, if a
// retry on another engine got there first). Without the header nothing of this runs.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Scope } from '../../core/domain/api-keys.js';
import { Errors, type ErrorCode, InputError } from '../../core/errors.js';
import { IDEMPOTENCY_KEY, requestDigest, scopedIdemKey, type IdemRecord, type IdemStamp } from '../../core/domain/stream/idempotency.js';
import { headerKey } from '../http/admit.js';
import { AuthResult } from '../http/auth.js';
import { readJsonBody } from '../http/body.js';
import { QueryReader, problemText, type ParamSpec } from '../http/query.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { pathParam } from '../http/path-param.js';
import { AsyncReply, type Handler } from '../../core/runtime/respond.js';
import { routeIndex, statusIndex, type Route, type Status } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';

/** The 503 message while the event log has not been replayed yet (answers would be incomplete). */
export const STREAM_LOADING = 'games, reports, topics and votes are still loading from the event log; retry shortly';

const NO_VALUES: readonly (string | undefined)[] = [];

/** A bodyless route's body: whatever is sent is read and dropped, so the connection stays usable. */
function drainBody(res: HttpResponse): Promise<undefined> {
  res.onData(() => {});
  return Promise.resolve(undefined);
}

/** How long a writer waits to see its own event folded before answering without it. */
export const FOLD_WAIT_MS = 5_000;

/**
 * What the route's logic decided: a status line and JSON body, or a catalogue error; `event` is the
 * id of the event it appended, when it appended one (a request with an Idempotency-Key then waits
 * for its fold and answers the recorded answer).
 */
export type WriteResult = ({ status: Buffer; body: string } | { error: ErrorCode; message?: string }) & { event?: string };

/** A recorded answer to send; `replayed` when it is not this request's own first answer. */
type Recorded = { recorded: IdemRecord; replayed: boolean };

const IDEMPOTENCY_HEADER = Buffer.from('idempotency-key');
const BAD_IDEMPOTENCY_KEY = 'Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces)';
const NOT_FOLDED = 'the write is recorded but not visible yet; retry with the same Idempotency-Key for its answer';
/** Status lines of recorded answers as bytes: a handful of distinct lines. */
const statusLines = new Map<string, Buffer>();
const statusLine = (s: string): Buffer => {
  let b = statusLines.get(s);
  if (b === undefined) statusLines.set(s, (b = Buffer.from(s)));
  return b;
};

export interface WriteRouteOptions {
  /** Accept the key as an `api_key` field of the JSON body when the query and headers have none. */
  bodyKey?: boolean;
  /** The path prefix before the route's id parameter (`/topics/`): the id is handed to the logic. */
  idAfter?: string;
  /** Query parameters the route reads besides `api_key`: their values are handed to the logic. */
  params?: readonly ParamSpec[];
  /** The route takes no body (DELETE): a body sent is read and dropped, the logic gets undefined. */
  bodyless?: boolean;
}

/**
 * The logic of one write route: the parsed body, the path's id ('' when the route has none), the
 * stamp its event must carry when the request had an Idempotency-Key (`idem`), and the values of
 * `params`, in their order.
 */
export type WriteLogic = (body: unknown, pathId: string, idem: IdemStamp | undefined, query: readonly (string | undefined)[]) => Promise<WriteResult>;

export function writeRoute(deps: RouteDeps, route: Route, scope: Scope, handle: WriteLogic, o: WriteRouteOptions = {}): Handler {
  const { auth, metrics } = deps;
  const routeSlot = routeIndex[route];
  // The key may come in the query, as the game-ban contract's clients send it.
  const params = o.params ?? [];
  const query = new QueryReader([...params, { name: 'api_key', maxLength: 256 }]);
  const apiKey = params.length;
  return (res: HttpResponse, req: HttpRequest) => {
    const startedAt = performance.now();
    const reply = new AsyncReply(res, deps.state);
    const finish = (statusLine: string) => metrics.record(routeSlot, statusIndex[statusLine.slice(0, 3) as Status], startedAt);
    const refuse = (code: ErrorCode, message?: string) => {
      res.onData(() => {}); // read and drop the body: the connection stays usable
      reply.error(code, message);
      finish(Errors[code].status);
    };
    if (!query.read(rawQuery(req))) {
      const name = query.problemParam < 0 ? '' : `${(params[query.problemParam]?.name ?? 'api_key')} `;
      return refuse('bad_param', `${name}${problemText[query.problem]}`);
    }
    const pathId = o.idAfter === undefined ? '' : pathParam(req, o.idAfter);
    const sentKey = query.values[apiKey] ?? headerKey(req);
    const values = params.length === 0 ? NO_VALUES : query.values.slice(0, apiKey); // query.values is refilled by the next request
    // An empty header is no header: uWS tells the two apart no more than this.
    const idemKey = req.getHeader(IDEMPOTENCY_HEADER);
    if (idemKey !== '' && !IDEMPOTENCY_KEY.test(idemKey)) return refuse('bad_header', BAD_IDEMPOTENCY_KEY);
    const method = idemKey === '' ? '' : req.getMethod().toUpperCase();
    const path = idemKey === '' ? '' : req.getUrl();
    let callerKey = sentKey;
    let wait = 0; // set by door() when the key is over its rate
    // Checks the key, its scope and its rate: null to go on, else the refusal (not answered yet).
    const door = (key: string): ErrorCode | null => {
      const authResult = auth.check(key, scope);
      if (authResult !== AuthResult.Ok) return authResult === AuthResult.WrongScope ? 'forbidden' : 'unauthorized';
      wait = deps.limiter?.take(key, startedAt) ?? 0;
      return wait > 0 ? 'rate_limited' : null;
    };
    const rateLimited = () => {
      reply.rateLimited(wait);
      finish(Errors.rate_limited.status);
    };
    const keyInBody = o.bodyKey === true && sentKey === '';
    let admitted = !keyInBody;
    if (!keyInBody) {
      const refused = door(sentKey);
      if (refused === 'rate_limited') {
        res.onData(() => {}); // before the answer: res is gone once it is sent
        return rateLimited();
      }
      if (refused !== null) return refuse(refused);
    }
    if (!deps.stream.caughtUp) return refuse('not_ready', STREAM_LOADING);
    const body = o.bodyless === true ? drainBody(res) : readJsonBody(res, req, reply, deps.maxBodyBytes);
    body
      .then((body): Promise<WriteResult | Recorded> | WriteResult | null => {
        if (keyInBody) {
          const bodyKey = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).api_key : undefined;
          callerKey = typeof bodyKey === 'string' ? bodyKey : '';
          const refused = door(callerKey);
          if (refused === 'rate_limited') {
            rateLimited();
            return null;
          }
          if (refused !== null) return { error: refused };
          admitted = true;
        }
        if (idemKey === '') return handle(body, pathId, undefined, values);
        return once(deps, { key: scopedIdemKey(callerKey, method, path, idemKey), digest: requestDigest(method, path, body) }, (idem) => handle(body, pathId, idem, values));
      })
      .then(
        (r) => {
          if (r === null) return; // answered already (rate limited)
          if ('recorded' in r) {
            reply.json(statusLine(r.recorded.status), r.recorded.body, r.replayed);
            finish(r.recorded.status);
          } else if ('error' in r) {
            reply.error(r.error, r.message);
            finish(Errors[r.error].status);
          } else {
            reply.json(r.status, r.body);
            finish(r.status.toString('latin1'));
          }
        },
        (err: unknown) => {
          // Without a key anywhere, a body that cannot be read cannot carry one either: 401.
          const code: ErrorCode = !admitted ? 'unauthorized' : err instanceof InputError ? err.code : 'store_unavailable';
          reply.error(code, err instanceof InputError && admitted ? err.message : undefined);
          finish(Errors[code].status);
        },
      );
  };
}

/**
 * A write sent with an Idempotency-Key (README "Safe retries"): the key's record answers a retry
 * (422 for a different request under the key); otherwise the logic runs with the stamp and the
 * answer is the one the fold recorded for the key once its event is folded. A logic that wrote
 * nothing (a 4xx) is answered as it decided, unless a retry elsewhere recorded the key meanwhile.
 */
async function once(deps: RouteDeps, idem: IdemStamp, stamped: (idem: IdemStamp) => Promise<WriteResult>): Promise<WriteResult | Recorded> {
  const known = recordFor(deps, idem, undefined);
  if (known !== null) return known;
  const r = await stamped(idem);
  if (r.event !== undefined && (await deps.stream.outcome(r.event, FOLD_WAIT_MS)) === 'timeout') return { error: 'store_unavailable', message: NOT_FOLDED };
  return recordFor(deps, idem, r.event) ?? r;
}

/** The answer the key's record gives this request, or null when the key has no record. */
function recordFor(deps: RouteDeps, idem: IdemStamp, ownEvent: string | undefined): WriteResult | Recorded | null {
  const rec = deps.stream.idem.get(idem.key, deps.clock.now());
  if (rec === undefined) return null;
  if (rec.digest !== idem.digest) return { error: 'idempotency_mismatch' };
  return { recorded: rec, replayed: rec.id !== ownEvent };
}
