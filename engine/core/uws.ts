// uWebSockets.js, loaded once, with the one fact operators must know: whether the native binary
// loaded. The pinned build (@trufflesuite/uws-js-unofficial) silently falls back to a pure-JS server,
// many times slower, when its binary cannot load (wrong glibc, wrong Node ABI). We detect that by
// looking at App itself: the native export is a C++ function whose source reads "[native code]".

import uWS, { type HttpRequest, type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';

export { uWS };

export const uwsNative: boolean = /\[native code\]/.test(Function.prototype.toString.call(uWS.App));

export const UWS_FALLBACK_WARNING =
  'uWebSockets.js is running its pure-JS FALLBACK, not the native server: expect a fraction of normal ' +
  'throughput. Check the glibc version (needs >= 2.34) and that Node is v20 (ABI 115).';

/**
 * The raw query string (after '?', '' when none). The fallback's getQuery() builds a `new URL` from
 * the relative request path and throws, so on the fallback it is cut from getUrl() instead. Chosen
 * once here, so the hot path makes one monomorphic call either way.
 */
export const rawQuery: (req: HttpRequest) => string = uwsNative
  ? (req) => req.getQuery() ?? ''
  : (req) => {
      const url = req.getUrl();
      const q = url.indexOf('?');
      return q === -1 ? '' : url.slice(q + 1);
    };

/** ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT: the typings declare the enum, the binary exports no value for it. */
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

/**
 * Listens without SO_REUSEPORT, so a second process cannot bind the same port beside this one (the
 * default lets it, silently sharing the traffic). The native listen takes (host, port, options, cb)
 * although the typings list options only without a host; the JS fallback takes and ignores it (its
 * Node sockets never share a port).
 */
export function listenExclusive(app: TemplatedApp, host: string, port: number, cb: (token: us_listen_socket | false) => void): void {
  (app.listen as unknown as (h: string, p: number, o: number, c: typeof cb) => void)(host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, cb);
}
