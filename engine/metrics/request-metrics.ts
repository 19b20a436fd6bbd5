// Requests and handler latency by route and status, one instance per server process. Routes and
// statuses are closed sets: every series exists at zero from the start, and nothing a client
// sends (country, player id, key) can create a new series.

import { Gauge, type Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics.js';

export const routes = ['ad_request', 'games', 'blacklist', 'blacklist_check', 'blacklist_check_batch', 'players', 'topics', 'topic', 'votes', 'vote', 'beacon', 'reports', 'openapi', 'preflight', 'unmatched'] as const;
export type Route = (typeof routes)[number];
export const statuses = ['200', '201', '202', '204', '304', '400', '401', '403', '404', '405', '409', '410', '413', '415', '422', '429', '503'] as const;
export type Status = (typeof statuses)[number];

/** Handler time buckets in seconds: sub-millisecond resolution, as our handlers run in microseconds. */
const LATENCY_BOUNDS = [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.025, 0.1];

export const routeIndex = Object.fromEntries(routes.map((r, i) => [r, i])) as Record<Route, number>;
export const statusIndex = Object.fromEntries(statuses.map((s, i) => [s, i])) as Record<Status, number>;

export class RequestMetrics {
  private readonly requests: HotCounter;
  private readonly latency: HotHistogram;

  constructor(registry: Registry, inFlight: () => number) {
    const labelSets = routes.flatMap((route) => statuses.map((status) => ({ route, status })));
    this.requests = new HotCounter({
      name: 'engine_http_requests_total',
      help: 'Requests answered on the public port, by route and status.',
      labelSets,
      registers: [registry],
    });
    this.latency = new HotHistogram(
      {
        name: 'engine_http_request_duration_seconds',
        help: 'Time from handler entry to the response handed to uWS, by route and status.',
        labelSets,
        registers: [registry],
      },
      LATENCY_BOUNDS,
    );
    // Read at scrape time: the request path only moves the plain number in the server state.
    new Gauge({
      name: 'engine_http_requests_in_flight',
      help: 'Requests accepted on the public port and not answered yet (writes waiting for the event log).',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
  }

  /** Counts one answered request; `startedAt` is performance.now() at handler entry. */
  record(route: number, status: number, startedAt: number): void {
    const slot = route * statuses.length + status;
    this.requests.counts[slot]!++;
    this.latency.observe(slot, (performance.now() - startedAt) / 1000);
  }
}
