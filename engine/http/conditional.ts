// Cacheable reads (README "Caching"): a body with its strong ETag, and the If-None-Match check
// that turns a read into a 304. The ETag is a hash of the body's bytes, so every engine that folded
// the same stream gives the same ETag for the same answer, and it is computed once per body (the
// list bodies are kept per revision of what they show: engine/routes/list-bodies.ts), not per request.
// The header is read in the handler, synchronously (docs/conventions.md "uWS rules that bite").

import { hash } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { sendCacheable, sendNotModified } from '../../core/runtime/respond.js';

/** A body ready to answer: its bytes and its ETag, as bytes for uWS and as text to compare. */
export interface Cacheable {
  readonly body: Buffer;
  readonly etag: Buffer;
  readonly tag: string;
}

/** Characters of the base64url SHA-256 an ETag keeps: 132 bits. */
const TAG_CHARS = 22;

/** `body` with its strong ETag: `"` + the first 22 characters of its base64url SHA-256 + `"`. */
export function cacheable(body: Buffer | string): Cacheable {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const tag = '"' + hash('sha256', bytes, 'base64url').slice(0, TAG_CHARS) + '"';
  return { body: bytes, etag: Buffer.from(tag), tag };
}

/** The Cache-Control of the keyed reads: only the client's own cache, and it asks again each time. */
export const PRIVATE_REVALIDATE = Buffer.from('private, no-cache');

const IF_NONE_MATCH = Buffer.from('if-none-match');

/**
 * True when an If-None-Match value matches `tag` (RFC 9110 13.1.2): `*`, or a list of entity tags
 * compared weakly (`W/"x"` matches `"x"`). A malformed member stops the scan with no match, so
 * the answer is the whole body, never a 304 that was not asked for.
 */
export function noneMatch(header: string, tag: string): boolean {
  const n = header.length;
  let at = skipSpace(header, 0);
  while (at < n) {
    const c = header.charCodeAt(at);
    if (c === 0x2c) {
      at = skipSpace(header, at + 1); // an empty member: the list rule allows them
      continue;
    }
    if (c === 0x2a) return true; // *
    if (c === 0x57 && header.charCodeAt(at + 1) === 0x2f) at += 2; // W/
    if (header.charCodeAt(at) !== 0x22) return false;
    const close = header.indexOf('"', at + 1);
    if (close < 0) return false;
    if (close + 1 - at === tag.length && header.startsWith(tag, at)) return true;
    at = skipSpace(header, close + 1);
    if (at < n && header.charCodeAt(at) !== 0x2c) return false; // members are comma-separated
  }
  return false;
}

/**
 * Answers `c` with its ETag and `cacheControl`: a 304 without a body when the request's
 * If-None-Match matches it, else `status` with the body. True when it answered 304.
 */
export function sendConditional(res: HttpResponse, req: HttpRequest, status: Buffer, c: Cacheable, cacheControl: Buffer, close: boolean): boolean {
  const header = req.getHeader(IF_NONE_MATCH);
  if (header !== '' && noneMatch(header, c.tag)) {
    sendNotModified(res, c.etag, cacheControl, close);
    return true;
  }
  sendCacheable(res, status, c.body, c.etag, cacheControl, close);
  return false;
}

function skipSpace(s: string, at: number): number {
  while (at < s.length && (s.charCodeAt(at) === 0x20 || s.charCodeAt(at) === 0x09)) at++;
  return at;
}
