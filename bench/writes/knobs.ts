// The writes bench's settings: the knobs bench/writes.ts reads from the environment (their shape and
// meaning here), the fixed layout (which CPU runs what), the target, and its log line.

import type { RedisPersistence } from '../lib/redis-server.js';

/**
 * Where acknowledged writes go: Redis kept as its persistence says (the engine's EVENT_LOG_DURABILITY
 * to match: `memory` without persistence, `aof` with it), `replica` (AOF everysec, one replica,
 * EVENT_LOG_DURABILITY=replicas: each batch waits for WAIT 1), or the embedded file log.
 */
export type StackKind = RedisPersistence | 'replica' | 'file';
export const STACK_KINDS: readonly StackKind[] = ['aof-everysec', 'none', 'aof-always', 'replica', 'file'];

export interface VoteKnobs {
  /** Seconds per write run (BENCH_DURATION). */
  duration: number;
  /** Connection counts: the peak runs use the largest (wrk when installed); the steady-state votes runs the others, with autocannon (BENCH_VOTE_CONNECTIONS). */
  connections: number[];
  /** Seconds of each GET /topics autocannon run (BENCH_TOPICS_DURATION). */
  topicsDuration: number;
  /** Pipelining depth of the second GET /topics run (BENCH_TOPICS_PIPELINING). */
  topicsPipelining: number;
  /** Seconds of each POST window under --cpu-prof (BENCH_PROFILE_DURATION). */
  profileDuration: number;
  /** The profiler's sampling interval, µs (BENCH_PROFILE_INTERVAL_US). */
  profileIntervalUs: number;
  /**
   * vote_cast events XADDed straight into the stream before the steady-state runs, so the engine
   * holds more than VOTE_RECEIPTS (250,000 by default) votes and evicts a receipt per vote, as any
   * engine does after its first 250k votes (BENCH_PREFILL_VOTES).
   */
  prefill: number;
  /** Give up waiting for the tallies after this many seconds, reported as FAIL (BENCH_DRAIN_TIMEOUT). */
  drainTimeout: number;
  /** Before each run, wait up to this many seconds (BENCH_QUIET_WAIT) for other processes to use less than quietCores (BENCH_QUIET_CORES). */
  quietWait: number;
  quietCores: number;
  /** What to run: steady (prefill on the AOF-everysec stack), half (the half-peak latency runs), blacklist, reference, topics, profile (BENCH_PARTS). */
  parts: string[];
  /** Which stacks, in order: aof-everysec, none, aof-always, replica, file (BENCH_STACKS). */
  stacks: StackKind[];
}

/** Acknowledged writes per second on one engine worker. */
export const TARGET_RPS = 50_000;
/** The engine (and the reference servers) have this CPU to themselves… */
export const ENGINE_CPU = 0;
/** …Redis, the syncer and the load generator share this one. */
export const SHARED_CPU = 1;

export function log(msg: string): void {
  process.stderr.write(`[bench:writes] ${msg}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The quiet-machine wait (bench/lib/quiet-machine.ts) these knobs ask for. */
export const quietOptions = (k: VoteKnobs) => ({ cores: k.quietCores, maxWaitS: k.quietWait });
