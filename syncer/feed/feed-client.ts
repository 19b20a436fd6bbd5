// Pulls one feed URL: file:// (the bundled sample, local files) or http(s):// with undici.
// Bounded in every direction: connect, headers and body timeouts and a byte cap on the decoded body,
// so a slow, huge or endless feed costs a failed pull, never the process. Conditional requests
// (If-None-Match / If-Modified-Since) make an unchanged feed a cheap 304. Transient failures (no
// answer, a broken body, 5xx, 429, 408) are retried with full-jitter exponential backoff, so a
// fleet of syncers does not retry in step; a 4xx or an oversized feed is not.

import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request, type Dispatcher } from 'undici';
import { FeedFetchError } from '../../engine/core/errors.js';

export interface FeedClientOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Extra attempts after a transient failure (default 2). */
  retries?: number;
  /** Backoff base: attempt n waits a random time in [0, base × 2^n) (default 500 ms). */
  backoffMs?: number;
  /** Every HTTP answer's status, or 'error' when none came (metrics). */
  onResponse?(status: number | 'error'): void;
}

/** Failures worth another attempt. */
const retryable = new WeakSet<Error>();
const transient = (err: FeedFetchError): FeedFetchError => (retryable.add(err), err);
const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

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
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attemptHttp();
      } catch (err) {
        if (!retryable.has(err as Error) || attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * base * 2 ** attempt));
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
