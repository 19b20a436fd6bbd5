// The reference arms: bench/lib/vote-ceiling.ts (bare uWS POST servers: static, XADD via ioredis,
// via autopipelined ioredis, via a raw RESP writer, via the engine's group commit) started one at a
// time on the engine's CPU,
// against the stack's Redis, driven like the engine (wrk when installed, else autocannon) and
// measured the same way: what an engine could reach on this core with each Redis client.

import { packagePath } from '../../core/runtime/package-root.js';
import { startPinned } from '../lib/child.js';
import { cpuWindow } from '../lib/cpu-window.js';
import { hasWrk } from '../lib/drivers.js';
import { freePort } from '../lib/free-port.js';
import { waitQuiet } from '../lib/quiet-machine.js';
import { ENGINE_CPU, log, quietOptions, TARGET_RPS, type VoteKnobs } from './knobs.js';
import { autocannonPost, wrkCpuS, wrkPost, type Load, type Writes } from './load.js';
import { ioStats, stackPids, type Stack } from './stack.js';

export const CEILING_MODES = ['static', 'xadd', 'xadd-pipelined', 'xadd-raw', 'batched'] as const;
export type CeilingMode = (typeof CEILING_MODES)[number];

export interface CeilingRun {
  mode: CeilingMode;
  tool: Load['tool'];
  connections: number;
  seconds: number;
  answeredPerS: number;
  targetRatio: number;
  non202: number;
  clientErrors: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerReq: number;
  redisCpuUsPerReq: number;
  clientCpuUsPerReq: number;
  /** Socket reads Redis made per request answered (1 = one read per XADD; less = commands arriving batched). */
  redisReadsPerReq: number;
  busy: { server: number; redis: number; client: number };
  otherCores: number;
}

export async function ceilingRun(s: Stack, work: string, votes: Writes, mode: CeilingMode, connections: number, knobs: VoteKnobs): Promise<CeilingRun> {
  if (s.redis === null || s.client === null) throw new Error('the reference servers need a Redis stack');
  const server = await startPinned(`vote ceiling (${mode})`, ENGINE_CPU, [packagePath('dist/bench/lib/vote-ceiling.js'), String(await freePort()), mode, s.redis.url], {}, (out) =>
    /READY \d+/.test(out),
  );
  try {
    const base = `http://127.0.0.1:${/READY (\d+)/.exec(server.output())![1]}`;
    const drive = (seconds: number) => (hasWrk() ? wrkPost(base, work, votes, connections, seconds) : autocannonPost(base, votes, connections, seconds));
    await drive(2); // warm-up
    await waitQuiet([...stackPids(s), server.pid], quietOptions(knobs), log);
    const client = s.client;
    const io0 = await ioStats(client);
    // The engine and the syncer idle meanwhile; what they use is theirs, not other load.
    const w = await cpuWindow({ server: server.pid, redis: s.redis.pid, engine: s.engine.pid, syncer: s.syncer!.pid }, () => drive(knobs.duration), wrkCpuS);
    const l = w.result;
    const io1 = await ioStats(client);
    const n = l.client202;
    const per = (sec: number) => (n === 0 ? NaN : (sec * 1e6) / n);
    return {
      mode,
      tool: l.tool,
      connections,
      seconds: l.seconds,
      answeredPerS: n / l.seconds,
      targetRatio: n / l.seconds / TARGET_RPS,
      non202: l.clientNon202,
      clientErrors: l.clientErrors,
      p50Ms: l.p50Ms,
      p99Ms: l.p99Ms,
      serverCpuUsPerReq: per(w.used.server),
      redisCpuUsPerReq: per(w.used.redis),
      clientCpuUsPerReq: per(l.clientCpuS),
      redisReadsPerReq: (io1.reads - io0.reads) / n,
      busy: { server: w.used.server / w.wallS, redis: w.used.redis / w.wallS, client: l.clientCpuS / w.wallS },
      otherCores: w.otherCores,
    };
  } finally {
    await server.stop();
  }
}
