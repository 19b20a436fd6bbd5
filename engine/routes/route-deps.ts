// What every public route handler is built from: the per-server state it reads on each request.
// One definition, so engine/server/app.ts (which builds the table) and the route files cannot drift apart.

import type { Clock } from '../../core/runtime/clock.js';
import type { PlayerMemory } from '../decision/player-memory.js';
import type { ViewLog } from '../decision/view-log.js';
import type { Authenticator } from '../http/auth.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { StreamHolder } from '../indexes/stream-holder.js';
import type { IndexHolder } from '../indexes/holder.js';
import type { EventWriter } from '../../core/store/event-log.js';
import type { RequestMetrics } from '../metrics/request-metrics.js';
import type { ServerState } from '../http/server-state.js';
import type { Tracking } from '../decision/tracking.js';
import type { CorsDoor } from '../http/cors.js';

export interface RouteDeps {
  readonly holder: IndexHolder;
  readonly auth: Authenticator;
  readonly memory: PlayerMemory;
  /** This server's views on their way to the stream; null without an event log (they stay local). */
  readonly views: ViewLog | null;
  readonly clock: Clock;
  readonly metrics: RequestMetrics;
  readonly state: ServerState;
  /** The fold of the events stream: games and reports, topics, votes. */
  readonly stream: StreamHolder;
  /** Where writes go; null when the engine has no event log (writes answer 503). */
  readonly events: EventWriter | null;
  readonly maxBodyBytes: number;
  /** Signs decisions, verifies beacons, counts decisions served. */
  readonly tracking: Tracking;
  /** Per-key rate limit; null = none. */
  readonly limiter: RateLimiter | null;
  /** Browser pages' access (CORS_ORIGINS); null = CORS off, handlers registered bare. */
  readonly cors: CorsDoor | null;
}
