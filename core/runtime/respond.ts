// The only code that writes uWS responses, for the public servers and the internal listener. Status lines and constant headers are pre-encoded bytes
// (JS strings are the slowest thing to hand to C++). Order is always status → headers → end.
// Writes from the synchronous top of a handler are already corked by uWS; writes after an await
// go through AsyncReply, which guards against aborted requests and corks. A synchronous answer over
// GUARDED_BYTES attaches a no-op abort handler before it ends (guardLarge). Why each rule:
// docs/conventions.md "uWS rules that bite". Every sender writes the CORS headers of a response the
// app's CORS door marked (writeCors), after the status and before the end.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { Errors, defaultErrorBodies, errorBody, type ErrorCode } from '../errors.js';

const CONTENT_TYPE = Buffer.from('content-type');
const JSON_TYPE = Buffer.from('application/json');
const XML_TYPE = Buffer.from('application/xml; charset=utf-8');
const RETRY_AFTER = Buffer.from('retry-after');
const ALLOW = Buffer.from('allow');
const REPLAYED = Buffer.from('idempotent-replayed');
const TRUE = Buffer.from('true');
export const STATUS_200 = Buffer.from('200 OK');
export const STATUS_201 = Buffer.from('201 Created');
export const STATUS_202 = Buffer.from('202 Accepted');

export const errorStatus: Readonly<Record<ErrorCode, Buffer>> = Object.freeze(
  Object.fromEntries(Object.entries(Errors).map(([code, e]) => [code, Buffer.from(e.status)])) as Record<ErrorCode, Buffer>,
);

/** Status code as a number, e.g. 404 for 'no_ad'. */
export const errorHttpStatus = (code: ErrorCode): number => Number(Errors[code].status.slice(0, 3));

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = Buffer.from('1');

/**
 * Answers at least this long get a no-op onAborted before end(). uWS ends the process ("Returning
 * from a request handler without responding or attaching an abort handler is forbidden!") when a
 * handler returns and its answer is not all handed over; under pipelined load from a client that
 * closes, kilobyte answers (VAST documents) did that: npm run bench's VAST arm, and a soak of
 * pipelined VAST requests with the engine pinned to one CPU, aborted in 3 of 23 six-second runs,
 * and in none of 20 with the guard. Small answers (a JSON ad, errors) never did, and skip the call.
 */
export const GUARDED_BYTES = 512;
const NOOP = (): void => {};

function guardLarge(res: HttpResponse, body: Buffer | string): void {
  if (body.length >= GUARDED_BYTES) res.onAborted(NOOP);
}

// CORS (README "Browser games (CORS)"). With CORS_ORIGINS set, the app's CORS door
// (engine/http/cors.ts) marks each response with the bytes of its request's Origin when that origin
// is allowed, and with undefined when not; a response nobody marked (CORS off, the internal
// listener) costs its senders one property read and one comparison. The mark is a property of the
// response object itself, so an answer written later (AsyncReply, after an await) finds it there.
const CORS = Symbol('cors origin');
type CorsMarked = HttpResponse & { [CORS]?: Buffer | undefined };
const ALLOW_ORIGIN = Buffer.from('access-control-allow-origin');
const VARY = Buffer.from('vary');
const ORIGIN = Buffer.from('origin');
const EXPOSE_HEADERS = Buffer.from('access-control-expose-headers');
/**
 * The response headers a page may read besides the CORS-safelisted ones (content-type,
 * cache-control…): what the API sends, and ETag for the conditional reads.
 */
const CORS_EXPOSED = Buffer.from('retry-after, allow, etag, idempotent-replayed');
const ALLOW_METHODS = Buffer.from('access-control-allow-methods');
const ALLOW_HEADERS = Buffer.from('access-control-allow-headers');
/**
 * The request headers a page may send beyond the safelisted ones: the key (x-api-key or
 * authorization), a JSON content-type, a write's idempotency key, a conditional read's validator.
 */
const CORS_ALLOWED_HEADERS = Buffer.from('x-api-key, authorization, content-type, idempotency-key, if-none-match');
const MAX_AGE = Buffer.from('access-control-max-age');
/** Seconds a browser may keep a preflight's answer (Chromium keeps at most 7200, Firefox 86400). */
const CORS_MAX_AGE = Buffer.from('600');

/** Marks a response for the CORS headers: the bytes of its allowed origin (or `*`), undefined for none. */
export function markCors(res: HttpResponse, origin: Buffer | undefined): void {
  (res as CorsMarked)[CORS] = origin;
}

