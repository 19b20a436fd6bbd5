// Pulls one feed URL: file:// (the bundled sample, local files) or http(s):// with undici.
// Bounded in every direction: connect, headers and body timeouts and a byte cap on the decoded body,
// so a slow, huge or endless feed costs a failed pull, never the process. Conditional requests
// (If-None-Match / If-Modified-Since) make an unchanged feed a cheap 304. Transient failures (no
// answer, a broken body, 5xx, 429, 408) are retried with full-jitter exponential backoff, so a
// fleet of syncers does not retry in step; a 4xx or an oversized feed is not. A 429 or 503 that
// says when to come back (Retry-After) is retried no earlier than that, within the same cap on the
// total wait as the backoff; a later time fails the pull at once and leaves it to the next one.
//
// Not undici's retry interceptor: it shortens a long Retry-After to its maxTimeout (so it would
// come back early), and it hides the statuses it retries from onResponse (the metric counts each).

import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request, type Dispatcher } from 'undici';
import { FeedFetchError } from '../../core/errors.js';

export interface FeedClientOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Extra attempts after a transient failure (default 2). */
  retries?: number;
  /** Backoff base: attempt n waits a random time in [0, base × 2^n) (default 500 ms). */
  backoffMs?: number;
  /**
   * Cap on the time one pull spends waiting between its attempts, backoff and Retry-After together
   * (default: the most the backoff alone can wait, backoffMs × (2^retries − 1), i.e. 1.5 s).
   */
  maxWaitMs?: number;
  /** Every HTTP answer's status, or 'error' when none came (metrics). */
  onResponse?(status: number | 'error'): void;
}

/** Failures worth another attempt. */
const retryable = new WeakSet<Error>();
const transient = (err: FeedFetchError): FeedFetchError => {
  retryable.add(err);
  return err;
};
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/**
 * Statuses whose Retry-After is honoured: the two HTTP defines it for (503 Service Unavailable and
 * 429 Too Many Requests). The other transient statuses keep the backoff whatever they send.
 */
const RETRY_AFTER_STATUS = new Set([429, 503]);
/** When (epoch ms) a failed attempt's server asked to be called again, from its Retry-After. */
const retryAt = new WeakMap<Error, number>();

export type FeedPull =
  | { readonly changed: true; readonly text: string; readonly bytes: number; readonly status: number }
  | { readonly changed: false; readonly status: number };

export class FeedClient {
  private etag: string | null = null;
  private lastModified: string | null = null;
  private readonly dispatcher: Dispatcher;

  constructor(
    readonly url: string,
    private readonly o: FeedClientOptions,
  ) {
    this.dispatcher = new Agent({
      connectTimeout: Math.min(o.timeoutMs, 10_000),
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
    });
  }

