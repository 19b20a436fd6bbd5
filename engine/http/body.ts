// Reading a JSON request body from uWS (STYLE part 4: R1-R4). The content-type and content-length
// are read synchronously, before anything else; chunks are copied (uWS reuses the ArrayBuffer after
// the callback returns); the total is capped while it streams, so an endless body costs at most the
// cap. Every failure becomes one of the catalogue's errors: 415 not JSON, 413 too large, 400 bad body.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { Errors, type ErrorCode } from '../core/errors.js';
import type { AsyncReply } from './respond.js';

export class BodyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    // Without a message of its own the answer says what the error catalogue says for the code.
    super(message ?? Errors[code].message);
  }
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Reads and parses the body. Call at the synchronous top of a handler (it reads req), after
 * constructing the AsyncReply (which registered onAborted). Rejects with BodyError; on an aborted
 * request it never settles (nobody is left to answer).
 */
export function readJsonBody(res: HttpResponse, req: HttpRequest, reply: AsyncReply, maxBytes: number): Promise<unknown> {
  const contentType = req.getHeader('content-type');
  const declared = req.getHeader('content-length');
  return new Promise((resolve, reject) => {
    if (!JSON_TYPE.test(contentType)) {
      // Still drain what the client sends, so the connection stays usable.
      res.onData(() => {});
      return reject(new BodyError('not_json'));
    }
    if (declared !== '' && Number(declared) > maxBytes) {
      res.onData(() => {});
      return reject(new BodyError('body_too_large', `the body is over ${maxBytes} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed || reply.aborted) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        failed = true;
        return reject(new BodyError('body_too_large', `the body is over ${maxBytes} bytes`));
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString('utf8')));
      } catch {
        reject(new BodyError('bad_body', 'the body is not valid JSON'));
      }
    });
  });
}

/** A string field of a JSON object body, or a BodyError naming it. */
export function stringField(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string') throw new BodyError('bad_body', `${name} is required and must be a string`);
  return value;
}

/**
 * The largest id (games, topics, choices) anything accepts: ten digits, far above what the fold of
 * the event log hands out, and the same in a body and in a path (/topics/{id}).
 */
export const MAX_ID = 9_999_999_999;
const ID_DIGITS = /^[1-9][0-9]{0,9}$/;

/**
 * The one id rule of bodies and paths: an integer 1..MAX_ID, as a JSON number or as the string of
 * its digits (older clients send ids as strings; no sign, no leading zero); null otherwise.
 */
export function parseId(value: unknown): number | null {
  if (typeof value === 'string') return ID_DIGITS.test(value) ? Number(value) : null;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID ? value : null;
}

/** An id field (parseId), or a BodyError naming it. */
export function idField(body: unknown, name: string): number {
  const id = parseId(typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined);
  if (id === null) throw new BodyError('bad_body', `${name} is required and must be a positive integer (at most ${MAX_ID})`);
  return id;
}
