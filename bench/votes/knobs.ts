// The votes bench's settings: the knobs bench/votes.ts reads from the environment (their shape and
// meaning here), the fixed layout (which CPU runs what, the stream), the target, and its log line.

export interface VoteKnobs {
  /** Seconds per POST /votes run (BENCH_DURATION). */
  duration: number;
  /** autocannon connection counts, one run each; wrk runs at the largest (BENCH_VOTE_CONNECTIONS). */
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
  /** What to run: fresh, steady (no-AOF stack), aof (its steady runs), reference, topics, profile (BENCH_PARTS). */
  parts: string[];
}

/** Acknowledged votes per second on one engine worker. */
export const TARGET_RPS = 50_000;
/** The engine (and the reference servers) have this CPU to themselves… */
export const ENGINE_CPU = 0;
/** …Redis, the syncer and the load generator share this one. */
export const SHARED_CPU = 1;

export function log(msg: string): void {
  process.stderr.write(`[bench:votes] ${msg}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The quiet-machine wait (bench/lib/quiet-machine.ts) these knobs ask for. */
export const quietOptions = (k: VoteKnobs) => ({ cores: k.quietCores, maxWaitS: k.quietWait });