function writeCors(res: HttpResponse): void {
  const origin = (res as CorsMarked)[CORS];
  if (origin !== undefined) res.writeHeader(ALLOW_ORIGIN, origin).writeHeader(VARY, ORIGIN).writeHeader(EXPOSE_HEADERS, CORS_EXPOSED);
}

export function sendJson(res: HttpResponse, status: Buffer, body: Buffer | string, close: boolean): void {
  guardLarge(res, body);
  res.writeStatus(status).writeHeader(CONTENT_TYPE, JSON_TYPE);
  writeCors(res);
  res.end(body, close);
}

/** A body of another content type (pre-encoded). */
export function sendTyped(res: HttpResponse, status: Buffer, contentType: Buffer, body: Buffer | string, close: boolean): void {
  guardLarge(res, body);
  res.writeStatus(status).writeHeader(CONTENT_TYPE, contentType);
  writeCors(res);
  res.end(body, close);
}

/**
 * A 200 with a JSON body, on the hot path. No writeStatus: uWS writes "200 OK" itself before the
 * first header, and skipping the call saves one crossing into C++ per request.
 */
export function sendOk(res: HttpResponse, body: Buffer | string, close: boolean): void {
  guardLarge(res, body);
  res.writeHeader(CONTENT_TYPE, JSON_TYPE);
  writeCors(res);
  res.end(body, close);
}

/** A 200 with an XML body (a VAST document), on the hot path: as sendOk. */
export function sendOkXml(res: HttpResponse, body: Buffer, close: boolean): void {
  guardLarge(res, body);
  res.writeHeader(CONTENT_TYPE, XML_TYPE);
  writeCors(res);
  res.end(body, close);
}

/** Codes answered 503, which carry Retry-After: decided once, not by parsing the status per answer. */
const retryAfter: Readonly<Record<ErrorCode, boolean>> = Object.freeze(
  Object.fromEntries(Object.keys(Errors).map((code) => [code, errorHttpStatus(code as ErrorCode) === 503])) as Record<ErrorCode, boolean>,
);

/** An error in the one shape; `body` overrides the catalogue's default (e.g. naming the bad param). */
export function sendError(res: HttpResponse, code: ErrorCode, close: boolean, body: Buffer = defaultErrorBodies[code]): void {
  res.writeStatus(errorStatus[code]).writeHeader(CONTENT_TYPE, JSON_TYPE);
  if (retryAfter[code]) res.writeHeader(RETRY_AFTER, RETRY_AFTER_SECONDS);
  writeCors(res);
  res.end(body, close);
}

/** 429 with Retry-After in whole seconds. */
export function sendRateLimited(res: HttpResponse, retryAfterS: number, close: boolean): void {
  res.writeStatus(errorStatus.rate_limited).writeHeader(CONTENT_TYPE, JSON_TYPE).writeHeader(RETRY_AFTER, String(retryAfterS));
  writeCors(res);
  res.end(defaultErrorBodies.rate_limited, close);
}

export function sendMethodNotAllowed(res: HttpResponse, allow: Buffer, close: boolean): void {
  res.writeStatus(errorStatus.method_not_allowed).writeHeader(CONTENT_TYPE, JSON_TYPE).writeHeader(ALLOW, allow);
  writeCors(res);
  res.end(defaultErrorBodies.method_not_allowed, close);
}

/** What a reply counts itself in: a server's requests in flight, and whether it is draining. */
export interface InFlight {
  draining: boolean;
  inFlight: number;
}

/**
 * A response answered later (after an await or a callback). Registers the one onAborted handler at
 * construction, before anything asynchronous; every later write checks the flag and corks.
 * With a server state it counts itself in `inFlight` until answered or aborted (shutdown waits for
 * that), and answers with Connection: close once the server is draining.
 */
export class AsyncReply {
  private done = false;

  constructor(
    private readonly res: HttpResponse,
    private readonly state: InFlight | null = null,
  ) {
    if (state !== null) state.inFlight++;
    res.onAborted(() => this.finish());
  }

  get aborted(): boolean {
    return this.done;
  }

  send(status: Buffer, contentType: Buffer | string, body: Buffer | string): void {
    if (this.done) return;
    const close = this.finish();
    this.res.cork(() => {
      this.res.writeStatus(status).writeHeader(CONTENT_TYPE, contentType);
      writeCors(this.res);
      this.res.end(body, close);
    });
  }

