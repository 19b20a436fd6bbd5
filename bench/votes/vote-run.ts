// One measured POST /votes run on a stack: waits for a quiet machine, runs the load, and reads what
// each process spent on it (/proc CPU of the engine, Redis, the syncer and the load generator; the
// other load on the machine; Redis INFO commandstats and socket reads/writes), then the drain
// (counting.ts). The figures of a run; the table they go in is report.ts's.

import { cpuWindow } from '../lib/cpu-window.js';
import { waitQuiet } from '../lib/quiet-machine.js';
import type { RedisPersistence } from '../lib/redis-server.js';
import { drain, settledAnswers, type Drain, type Round } from './counting.js';
import { log, quietOptions, TARGET_RPS, type VoteKnobs } from './knobs.js';
import { wrkCpuS, type Load } from './load.js';
import { assertAlive, commandStats, ioStats, stackPids, voteAnswers, type CommandStat, type Stack, type Topic } from './stack.js';

/** fresh: the engine holds fewer votes than VOTE_RECEIPTS; steady: more (a receipt evicted per vote). */
export type Phase = 'fresh' | 'steady';

export interface VoteRun {
  persistence: RedisPersistence;
  phase: Phase;
  votesBefore: number;
  tool: Load['tool'];
  connections: number;
  seconds: number;
  /** Votes the engine acknowledged (its own 202 counter, requests still in flight at the stop included). */
  acked: number;
  ackedPerS: number;
  targetRatio: number;
  /** Non-202 answers (engine counter) and client errors/timeouts. */
  non202: number;
  clientErrors: number;
  client202: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  engineCpuUsPerVote: number;
  redisCpuUsPerVote: number;
  syncerCpuUsPerVote: number;
  clientCpuUsPerVote: number;
  /** Share of one core each used during the load (1 = a whole core). */
  busy: { engine: number; redis: number; syncer: number; client: number };
  /** Cores used by other processes (and interrupts) just before and during the load; hypervisor steal. */
  otherCoresBefore: number;
  otherCores: number;
  stealCores: number;
  redisCommands: Record<string, CommandStat>;
  /** Socket reads and writes Redis made (all clients) per vote acknowledged. */
  redisReadsPerVote: number;
  redisWritesPerVote: number;
  drain: Drain;
}

export async function voteRun(
  s: Stack,
  persistence: RedisPersistence,
  phase: Phase,
  topic: Topic,
  load: () => Promise<Load>,
  round: Round,
  knobs: VoteKnobs,
): Promise<VoteRun> {
  assertAlive(s);
  const otherBefore = await waitQuiet(stackPids(s), quietOptions(knobs), log);
  await s.client.config('RESETSTAT');
  const io0 = await ioStats(s.client);
  const before = await voteAnswers(s);
  const w = await cpuWindow({ engine: s.engine.pid, redis: s.redis.pid, syncer: s.syncer.pid }, load, wrkCpuS);
  const l = w.result;
  const after = await settledAnswers(s);
  const redisCommands = await commandStats(s.client);
  const io1 = await ioStats(s.client);
  const acked = (after['202'] ?? 0) - (before['202'] ?? 0);
  const non202 = Object.entries(after)
    .filter(([status]) => status !== '202')
    .reduce((n, [status, v]) => n + v - (before[status] ?? 0), 0);
  const per = (sec: number) => (acked === 0 ? NaN : (sec * 1e6) / acked);
  const votesBefore = round.ackedBefore;
  const drained = await drain(s, topic.id, round, { acked, endMs: w.endMs, seconds: w.wallS, syncerCpu0: w.from.syncer }, knobs.drainTimeout);
  const ackedPerS = acked / l.seconds;
  return {
    persistence,
    phase,
    votesBefore,
    tool: l.tool,
    connections: l.connections,
    seconds: l.seconds,
    acked,
    ackedPerS,
    targetRatio: ackedPerS / TARGET_RPS,
    non202,
    clientErrors: l.clientErrors,
    client202: l.client202,
    p50Ms: l.p50Ms,
    p99Ms: l.p99Ms,
    p999Ms: l.p999Ms,
    maxMs: l.maxMs,
    engineCpuUsPerVote: per(w.used.engine),
    redisCpuUsPerVote: per(w.used.redis),
    syncerCpuUsPerVote: per(w.used.syncer),
    clientCpuUsPerVote: per(l.clientCpuS),
    busy: {
      engine: w.used.engine / w.wallS,
      redis: w.used.redis / w.wallS,
      syncer: w.used.syncer / w.wallS,
      client: l.clientCpuS / w.wallS,
    },
    otherCoresBefore: otherBefore,
    // Machine busy time minus the stack's, the bench process's and wrk's: other processes and interrupts.
    otherCores: w.otherCores,
    stealCores: w.stealCores,
    redisCommands,
    redisReadsPerVote: (io1.reads - io0.reads) / acked,
    redisWritesPerVote: (io1.writes - io0.writes) / acked,
    drain: drained,
  };
}
