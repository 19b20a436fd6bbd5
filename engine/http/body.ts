// Reading a JSON request body from uWS (docs/conventions.md "uWS rules that bite"). The content-type and content-length
// are read synchronously, before anything else; chunks are copied (uWS reuses the ArrayBuffer after
// the callback returns); the total is capped while it streams, so an endless body costs at most the
// cap. Every failure becomes one of the catalogue's errors: 415 not JSON, 413 too large, 400 bad body.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { InputError } from '../../core/errors.js';
import type { AsyncReply } from '../../core/runtime/respond.js';

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Reads and parses the body. Call at the synchronous top of a handler (it reads req), after
 * constructing the AsyncReply (which registered onAborted). Rejects with InputError; on an aborted
 * request it never settles (nobody is left to answer).
 */
export function readJsonBody(res: HttpResponse, req: HttpRequest, reply: AsyncReply, maxBytes: number): Promise<unknown> {
  const contentType = req.getHeader('content-type');
  const declared = req.getHeader('content-length');
  return new Promise((resolve, reject) => {
    if (!JSON_TYPE.test(contentType)) {
      // Still drain what the client sends, so the connection stays usable.
      res.onData(() => {});
      return reject(new InputError('not_json'));
    }
    if (declared !== '' && Number(declared) > maxBytes) {
      res.onData(() => {});
      return reject(new InputError('body_too_large', `the body is over ${maxBytes} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const parse = (text: string) => {
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new InputError('bad_body', 'the body is not valid JSON'));
      }
    };
    res.onData((chunk, isLast) => {
      if (failed || reply.aborted) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        failed = true;
        return reject(new InputError('body_too_large', `the body is over ${maxBytes} bytes`));
      }
      // The common body arrives in one chunk: decoded here, before the callback returns and uWS
      // reuses its memory, it needs no copy and no concat.
      if (isLast && chunks.length === 0) return parse(Buffer.from(chunk).toString('utf8'));
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) parse(Buffer.concat(chunks, size).toString('utf8'));
    });
  });
}
