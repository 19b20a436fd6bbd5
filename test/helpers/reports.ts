// GET /reports/ads over the hours around now (an hour either side), with the tests' admin key: what
// the tests that fire beacons read back.

import type { Reply, TestClient } from './http.js';
import { ADMIN_KEY } from './test-engine.js';

/** The report of `base`'s engine from an hour ago to an hour ahead; `query` adds filters (`&ad_id=…`). */
export function reportAroundNow(http: TestClient, base: string, query = ''): Promise<Reply> {
  const now = Date.now();
  const from = new Date(now - 3_600_000).toISOString();
  const to = new Date(now + 3_600_000).toISOString();
  return http.get(`${base}/reports/ads?from=${from}&to=${to}${query}`, { 'x-api-key': ADMIN_KEY });
}

/** The totals of reportAroundNow's JSON answer. */
export async function reportTotals(http: TestClient, base: string): Promise<Record<string, number>> {
  return ((await reportAroundNow(http, base)).body as { totals: Record<string, number> }).totals;
}
