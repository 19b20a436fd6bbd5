// Keeps every server's blacklist index current by tailing the event log from the main process
// (DESIGN.md "Writes": every engine tails the stream and applies events to its memory). First a
// catch-up read to the end, then blocking reads that hand each batch to the pool in order. Until the
// first catch-up the blacklist routes answer 503 (an engine that has not replayed would say "never
// reported" wrongly); ads are served regardless. A failing log (Redis down) is retried every second;
// the indexes keep what they have.

import type { Logger } from '../core/logger.js';
import type { ServerPool } from '../server-pool.js';
import { START, type EventLog } from '../store/event-log.js';

const BATCH = 1_000;
const BLOCK_MS = 1_000;
const RETRY_MS = 1_000;

export class EventFollower {
  private position = START;
  private running = false;
  private caughtUpOnce = false;
  private failing = false;

  constructor(
    private readonly log: EventLog,
    private readonly pool: ServerPool,
    private readonly logger: Logger,
  ) {}

  /** True once the log has been read to its end at least once. */
  get caughtUp(): boolean {
    return this.caughtUpOnce;
  }

  get applied(): string {
    return this.position;
  }

  /**
   * Starts following. Resolves once caught up, or at `timeoutMs`, or at the first failure (a log
   * that is down must not hold up serving ads); following goes on in the background either way.
   */
  async start(timeoutMs: number): Promise<void> {
    this.running = true;
    const deadline = Date.now() + timeoutMs;
    while (this.running && !this.caughtUpOnce && Date.now() < deadline) {
      const n = await this.readOnce(0);
      if (n === 0) await this.markCaughtUp();
      if (n < 0) break;
    }
    void this.follow();
  }

  stop(): void {
    this.running = false;
  }

  private async follow(): Promise<void> {
    while (this.running) {
      const n = await this.readOnce(BLOCK_MS);
      if (n === 0) await this.markCaughtUp();
      if (n < 0) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  private async markCaughtUp(): Promise<void> {
    if (this.caughtUpOnce) return;
    this.caughtUpOnce = true;
    try {
      await this.pool.eventsCaughtUp();
    } catch (err) {
      // A server process that is gone: the pool's crash handling takes the engine down.
      this.logger.warn('could not tell every server the event log is replayed', { err: err as Error });
    }
    this.logger.info('event log replayed', { log: this.log.description, position: this.position });
  }

  /** Events applied, or -1 when the log failed. */
  private async readOnce(blockMs: number): Promise<number> {
    try {
      const events = await this.log.read(this.position, { count: BATCH, blockMs });
      if (this.failing) this.logger.info('event log reachable again', { log: this.log.description });
      this.failing = false;
      if (events.length === 0 || !this.running) return 0;
      this.pool.applyEvents(events);
      this.position = events[events.length - 1]!.id;
      return events.length;
    } catch (err) {
      if (!this.running) return 0; // the connection closed under a blocking read at shutdown
      if (!this.failing) this.logger.error('event log unavailable; checks answer from what was applied', { log: this.log.description, err: err as Error });
      this.failing = true;
      return -1;
    }
  }
}