  async pull(): Promise<FeedPull> {
    return this.url.startsWith('file:') ? this.pullFile() : this.pullHttp();
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async pullFile(): Promise<FeedPull> {
    const path = fileURLToPath(this.url);
    try {
      const { size } = await stat(path);
      if (size > this.o.maxBytes) throw new FeedFetchError(`feed file is ${size} bytes, over the ${this.o.maxBytes}-byte cap`);
      const text = await readFile(path, 'utf8');
      return { changed: true, text, bytes: size, status: 200 };
    } catch (err) {
      if (err instanceof FeedFetchError) throw err;
      throw new FeedFetchError(`cannot read feed file ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async pullHttp(): Promise<FeedPull> {
    const retries = this.o.retries ?? 2;
    const base = this.o.backoffMs ?? 500;
    const maxWait = this.o.maxWaitMs ?? base * (2 ** retries - 1);
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attemptHttp();
      } catch (err) {
        if (!retryable.has(err as Error) || attempt >= retries) throw err;
        const at = retryAt.get(err as Error);
        if (at === undefined) {
          const ms = Math.min(Math.random() * base * 2 ** attempt, maxWait - waited);
          waited += ms;
          await sleep(ms);
          continue;
        }
        // Coming back early would ignore what the feed asked, and sleeping then giving up would
        // only delay the failure: a time past the cap fails now, and the next pull tries again.
        const ms = Math.max(0, at - Date.now());
        const left = maxWait - waited;
        if (ms > left) {
          throw new FeedFetchError(
            `${(err as Error).message} and asked to wait ${Math.ceil(ms / 1000)} s (Retry-After), past the ${Math.round(left)} ms left ` +
              `of this pull's ${maxWait} ms wait cap; not retried before the next pull`,
            { cause: err },
          );
        }
        waited += ms;
        await sleepUntil(at);
      }
    }
  }

  private async attemptHttp(): Promise<FeedPull> {
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'gzip, br, deflate' };
    if (this.etag !== null) headers['if-none-match'] = this.etag;
    if (this.lastModified !== null) headers['if-modified-since'] = this.lastModified;
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(this.url, { dispatcher: this.dispatcher, headers, signal });
    } catch (err) {
      this.o.onResponse?.('error');
      throw transient(new FeedFetchError(`feed request failed: ${(err as Error).message}`, { cause: err }));
    }
    this.o.onResponse?.(res.statusCode);
    if (res.statusCode === 304) {
      await res.body.dump();
      return { changed: false, status: 304 };
    }
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {});
      const err = new FeedFetchError(`feed answered HTTP ${res.statusCode}`);
      if (RETRY_AFTER_STATUS.has(res.statusCode)) {
        const at = retryAfter(res.headers['retry-after']);
        if (at !== null) retryAt.set(err, at);
      }
      throw TRANSIENT_STATUS.has(res.statusCode) ? transient(err) : err;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    try {
      for await (const chunk of decoded(res)) {
        bytes += (chunk as Buffer).length;
        if (bytes > this.o.maxBytes) {
          res.body.destroy();
          throw new FeedFetchError(`feed body is over the ${this.o.maxBytes}-byte cap`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof FeedFetchError) throw err;
      throw transient(new FeedFetchError(`feed body failed: ${(err as Error).message}`, { cause: err }));
    }
    const etag = res.headers.etag;
    const lastModified = res.headers['last-modified'];
    this.etag = typeof etag === 'string' ? etag : null;
    this.lastModified = typeof lastModified === 'string' ? lastModified : null;
    return { changed: true, text: Buffer.concat(chunks, bytes).toString('utf8'), bytes, status: 200 };
  }

  /** Forget validators, so the next pull is unconditional (after a refused feed, say). */
  forgetValidators(): void {
    this.etag = null;
    this.lastModified = null;
  }
}

/**
 * A Retry-After value as the time (epoch ms) it names: delta-seconds or an HTTP-date, the two forms
 * HTTP allows. Null when absent or malformed (the backoff applies); a date in the past means now.
 */
function retryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return now + Number(v) * 1000;
  // HTTP-dates name a day of the week; this keeps Date.parse's leniency from reading "10" as a date.
  if (!/^[A-Za-z]{3}/.test(v)) return null;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : at;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sleeps until the wall clock reads `at`: a timer may fire a millisecond early, and the feed's "not before" is a floor. */
async function sleepUntil(at: number): Promise<void> {
  for (let ms = at - Date.now(); ms > 0; ms = at - Date.now()) await sleep(ms);
}

/**
 * The body with its content-encoding undone. (undici 7's decompress interceptor would do this but is
 * experimental and warns on every start.) The byte cap above applies to the decoded bytes, so a small
 * gzip bomb is caught as surely as a large plain body.
 */
function decoded(res: Dispatcher.ResponseData): Readable {
  const encoding = String(res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const body = res.body as unknown as Readable;
  switch (encoding) {
    case 'identity':
    case '':
      return body;
    case 'gzip':
    case 'x-gzip':
      return inflate(body, createGunzip());
    case 'deflate':
      return inflate(body, createInflate());
    case 'br':
      return inflate(body, createBrotliDecompress());
    default:
      // Drain (not destroy: a destroyed body errors with nobody listening) so the socket is reused.
      void res.body.dump().catch(() => {});
      throw new FeedFetchError(`feed uses unsupported content-encoding ${encoding}`);
  }
}

/** pipeline, not pipe: an error on the socket side must also fail the decoder we read from. */
function inflate(body: Readable, decoder: NodeJS.ReadWriteStream): Readable {
  return pipeline(body, decoder, () => {}) as unknown as Readable;
}
