// The id at the end of a path such as /topics/{id}. Read from the URL rather than with uWS's
// getParameter(), so routes answer the same under the pure-JS fallback, which dispatches every
// request through one catch-all route (app.ts). Synchronous: req is only alive until the handler
// returns (R1).

import type { HttpRequest } from 'uWebSockets.js';

/** The path after `prefix` (`/topics/` → "12"), without a query string; '' when there is none. */
export function pathParam(req: HttpRequest, prefix: string): string {
  const url = req.getUrl();
  const q = url.indexOf('?');
  return url.slice(prefix.length, q === -1 ? url.length : q);
}
