// uWebSockets.js, loaded once, with the request-head limit set before its binary loads. The pinned
// build (@based/uws 6.0.0: the binaries of uWebSockets.js v20.51.0, unchanged) has no pure-JS
// fallback: when its binary cannot load (musl, glibc < 2.27, a Node other than 18/20/22/23) the
// import throws and the process stops at start with uWS's own message.

import { createRequire } from 'node:module';
import type { HttpRequest, TemplatedApp, us_listen_socket } from 'uWebSockets.js';

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

/** ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT (the typings declare it as an enum, which has no value at run time). */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/**
 * Listens without SO_REUSEPORT, so a second process cannot bind the same port beside this one (the
 * default lets it, silently sharing the traffic). The binary takes (host, port, options, cb)
 * although the typings list options only without a host.
 */
export function listenExclusive(app: TemplatedApp, host: string, port: number, cb: (token: us_listen_socket | false) => void): void {
  (app.listen as unknown as (h: string, p: number, o: number, c: typeof cb) => void)(host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, cb);
}

/** The HTTP name of a uWS route method (uWS calls DELETE `del`). */
export const httpMethod = (m: string): string => (m === 'del' ? 'DELETE' : m.toUpperCase());

/** The `Allow` value of a path serving `methods` (uWS route methods): `GET, POST`. */
export const allowList = (methods: readonly string[]): Buffer => Buffer.from(methods.map(httpMethod).join(', '));
