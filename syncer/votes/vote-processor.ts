// The vote processor (docs/architecture.md "Data flow": the syncer consumes the event log with a
// consumer group to count votes, and beacons the same way). Every syncer runs one, leader or not: the group hands each event to one
// of them, and counting is exactly once whoever gets it (VoteCounter). The loop:
//   - read the next batch for this consumer (blocking up to a second) and count it;
//   - every VOTE_CLAIM_IDLE_MS / 2, claim events another consumer was handed and has not
//     acknowledged for VOTE_CLAIM_IDLE_MS (it died, or hangs) and count those;
//   - every minute, let the counter forget processed ids older than the stream's oldest event.
// A failing store is retried every second; what was delivered stays pending and is counted later,
// by this consumer's claim or another's. The consumer name is unique per process, so a restarted
// processor does not inherit a dead one's identity: it claims its pending events like any other.

import { hostname } from 'node:os';
import type { Clock } from '../../core/runtime/clock.js';
import type { Logger } from '../../core/runtime/logger.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START, type LoggedEvent } from '../../core/domain/stream/event.js';
import type { SyncerMetrics } from '../metrics.js';
import type { VoteCounter } from './vote-counter.js';

export const VOTES_GROUP = 'votes';
const BATCH = 1_000;
const BLOCK_MS = 1_000;
const RETRY_MS = 1_000;
const FORGET_EVERY_MS = 60_000;

export interface VoteProcessorDeps {
  events: EventLog;
  counter: VoteCounter;
  metrics: SyncerMetrics;
  log: Logger;
  clock: Clock;
  claimIdleMs: number;
  /** Defaults to `<hostname>-<pid>`. */
  consumer?: string;
}

export class VoteProcessor {
  readonly consumer: string;
  private running = false;
  private loop: Promise<void> | null = null;
  private nextClaimAt = 0;
  private nextForgetAt = 0;
  private failing = false;

  constructor(private readonly d: VoteProcessorDeps) {
    this.consumer = d.consumer ?? `${hostname()}-${process.pid}`;
  }

  /** Creates the group when missing (delivering the stream from its start) and starts the loop. */
  async start(): Promise<void> {
    await this.d.events.ensureGroup(VOTES_GROUP, START);
    this.running = true;
    this.d.log.info('vote processor started', { consumer: this.consumer, group: VOTES_GROUP, counter: this.d.counter.description });
    this.loop = this.run();
  }

  /** Stops after the batch in hand is counted (a blocking read returns within a second). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.claimIdle();
        const batch = await this.d.events.readGroup(VOTES_GROUP, this.consumer, { count: BATCH, blockMs: BLOCK_MS });
        // Counted even when stopping: left pending, it would wait VOTE_CLAIM_IDLE_MS for a claim.
        await this.count(batch);
        await this.forgetOld();
        if (this.failing) this.d.log.info('vote processing resumed', { consumer: this.consumer });
        this.failing = false;
      } catch (err) {
        if (!this.running) return;
        this.d.metrics.voteBatch('failed', 0, this.d.clock.now());
        if (!this.failing) this.d.log.error('vote processing failed; the batch stays pending and is retried', { consumer: this.consumer, err: err as Error });
        this.failing = true;
        await sleep(RETRY_MS);
      }
    }
  }

  private async count(batch: readonly LoggedEvent[]): Promise<void> {
    if (batch.length === 0) return;
    const now = this.d.clock.now();
    const counted = await this.d.counter.count(batch, now);
    this.d.metrics.voteBatch('counted', counted.votes, now);
    this.d.metrics.beaconsCounted(counted.beacons);
  }

  private async claimIdle(): Promise<void> {
    const now = this.d.clock.now();
    if (now < this.nextClaimAt) return;
    this.nextClaimAt = now + this.d.claimIdleMs / 2;
    for (;;) {
      const claimed = await this.d.events.claimIdle(VOTES_GROUP, this.consumer, this.d.claimIdleMs, BATCH);
      if (claimed.length === 0) return;
      this.d.metrics.votesClaimedFromIdle(claimed.length);
      this.d.log.warn('claimed events a stopped vote processor left pending', { consumer: this.consumer, events: claimed.length, first: claimed[0]!.id });
      await this.count(claimed);
    }
  }

  private async forgetOld(): Promise<void> {
    const now = this.d.clock.now();
    if (now < this.nextForgetAt) return;
    this.nextForgetAt = now + FORGET_EVERY_MS;
    const oldest = await this.d.events.first();
    if (oldest !== null) await this.d.counter.forgetBefore(oldest);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
