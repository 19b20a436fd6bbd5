// uWebSockets.js, loaded once, with the request-head limit set before its binary loads. The pinned
// build (@based/uws 6.0.0: the binaries of uWebSockets.js v20.51.0, unchanged) has no pure-JS
// fallback: when its binary cannot load (musl, glibc < 2.27, a Node other than 18/20/22/23) the
// import throws and the process stops at start with uWS's own message.

import { createRequire } from 'node:module';
import type { HttpRequest } from 'uWebSockets.js';

/**
 * Bytes of request head (request line + headers) uWS accepts; past it uWS answers 431 and closes.
 * Its default, 4 KiB, would answer a long query with its own 431 page before a route sees it; at
 * 16 KiB (an ALB's request-line limit) the route answers it in the error shape (bad_param). uWS reads
 * the variable once, when the binary loads: hence set here, before the require. An operator's value wins.
 */
process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= String(16 * 1024);

export const uWS = createRequire(import.meta.url)('uWebSockets.js') as typeof import('uWebSockets.js');

/** The raw query string (after '?', '' when none). */
export const rawQuery = (req: HttpRequest): string => req.getQuery() ?? '';
