// The id at the end of a path such as /topics/{id}, read from the URL with the query cut.
// Synchronous: req is only alive until the handler returns.

import type { HttpRequest } from 'uWebSockets.js';

/** The path after `prefix` (`/topics/` → "12"), without a query string; '' when there is none. */
export function pathParam(req: HttpRequest, prefix: string): string {
  const url = req.getUrl();
  const q = url.indexOf('?');
  return url.slice(prefix.length, q === -1 ? url.length : q);
}
