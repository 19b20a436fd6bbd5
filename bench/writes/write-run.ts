// One measured write run on a stack (POST /votes or POST /blacklist, at full speed or at an offered
// rate): waits for a quiet machine, runs the load, and reads what each process spent on it (/proc CPU
// of the engine, Redis, the syncer and the load generator; the other load on the machine; Redis INFO
// commandstats and socket reads/writes), then checks acknowledged = counted: the votes' drain
// (counting.ts), or the reports in the log. The figures of a run; the table they go in is report.ts's.

import { cpuWindow } from '../lib/cpu-window.js';
import { waitQuiet } from '../lib/quiet-machine.js';
import { drain, settledAnswers, type Drain, type Round } from './counting.js';
import { log, quietOptions, TARGET_RPS, type StackKind, type VoteKnobs } from './knobs.js';
import { wrkCpuS, type Load, type Writes } from './load.js';
import { assertAlive, batchTotals, commandStats, ioStats, reportsLogged, routeAnswers, stackPids, type CommandStat, type Stack, type Topic } from './stack.js';

/** fresh: the engine holds fewer votes than VOTE_RECEIPTS; steady: more (a receipt evicted per vote). */
export type Phase = 'fresh' | 'steady';

/** peak: as fast as the answers come; half: autocannon offering half the peak's rate (latency). */
export type Rate = 'peak' | 'half';

export interface VoteRun {
  stack: StackKind;
  route: Writes['route'];
  rate: Rate;
  /** Requests per second offered (half-rate runs), else NaN. */
  offeredPerS: number;
  phase: Phase;
  votesBefore: number;
  tool: Load['tool'];
  connections: number;
  seconds: number;
  /** Writes the engine acknowledged (its own 202/201 counter, requests still in flight at the stop included). */
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
  /** Writes per group commit over the run (the engine's engine_write_batch_events). */
  writesPerBatch: number;
  /** Votes: the drain. Reports: null (checked at once, in `check`). */
  drain: Drain | null;
  /** Acknowledged = counted, for this run. */
  check: { ok: boolean; detail: string };
}

export async function writeRun(
  s: Stack,
  w: Writes,
  o: { phase: Phase; rate: Rate; offeredPerS?: number },
  topic: Topic,
  load: () => Promise<Load>,
  round: Round,
  knobs: VoteKnobs,
): Promise<VoteRun> {
  assertAlive(s);
  const otherBefore = await waitQuiet(stackPids(s), quietOptions(knobs), log);
  await s.client?.config('RESETSTAT');
  const io0 = s.client === null ? null : await ioStats(s.client);
  const before = await routeAnswers(s, w.route);
  const reportsBefore = w.route === 'blacklist' ? await reportsLogged(s) : 0;
  const batches0 = await batchTotals(s);
  const pids: Record<string, number> = { engine: s.engine.pid };
  if (s.redis !== null) pids.redis = s.redis.pid;
  if (s.replica !== null) pids.replica = s.replica.pid;
  if (s.syncer !== null) pids.syncer = s.syncer.pid;
  const win = await cpuWindow(pids, load, wrkCpuS);
  const l = win.result;
  const after = await settledAnswers(s, w.route);
  const batches1 = await batchTotals(s);
  const redisCommands = s.client === null ? {} : await commandStats(s.client);
  const io1 = s.client === null ? null : await ioStats(s.client);
  const acked = (after[w.ok] ?? 0) - (before[w.ok] ?? 0);
  const non202 = Object.entries(after)
    .filter(([status]) => status !== w.ok)
    .reduce((n, [status, v]) => n + v - (before[status] ?? 0), 0);
  const used = (name: string) => win.used[name] ?? NaN;
  const per = (sec: number) => (acked === 0 ? NaN : (sec * 1e6) / acked);
  const votesBefore = round.ackedBefore;
  let drained: Drain | null = null;
  let check: { ok: boolean; detail: string };
  if (w.route === 'votes') {
    drained = await drain(s, topic.id, round, { acked, endMs: win.endMs, seconds: win.wallS, syncerCpu0: win.from.syncer ?? NaN }, knobs.drainTimeout);
    check = { ok: drained.ok, detail: drained.detail };
  } else {
    const logged = (await reportsLogged(s)) - reportsBefore;
    // A 503 acknowledges nothing, though its batch may have reached the log: only a clean run must match exactly.
    const ok = logged === acked && non202 === 0;
    check = { ok, detail: `${ok ? '' : 'FAIL: '}reports in the log ${logged}, acknowledged ${acked}, other answers ${non202}` };
  }
  const ackedPerS = acked / l.seconds;
  const replicaCpu = used('replica');
  return {
    stack: s.kind,
    route: w.route,
    rate: o.rate,
    offeredPerS: o.offeredPerS ?? NaN,
    phase: o.phase,
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
    engineCpuUsPerVote: per(used('engine')),
    // A replica's CPU is Redis's too: the cost of the acknowledged write on the Redis side.
    redisCpuUsPerVote: per(used('redis') + (Number.isNaN(replicaCpu) ? 0 : replicaCpu)),
    syncerCpuUsPerVote: per(used('syncer')),
    clientCpuUsPerVote: per(l.clientCpuS),
    busy: {
      engine: used('engine') / win.wallS,
      redis: used('redis') / win.wallS,
      syncer: used('syncer') / win.wallS,
      client: l.clientCpuS / win.wallS,
    },
    otherCoresBefore: otherBefore,
    // Machine busy time minus the stack's, the bench process's and wrk's: other processes and interrupts.
    otherCores: win.otherCores,
    stealCores: win.stealCores,
    redisCommands,
    redisReadsPerVote: io0 === null || io1 === null ? NaN : (io1.reads - io0.reads) / acked,
    redisWritesPerVote: io0 === null || io1 === null ? NaN : (io1.writes - io0.writes) / acked,
    writesPerBatch: (batches1.writes - batches0.writes) / (batches1.batches - batches0.batches),
    drain: drained,
    check,
  };
}