  /**
   * A JSON answer; `replayed` marks a write's recorded answer given again (README "Safe retries")
   * with `idempotent-replayed: true`.
   */
  json(status: Buffer, body: string, replayed = false): void {
    if (this.done) return;
    const close = this.finish();
    this.res.cork(() => {
      this.res.writeStatus(status).writeHeader(CONTENT_TYPE, JSON_TYPE);
      if (replayed) this.res.writeHeader(REPLAYED, TRUE);
      writeCors(this.res);
      this.res.end(body, close);
    });
  }

  /** A beacon's answer (sendBeacon). */
  beacon(image: boolean): void {
    if (this.done) return;
    const close = this.finish();
    this.res.cork(() => sendBeacon(this.res, image, close));
  }

  rateLimited(retryAfterS: number): void {
    if (this.done) return;
    const close = this.finish();
    this.res.cork(() => sendRateLimited(this.res, retryAfterS, close));
  }

  /** An error in the one shape; `message` replaces the catalogue's default (naming the bad field). */
  error(code: ErrorCode, message?: string): void {
    if (this.done) return;
    const close = this.finish();
    this.res.cork(() => sendError(this.res, code, close, message === undefined ? defaultErrorBodies[code] : errorBody(code, message)));
  }

  /** Marks the reply answered (once); true when the answer should close the connection. */
  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.state === null) return false;
    this.state.inFlight--;
    return this.state.draining;
  }
}

const CACHE_CONTROL = Buffer.from('cache-control');
const NO_STORE = Buffer.from('no-store');
const STATUS_204 = Buffer.from('204 No Content');
const EMPTY = Buffer.alloc(0);
const GIF_TYPE = Buffer.from('image/gif');
/** A transparent 1×1 GIF: the answer to a tracking pixel (an <img> must get an image). */
const PIXEL = Buffer.from('47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b', 'hex');

/** A beacon's answer: 204, or the pixel for a client that asked for an image; never cached. */
export function sendBeacon(res: HttpResponse, image: boolean, close: boolean): void {
  if (image) res.writeHeader(CACHE_CONTROL, NO_STORE).writeHeader(CONTENT_TYPE, GIF_TYPE);
  else res.writeStatus(STATUS_204).writeHeader(CACHE_CONTROL, NO_STORE);
  writeCors(res);
  res.end(image ? PIXEL : EMPTY, close);
}

/** A preflight that may go ahead: 204 naming the origin, the path's methods and the headers a page may send. */
export function sendPreflight(res: HttpResponse, origin: Buffer, methods: Buffer, close: boolean): void {
  res.writeStatus(STATUS_204).writeHeader(ALLOW_ORIGIN, origin).writeHeader(VARY, ORIGIN).writeHeader(ALLOW_METHODS, methods);
  res.writeHeader(ALLOW_HEADERS, CORS_ALLOWED_HEADERS).writeHeader(MAX_AGE, CORS_MAX_AGE).end(EMPTY, close);
}

export type Handler = (res: HttpResponse, req: HttpRequest) => void;

// Cacheable reads (README "Caching"): the ETag and Cache-Control written with the others, and 304.
const ETAG = Buffer.from('etag');
const STATUS_304 = Buffer.from('304 Not Modified');

/** A JSON answer a client may keep: its ETag and Cache-Control with it. */
export function sendCacheable(res: HttpResponse, status: Buffer, body: Buffer, etag: Buffer, cacheControl: Buffer, close: boolean): void {
  guardLarge(res, body);
  res.writeStatus(status).writeHeader(CONTENT_TYPE, JSON_TYPE).writeHeader(ETAG, etag).writeHeader(CACHE_CONTROL, cacheControl);
  writeCors(res);
  res.end(body, close);
}

/**
 * 304 Not Modified: the ETag and Cache-Control, no body. endWithoutBody() without arguments writes
 * no Content-Length (RFC 9110 allows one on a 304 only if it is the 200's); uWS writes
 * `Content-Length: 0` whenever it is also asked to close, which only a draining server does.
 */
export function sendNotModified(res: HttpResponse, etag: Buffer, cacheControl: Buffer, close: boolean): void {
  res.writeStatus(STATUS_304).writeHeader(ETAG, etag).writeHeader(CACHE_CONTROL, cacheControl);
  writeCors(res);
  if (close) res.endWithoutBody(0, true);
  else res.endWithoutBody();
}
