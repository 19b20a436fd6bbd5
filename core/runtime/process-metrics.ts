// Node's own process metrics (process_*, nodejs_*: CPU, memory, event-loop lag, GC) on a registry,
// the same for every program. Shared by the engine and the standalone syncer; a registry gets
// them once (embedded mode merges the syncer's registry into the engine's, which has them).

import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client names three gauges with a counter's `_total` suffix, which `promtool check metrics`
 * rejects (and which rate() would misread). Each is the sum of its labelled sibling
 * (nodejs_active_handles{type} …), so nothing is lost by dropping them.
 */
const MISNAMED_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
}
