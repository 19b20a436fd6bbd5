// npm run bench:votes: acknowledged POST /votes per second on one engine worker with a local Redis,
// the vote processor's drain, GET /topics?include_votes=true, and where the engine's time goes.
//
// Production layout on loopback, real processes: redis-server, a syncer daemon (its vote processor
// counts votes with count-votes.lua and XADDs votes_counted events) and a standalone engine
// (ENGINE_WORKERS=1, REDIS_URL only, no S3, no rate limit). The engine has CPU 0 to itself; Redis,
// the syncer and the load generator share CPU 1 (the machine has two cores: what they use there is
// reported, so a reader can tell which side ran out).
//
// A 202 from POST /votes means: vote_cast XADDed (acknowledged by Redis) and folded by this engine's
// own follower (one XREAD round-trip). Both Redis persistence settings are measured, each on a fresh
// stack: no AOF (the fair "acknowledged by Redis" figure) and appendonly yes + appendfsync everysec.
// For each: a fresh-engine run (no AOF only), then a prefill of BENCH_PREFILL_VOTES vote_cast events
// straight into the stream so the engine holds more than VOTE_RECEIPTS votes (steady state: one
// receipt evicted per vote), then autocannon at each connection count and wrk (C, cheaper on the
// shared core) at the largest. After every run the bench waits until the tallies equal the votes
// acknowledged and reports the drain; each stack ends with a cross-check of the engine's tallies
// against Redis's. On the no-AOF stack: reference servers (bench/lib/vote-ceiling.ts: bare uWS POST,
// static / XADD via ioredis / via autopipelined ioredis / via a raw RESP writer) on the engine's core,
// then GET /topics?include_votes=true over 10 topics × 4 choices. Last, one engine under
// `node --cpu-prof`: a fresh window and a steady-state window, summarised by function and category.
// Before each run the bench waits (bounded) until other processes leave the machine nearly idle, and
// reports the CPU they used during the run.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { packagePath } from '../engine/core/package-root.js';
import { answers, killAllOnExit, startPinned, type BenchChild } from './lib/child.js';
import { frameName, summariseCpuProfile, type Frame, type ProfileSummary } from './lib/cpu-profile.js';
import { drive, hasWrk, pinSelf, wrk, type Run } from './lib/drivers.js';
import { freePort } from './lib/free-port.js';
import { machine, type Machine } from './lib/machine.js';
import { cpuSeconds } from './lib/proc-cpu.js';
import { startRedisServer, type BenchRedis, type RedisPersistence } from './lib/redis-server.js';
import { table, writeResults } from './lib/results.js';
import { BENCH_API_KEYS, BENCH_KEY } from './scenarios.js';

const TARGET_RPS = 50_000;
const ADMIN_KEY = /admin:([^,]+)/.exec(BENCH_API_KEYS)![1]!;
const STREAM = 'arcade:events';
const ENGINE_CPU = 0;
const SHARED_CPU = 1;

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const params = {
  /** Seconds per POST /votes run. */
  duration: env('BENCH_DURATION', 10),
  /** autocannon connection counts, one run each (wrk runs at the largest). */
  connections: (process.env.BENCH_VOTE_CONNECTIONS ?? '64,256').split(',').map(Number).filter((n) => n > 0),
  /** Seconds of the GET /topics autocannon run. */
  topicsDuration: env('BENCH_TOPICS_DURATION', 10),
  topicsPipelining: env('BENCH_TOPICS_PIPELINING', 16),
  /** Seconds of the POST pass under --cpu-prof. */
  profileDuration: env('BENCH_PROFILE_DURATION', 8),
  /** The profiler's sampling interval, µs. */
  profileIntervalUs: env('BENCH_PROFILE_INTERVAL_US', 1000),
  /**
   * vote_cast events XADDed straight into the stream before the steady-state runs, so the engine
   * holds more than VOTE_RECEIPTS (250,000 by default) votes and evicts a receipt per vote, as any
   * engine does after its first 250k votes.
   */
  prefill: env('BENCH_PREFILL_VOTES', 260_000),
  /** Give up waiting for the tallies after this many seconds (reported as FAIL). */
  drainTimeout: env('BENCH_DRAIN_TIMEOUT', 120),
  /** Before each run, wait up to this many seconds for other processes to use less than BENCH_QUIET_CORES. */
  quietWait: env('BENCH_QUIET_WAIT', 120),
  quietCores: env('BENCH_QUIET_CORES', 0.25),
  /** What to run: fresh, steady (no-AOF stack), aof (its steady runs), reference, topics, profile. */
  parts: (process.env.BENCH_PARTS ?? 'fresh,steady,aof,reference,topics,profile').split(',').map((p) => p.trim()),
};
const runs = (part: string) => params.parts.includes(part);

// ---------------------------------------------------------------------------------------------
// The machine: CPU used by processes other than the bench's own (a shared machine makes noise)

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy and stolen CPU seconds of the whole machine so far (/proc/stat). */
function machineCpu(): { busy: number; steal: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { busy: (user! + nice! + system! + irq! + softirq!) / TICKS, steal: steal! / TICKS };
}

/** Cores used by other processes over `ms` while the bench's own processes (pids) are idle. */
async function foreignCores(pids: number[], ms: number): Promise<number> {
  const ours = () => pids.reduce((n, pid) => n + cpuSeconds(pid), 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const m0 = machineCpu();
  const o0 = ours();
  await sleep(ms);
  return (machineCpu().busy - m0.busy - (ours() - o0)) / (ms / 1000);
}

/** Waits (at most BENCH_QUIET_WAIT s) until other processes leave the machine nearly idle. */
async function waitQuiet(pids: number[]): Promise<number> {
  const deadline = Date.now() + params.quietWait * 1000;
  let told = false;
  for (;;) {
    const other = await foreignCores(pids, 1000);
    if (other <= params.quietCores) return other;
    if (Date.now() > deadline) {
      log(`machine still busy (${other.toFixed(2)} cores used by other processes): measuring anyway`);
      return other;
    }
    if (!told) log(`machine busy (${other.toFixed(2)} cores used by other processes): waiting up to ${params.quietWait} s for it to calm down`);
    told = true;
  }
}

// ---------------------------------------------------------------------------------------------
// The stack: redis-server, syncer, engine

interface Stack {
  redis: BenchRedis;
  client: Redis;
  syncer: BenchChild;
  engine: BenchChild;
  base: string;
  internal: string;
}

async function startStack(persistence: RedisPersistence, engineNodeArgs: string[] = []): Promise<Stack> {
  const redis = await startRedisServer({ cpu: SHARED_CPU, persistence });
  const client = new Redis(redis.url, { lazyConnect: false });
  const common = { REDIS_URL: redis.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const syncerInternal = await freePort();
  const syncer = await startPinned(
    'syncer',
    SHARED_CPU,
    [packagePath('dist/syncer/main.js')],
    {
      ...common,
      INTERNAL_PORT: String(syncerInternal),
      // No feed pulls or compactions during the bench: only the start-up run and the vote processor.
      SYNC_SCHEDULE: '0 0 1 1 *',
      COMPACT_SCHEDULE: '0 0 1 1 *',
    },
    () => answers(`http://127.0.0.1:${syncerInternal}/readyz`),
  );
  const [port, internalPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const internal = `http://127.0.0.1:${internalPort}`;
  const engine = await startPinned(
    'engine',
    ENGINE_CPU,
    [...engineNodeArgs, packagePath('dist/engine/main.js')],
    {
      ...common,
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      ENGINE_WORKERS: '1',
      API_KEYS: BENCH_API_KEYS,
      // Production's default is 1000 req/s per key: the bench is one key.
      RATE_LIMIT_PER_SECOND: '0',
    },
    // Listening, and the event log replayed (the topic routes answer 503 until then).
    async () => (await answers(`${internal}/healthz`)) && (await answers(`${base}/topics?api_key=${BENCH_KEY}`)),
  );
  return { redis, client, syncer, engine, base, internal };
}

/** Fails with what a dead process printed, rather than with a missing /proc entry later. */
function assertAlive(s: Stack): void {
  for (const [name, c] of [['engine', s.engine], ['syncer', s.syncer]] as const) {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) {
      throw new Error(`${name} exited (code ${c.proc.exitCode}, signal ${c.proc.signalCode}):\n${c.output().slice(-4000)}`);
    }
  }
}

async function stopStack(s: Stack): Promise<void> {
  await s.engine.stop();
  await s.syncer.stop();
  s.client.disconnect();
  await s.redis.stop();
}

/** Creates a topic with `n` choices; returns its id and its choices' ids. */
async function createTopic(s: Stack, title: string, n: number): Promise<{ id: number; choices: number[] }> {
  const res = await fetch(`${s.base}/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
    body: JSON.stringify({ title, choices: Array.from({ length: n }, (_, i) => ({ description: `choice ${i + 1}` })) }),
  });
  const body = (await res.json()) as { id: number; choices: { id: number }[] };
  if (res.status !== 201) throw new Error(`POST /topics answered ${res.status}: ${JSON.stringify(body)}`);
  return { id: body.id, choices: body.choices.map((c) => c.id) };
}

/** Sum of a topic's tallies as this engine's fold has them. */
async function talliesOf(s: Stack, topicId: number): Promise<number> {
  const res = await fetch(`${s.base}/topics/${topicId}?include_votes=true`, { headers: { 'x-api-key': BENCH_KEY } });
  const body = (await res.json()) as { choices: { votes: number | null }[] };
  if (res.status !== 200) throw new Error(`GET /topics/${topicId} answered ${res.status}`);
  return body.choices.reduce((n, c) => n + (c.votes ?? 0), 0);
}

/** POST /votes answers by status, from the engine's own request counter (exact: in-flight ones included). */
async function voteAnswers(s: Stack): Promise<Record<string, number>> {
  const text = await (await fetch(`${s.internal}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^engine_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.route === 'votes') out[labels.status!] = (out[labels.status!] ?? 0) + Number(m[2]);
  }
  return out;
}

interface CommandStat {
  calls: number;
  usec: number;
  usecPerCall: number;
}

/** Redis's read and write events on client sockets so far (INFO stats): syscalls, roughly. */
async function ioStats(client: Redis): Promise<{ reads: number; writes: number }> {
  const info = await client.info('stats');
  const n = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { reads: n('total_reads_processed'), writes: n('total_writes_processed') };
}

async function commandStats(client: Redis): Promise<Record<string, CommandStat>> {
  const info = await client.info('commandstats');
  const out: Record<string, CommandStat> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/gm)) {
    out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]), usecPerCall: Number(m[4]) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One POST /votes run and its drain

interface Cpu {
  engine: number;
  redis: number;
  syncer: number;
}

const stackPids = (s: Stack) => [s.engine.pid, s.redis.pid, s.syncer.pid];

const cpuNow = (s: Stack): Cpu => ({ engine: cpuSeconds(s.engine.pid), redis: cpuSeconds(s.redis.pid), syncer: cpuSeconds(s.syncer.pid) });

interface Load {
  tool: 'autocannon' | 'wrk';
  connections: number;
  seconds: number;
  /** Answers the client saw. */
  clientResponses: number;
  client202: number;
  clientNon202: number;
  clientErrors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Load generator CPU (autocannon: this process; wrk: its own), seconds. */
  clientCpuS: number;
}

export interface VoteRun {
  persistence: RedisPersistence;
  /** fresh: the engine holds fewer votes than VOTE_RECEIPTS; steady: more (a receipt evicted per vote). */
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

interface Drain {
  /** Votes acknowledged but not yet counted (in this engine's fold) when the load stopped. */
  backlogAtEnd: number;
  /** Counted during the load, per second. */
  countedPerSDuringLoad: number;
  /** From the end of the load until the tallies equal the votes acknowledged, s. */
  seconds: number;
  /** backlog / seconds (NaN with no backlog). */
  countedPerS: number;
  syncerCpuUsPerVote: number;
  ok: boolean;
  detail: string;
}

const voteBodies = (topicId: number, choices: number[]) => choices.map((c) => JSON.stringify({ topic_id: topicId, choice_id: c }));

async function autocannonPost(base: string, bodies: string[], connections: number, duration: number): Promise<Load> {
  const cpu0 = process.cpuUsage();
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: base,
        requests: bodies.map((body) => ({
          method: 'POST' as const,
          path: '/votes',
          headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY },
          body,
        })),
        connections,
        pipelining: 1,
        duration,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: process.stderr.isTTY, renderResultsTable: false, renderLatencyTable: false });
  });
  const cpu = process.cpuUsage(cpu0);
  const c202 = r.statusCodeStats?.['202']?.count ?? 0;
  return {
    tool: 'autocannon',
    connections,
    seconds: r.duration,
    clientResponses: r.requests.total,
    client202: c202,
    clientNon202: r.requests.total - c202,
    clientErrors: r.errors + r.timeouts,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    p999Ms: r.latency.p99_9,
    maxMs: r.latency.max,
    clientCpuS: (cpu.user + cpu.system) / 1e6,
  };
}

/** wrk -t1 with a Lua script cycling through the vote bodies; latency in µs. */
async function wrkPost(base: string, work: string, bodies: string[], connections: number, duration: number): Promise<Load> {
  const script = join(work, `votes-${connections}.lua`);
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["x-api-key"] = "${BENCH_KEY}"\n` +
      `local bodies = { ${bodies.map((b) => `'${b}'`).join(', ')} }\nlocal i = 0\n` +
      `request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, "/votes", nil, bodies[i])\nend\n` +
      `done = function(summary, latency, requests)\n  io.write(string.format("JSON {\\"requests\\":%d,\\"status\\":%d,\\"errors\\":%d,\\"p50\\":%d,\\"p99\\":%d,\\"p999\\":%d,\\"max\\":%d,\\"seconds\\":%f}\\n",` +
      ` summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,` +
      ` latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, summary.duration / 1e6))\nend\n`,
  );
  const stdout = await runWrk(['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '5s', '-s', script, base]);
  const j = JSON.parse(/JSON (\{.*\})/.exec(stdout)?.[1] ?? '{}') as Record<string, number>;
  const requests = j.requests ?? 0;
  // wrk counts only statuses above 399 as status errors: the rest of a votes run is 202.
  return {
    tool: 'wrk',
    connections,
    seconds: j.seconds ?? duration,
    clientResponses: requests,
    client202: requests - (j.status ?? 0),
    clientNon202: j.status ?? NaN,
    clientErrors: j.errors ?? NaN,
    p50Ms: (j.p50 ?? NaN) / 1000,
    p99Ms: (j.p99 ?? NaN) / 1000,
    p999Ms: (j.p999 ?? NaN) / 1000,
    maxMs: (j.max ?? NaN) / 1000,
    clientCpuS: wrkCpuS(stdout),
  };
}

/**
 * wrk on the shared CPU through sh, which prints its own /proc stat after wrk exits: the children's
 * CPU time (cutime + cstime) there is wrk's.
 */
function runWrk(args: string[]): Promise<string> {
  return new Promise<string>((resolve) =>
    execFile(
      'taskset',
      ['-c', String(SHARED_CPU), 'sh', '-c', 'wrk "$@"; read -r stat < /proc/$$/stat; echo "STAT $stat"', 'sh', ...args],
      { encoding: 'utf8' },
      (_e, out) => resolve(out),
    ),
  );
}

function wrkCpuS(stdout: string): number {
  const stat = /^STAT (.*)$/m.exec(stdout)?.[1];
  if (stat === undefined) return NaN;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the votes are all in flight no more: the engine's 202 counter stops moving. */
async function settledAnswers(s: Stack): Promise<Record<string, number>> {
  let last = await voteAnswers(s);
  for (;;) {
    await sleep(200);
    const now = await voteAnswers(s);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
}

/** Votes so far on a stack: acknowledged (engine 202s + prefilled), and the tallies last seen. */
interface Round {
  ackedBefore: number;
  talliesBefore: number;
  prefilled: number;
}

type Phase = 'fresh' | 'steady';

/**
 * XADDs `n` vote_cast events as an engine writes them (pipelines of 1,000), then waits until the
 * syncer has counted them and the engine folded the counts: afterwards the engine holds more votes
 * than it keeps receipts for.
 */
async function prefill(s: Stack, topic: { id: number; choices: number[] }, n: number, round: Round): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1_000) {
    const p = s.client.pipeline();
    for (let k = i; k < Math.min(n, i + 1_000); k++) {
      p.xadd(STREAM, '*', 'type', 'vote_cast', 'data', JSON.stringify({ topic_id: topic.id, choice_id: topic.choices[k % topic.choices.length], queued_at: Date.now() }));
    }
    await p.exec();
  }
  round.ackedBefore += n;
  round.prefilled += n;
  const deadline = performance.now() + params.drainTimeout * 1000;
  let tallies = await talliesOf(s, topic.id);
  while (tallies < round.ackedBefore && performance.now() < deadline) {
    await sleep(100);
    tallies = await talliesOf(s, topic.id);
  }
  if (tallies !== round.ackedBefore) throw new Error(`prefill: tallies ${tallies} ≠ ${round.ackedBefore} after ${params.drainTimeout} s`);
  round.talliesBefore = tallies;
  return (performance.now() - t0) / 1000;
}

async function voteRun(
  s: Stack,
  persistence: RedisPersistence,
  phase: Phase,
  topic: { id: number; choices: number[] },
  load: () => Promise<Load>,
  round: Round,
): Promise<VoteRun> {
  assertAlive(s);
  const otherBefore = await waitQuiet(stackPids(s));
  await s.client.config('RESETSTAT');
  const io0 = await ioStats(s.client);
  const before = await voteAnswers(s);
  const cpu0 = cpuNow(s);
  const m0 = machineCpu();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const l = await load();
  const wall = (performance.now() - t0) / 1000;
  const loadEnd = performance.now();
  const cpu1 = cpuNow(s);
  const m1 = machineCpu();
  const self = process.cpuUsage(self0);
  const after = await settledAnswers(s);
  const redisCommands = await commandStats(s.client);
  const io1 = await ioStats(s.client);
  const acked = (after['202'] ?? 0) - (before['202'] ?? 0);
  const non202 = Object.entries(after)
    .filter(([status]) => status !== '202')
    .reduce((n, [status, v]) => n + v - (before[status] ?? 0), 0);
  const per = (sec: number) => (acked === 0 ? NaN : (sec * 1e6) / acked);

  // Drain: until this engine's fold has every acknowledged vote counted.
  const expected = round.ackedBefore + acked;
  const talliesAtEnd = await talliesOf(s, topic.id);
  let tallies = talliesAtEnd;
  const deadline = loadEnd + params.drainTimeout * 1000;
  while (tallies < expected && performance.now() < deadline) {
    await sleep(20);
    tallies = await talliesOf(s, topic.id);
  }
  const drained = performance.now();
  // Equal, or settled above (a vote counted twice) or below (lost): wait a moment to see overshoot.
  await sleep(300);
  tallies = await talliesOf(s, topic.id);
  const cpu2 = cpuNow(s);
  const backlog = expected - talliesAtEnd;
  const drainS = Math.max(0, (drained - loadEnd) / 1000);
  const ok = tallies === expected;
  const drain: Drain = {
    backlogAtEnd: backlog,
    countedPerSDuringLoad: (talliesAtEnd - round.talliesBefore) / wall,
    seconds: drainS,
    countedPerS: backlog > 0 && drainS > 0 ? backlog / drainS : NaN,
    syncerCpuUsPerVote: acked === 0 ? NaN : ((cpu2.syncer - cpu0.syncer) * 1e6) / acked,
    ok,
    detail: ok ? `tallies ${tallies} = acknowledged ${expected}` : `FAIL: tallies ${tallies} ≠ acknowledged ${expected}`,
  };
  round.ackedBefore = expected;
  round.talliesBefore = tallies;
  const ackedPerS = acked / l.seconds;
  return {
    persistence,
    phase,
    votesBefore: expected - acked,
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
    engineCpuUsPerVote: per(cpu1.engine - cpu0.engine),
    redisCpuUsPerVote: per(cpu1.redis - cpu0.redis),
    syncerCpuUsPerVote: per(cpu1.syncer - cpu0.syncer),
    clientCpuUsPerVote: per(l.clientCpuS),
    busy: {
      engine: (cpu1.engine - cpu0.engine) / wall,
      redis: (cpu1.redis - cpu0.redis) / wall,
      syncer: (cpu1.syncer - cpu0.syncer) / wall,
      client: l.clientCpuS / wall,
    },
    otherCoresBefore: otherBefore,
    // Machine busy time minus the stack's, the bench process's and wrk's: other processes and interrupts.
    otherCores:
      (m1.busy - m0.busy - (cpu1.engine - cpu0.engine) - (cpu1.redis - cpu0.redis) - (cpu1.syncer - cpu0.syncer) -
        (self.user + self.system) / 1e6 - (l.tool === 'wrk' ? l.clientCpuS || 0 : 0)) /
      wall,
    stealCores: (m1.steal - m0.steal) / wall,
    redisCommands,
    redisReadsPerVote: (io1.reads - io0.reads) / acked,
    redisWritesPerVote: (io1.writes - io0.writes) / acked,
    drain,
  };
}

// ---------------------------------------------------------------------------------------------
// Reference servers (bench/lib/vote-ceiling.ts) on the engine's core, against the same Redis

export type CeilingMode = 'static' | 'xadd' | 'xadd-pipelined' | 'xadd-raw';

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

async function ceilingRun(s: Stack, work: string, bodies: string[], mode: CeilingMode, connections: number): Promise<CeilingRun> {
  const server = await startPinned(`vote ceiling (${mode})`, ENGINE_CPU, [packagePath('dist/bench/lib/vote-ceiling.js'), String(await freePort()), mode, s.redis.url], {}, (out) =>
    /READY \d+/.test(out),
  );
  try {
    const base = `http://127.0.0.1:${/READY (\d+)/.exec(server.output())![1]}`;
    const drive = (seconds: number) => (hasWrk() ? wrkPost(base, work, bodies, connections, seconds) : autocannonPost(base, bodies, connections, seconds));
    await drive(2); // warm-up
    await waitQuiet([...stackPids(s), server.pid]);
    const io0 = await ioStats(s.client);
    const c0 = { server: cpuSeconds(server.pid), redis: cpuSeconds(s.redis.pid) };
    const m0 = machineCpu();
    const others0 = cpuSeconds(s.engine.pid) + cpuSeconds(s.syncer.pid);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const l = await drive(params.duration);
    const wall = (performance.now() - t0) / 1000;
    const c1 = { server: cpuSeconds(server.pid), redis: cpuSeconds(s.redis.pid) };
    const m1 = machineCpu();
    const self = process.cpuUsage(self0);
    const others = cpuSeconds(s.engine.pid) + cpuSeconds(s.syncer.pid) - others0;
    const io1 = await ioStats(s.client);
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
      serverCpuUsPerReq: per(c1.server - c0.server),
      redisCpuUsPerReq: per(c1.redis - c0.redis),
      clientCpuUsPerReq: per(l.clientCpuS),
      redisReadsPerReq: (io1.reads - io0.reads) / n,
      busy: { server: (c1.server - c0.server) / wall, redis: (c1.redis - c0.redis) / wall, client: l.clientCpuS / wall },
      otherCores:
        (m1.busy - m0.busy - (c1.server - c0.server) - (c1.redis - c0.redis) - others - (self.user + self.system) / 1e6 - (l.tool === 'wrk' ? l.clientCpuS || 0 : 0)) / wall,
    };
  } finally {
    await server.stop();
  }
}

/** The final cross-check of a stack: engine fold, Redis tallies hash and processed set agree. */
async function crossCheck(s: Stack, topicId: number, round: Round): Promise<{ ok: boolean; detail: string }> {
  const acked = round.ackedBefore;
  const fold = await talliesOf(s, topicId);
  const hash = Object.values(await s.client.hgetall(`${STREAM}:votes:tallies`)).reduce((n, v) => n + Number(v), 0);
  const processed = await s.client.zcard(`${STREAM}:votes:processed`);
  const ok = fold === acked && hash === acked && processed === acked;
  const detail =
    `votes ${acked} (engine 202s ${acked - round.prefilled} + ${round.prefilled} prefilled), engine tallies ${fold}, ` +
    `Redis tallies ${hash}, Redis processed set ${processed}`;
  return { ok, detail: ok ? `OK: ${detail}` : `FAIL: ${detail}` };
}

// ---------------------------------------------------------------------------------------------
// The profile pass

const SOCKET_WRITES = new Set(['writeUtf8String', 'writeBuffer', 'writev', 'writeLatin1String', 'writeAsciiString']);
const LOOP = 'native outside JS (uWS/libuv loop: epoll, HTTP reads/parsing, accepting)';

/**
 * The category of a sample: its own frame first, then its callers, so that a Buffer or node:net
 * call lands with the code that made it; what no specific rule claims falls to the generic ones.
 */
function category(stack: readonly Frame[]): string {
  const self = stack[0]!;
  switch (self.functionName) {
    case '(garbage collector)':
      return 'GC';
    case '(program)':
    case '(root)':
      return LOOP;
  }
  if (self.url === '' && SOCKET_WRITES.has(self.functionName)) return 'Redis socket writes (one write syscall per command)';
  for (const f of stack) {
    const u = f.url;
    if (u === '') continue;
    if (/node_modules\/(ioredis|@ioredis|redis-parser|denque|standard-as-callback|cluster-key-slot|redis-errors)\//.test(u)) return 'ioredis (command encoding, reply parsing, callbacks)';
    if (/^node:(net|stream|internal\/(net|stream_base_commons|streams\/))/.test(u)) return 'Redis socket reads + stream plumbing (node:net)';
    if (/^node:(internal\/)?timers/.test(u)) return 'timers (a setTimeout + clearTimeout per vote in outcome())';
    if (u.includes('/engine/http/body.')) return 'body read + JSON.parse (onData chunk copy, Buffer.concat, toString, parse)';
    if (u.includes('/engine/http/respond.')) return 'response write (uWS cork/writeStatus/end, incl. its send syscall)';
    if (u.includes('/engine/store/redis-event-log.') || u.includes('/engine/store/event-log.')) return 'event log wrapper (append: JSON.stringify; follower read: decode, JSON.parse, id compare)';
    if (/\/engine\/(indexes|core\/events|sync\/)/.test(u)) return 'fold + outcome() wait (stream holder, vote receipts, follower)';
    if (u.includes('/engine/routes/')) return 'route logic (write-route, votes: validation, 202 body JSON + toISOString)';
    if (u.includes('/engine/metrics/') || u.includes('/node_modules/prom-client/')) return 'request metrics';
    if (u.includes('/engine/http/')) return 'http helpers (auth, query, admit)';
    if (u.includes('/engine/')) return `engine other (${u.slice(u.lastIndexOf('/engine/') + 1)})`;
  }
  for (const f of stack) {
    const u = f.url;
    if (u.startsWith('node:internal/process/task_queues') || u.startsWith('node:internal/process/promises')) return 'promise/nextTick queue';
    if (u.startsWith('node:')) return `node internals (${u})`;
    if (u.includes('/node_modules/')) return `other module (${u.slice(u.lastIndexOf('/node_modules/') + 14).split('/')[0]})`;
  }
  return `other: ${frameName(self)}`;
}

interface ProfilePass {
  phase: Phase;
  run: VoteRun;
  summary: ProfileSummary;
}

/**
 * One engine under --cpu-prof, two measured windows: fresh (fewer votes than VOTE_RECEIPTS), then,
 * after the prefill, steady state. The profile covers the process's life; each summary counts only
 * the samples of its load window.
 */
async function profilePasses(work: string, connections: number): Promise<ProfilePass[]> {
  const dir = join(work, 'cpu-prof');
  log(`profile passes: engine under node --cpu-prof (${params.profileIntervalUs} µs sampling), autocannon ${connections} connections, ${params.profileDuration} s fresh, then ${params.profileDuration} s steady`);
  const s = await startStack('none', ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(params.profileIntervalUs)]);
  const passes: { phase: Phase; run: VoteRun; window: { fromUs: number; toUs: number } }[] = [];
  try {
    const topic = await createTopic(s, 'profile', 4);
    const bodies = voteBodies(topic.id, topic.choices);
    const round: Round = { ackedBefore: 0, talliesBefore: 0, prefilled: 0 };
    await voteRun(s, 'none', 'fresh', topic, () => autocannonPost(s.base, bodies, connections, 2), round); // warm-up, outside the windows
    for (const phase of ['fresh', 'steady'] as const) {
      if (phase === 'steady') await prefill(s, topic, params.prefill, round);
      // process.hrtime and V8's profile timestamps are both CLOCK_MONOTONIC on Linux: only the load counts.
      let from = 0n;
      let to = 0n;
      const run = await voteRun(s, 'none', phase, topic, async () => {
        from = process.hrtime.bigint();
        const l = await autocannonPost(s.base, bodies, connections, params.profileDuration);
        to = process.hrtime.bigint();
        return l;
      }, round);
      passes.push({ phase, run, window: { fromUs: Number(from / 1000n), toUs: Number(to / 1000n) } });
      log(`  ${phase}: ${f(run.ackedPerS)} acked/s under the profiler, engine ${f(run.engineCpuUsPerVote, 1)} µs/vote`);
    }
  } finally {
    await stopStack(s); // SIGTERM: the engine exits 0 and writes its profile
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return passes.map((p) => ({ phase: p.phase, run: p.run, summary: summariseCpuProfile(join(dir, file), category, 30, p.window) }));
}

// ---------------------------------------------------------------------------------------------
// Main

interface StackResult {
  persistence: RedisPersistence;
  runs: VoteRun[];
  check: { ok: boolean; detail: string };
}

async function main(): Promise<void> {
  killAllOnExit();
  const host = machine();
  log(`machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, uWS ${host.uws}`);
  pinSelf(SHARED_CPU);
  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-bench-votes-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const maxConnections = Math.max(...params.connections);

  const stacks: StackResult[] = [];
  const ceilings: CeilingRun[] = [];
  const topicsRuns: Run[] = [];
  let topicsBytes = 0;
  const persistences: RedisPersistence[] = ['none', ...(runs('aof') ? (['aof-everysec'] as const) : [])];
  for (const persistence of persistences) {
    log(`stack: redis-server (${persistence === 'none' ? 'no AOF, no RDB' : 'appendonly yes, appendfsync everysec'}) + syncer on CPU ${SHARED_CPU}, engine (1 worker) on CPU ${ENGINE_CPU}`);
    const s = await startStack(persistence);
    try {
      const topic = await createTopic(s, 'bench topic 1', 4);
      const bodies = voteBodies(topic.id, topic.choices);
      const round: Round = { ackedBefore: 0, talliesBefore: 0, prefilled: 0 };
      log('warm-up: autocannon 64 connections, 3 s');
      await voteRun(s, persistence, 'fresh', topic, () => autocannonPost(s.base, bodies, 64, 3), round);
      const voteRuns: VoteRun[] = [];
      if (persistence === 'none' && runs('fresh')) {
        log(`POST /votes on a fresh engine (${f(round.ackedBefore)} votes so far): autocannon, 64 connections, ${params.duration} s`);
        voteRuns.push(await voteRun(s, persistence, 'fresh', topic, () => autocannonPost(s.base, bodies, 64, params.duration), round));
        logRun(voteRuns[voteRuns.length - 1]!);
      }
      if (persistence !== 'none' || runs('steady')) {
        log(`prefill: ${f(params.prefill)} vote_cast events XADDed straight into the stream, counted and folded`);
        const prefillS = await prefill(s, topic, params.prefill, round);
        log(`  done in ${f(prefillS, 1)} s; the engine now holds ${f(round.ackedBefore)} votes`);
        for (const c of params.connections) {
          log(`POST /votes (steady state): autocannon, ${c} connections, ${params.duration} s`);
          voteRuns.push(await voteRun(s, persistence, 'steady', topic, () => autocannonPost(s.base, bodies, c, params.duration), round));
          logRun(voteRuns[voteRuns.length - 1]!);
        }
        if (hasWrk()) {
          log(`POST /votes (steady state): wrk -t1, ${maxConnections} connections, ${params.duration} s`);
          voteRuns.push(await voteRun(s, persistence, 'steady', topic, () => wrkPost(s.base, work, bodies, maxConnections, params.duration), round));
          logRun(voteRuns[voteRuns.length - 1]!);
        } else {
          log('wrk is not installed: autocannon runs only');
        }
      }
      const check = await crossCheck(s, topic.id, round);
      log(check.detail);
      stacks.push({ persistence, runs: voteRuns, check });

      if (persistence === 'none' && runs('reference')) {
        for (const mode of ['static', 'xadd', 'xadd-pipelined', 'xadd-raw'] as const) {
          log(`reference: bare uWS POST (${mode}) on CPU ${ENGINE_CPU}, ${hasWrk() ? 'wrk' : 'autocannon'} ${maxConnections} connections, ${params.duration} s`);
          const c = await ceilingRun(s, work, bodies, mode, maxConnections);
          assertAlive(s);
          log(`  ${f(c.answeredPerS)} answered/s (${f(c.targetRatio, 2)} × target), server ${f(c.serverCpuUsPerReq, 1)} µs/req, Redis ${f(c.redisCpuUsPerReq, 1)} µs/req`);
          ceilings.push(c);
        }
      }

      if (persistence === 'none' && runs('topics')) {
        assertAlive(s);
        for (let t = 2; t <= 10; t++) await createTopic(s, `bench topic ${t}`, 4);
        const res = await fetch(`${s.base}/topics?include_votes=true`, { headers: { 'x-api-key': BENCH_KEY } });
        topicsBytes = (await res.arrayBuffer()).byteLength;
        if (res.status !== 200) throw new Error(`GET /topics answered ${res.status}`);
        assertAlive(s);
        const target = { name: 'engine', pid: s.engine.pid, base: s.base };
        const requests = [{ path: '/topics?include_votes=true', headers: { 'x-api-key': BENCH_KEY } }];
        await drive(target, requests, { duration: 2, connections: 64, pipelining: 1 }, 'warmup', 0);
        for (const pipelining of [1, params.topicsPipelining]) {
          log(`GET /topics?include_votes=true (10 topics × 4 choices, ${topicsBytes} bytes): autocannon 64 connections, pipelining ${pipelining}, ${params.topicsDuration} s`);
          await waitQuiet(stackPids(s));
          topicsRuns.push(await drive(target, requests, { duration: params.topicsDuration, connections: 64, pipelining }, pipelining === 1 ? 'get_topics' : 'get_topics_pipelined', 1));
          log(`  ${f(topicsRuns[topicsRuns.length - 1]!.rps)} req/s, engine ${f(topicsRuns[topicsRuns.length - 1]!.cpuUsPerReq, 1)} µs/req`);
        }
        if (hasWrk()) {
          log('GET /topics?include_votes=true: wrk 64 connections, no pipelining, 5 s');
          await waitQuiet(stackPids(s));
          topicsRuns.push(await wrk(target, work, requests, { depth: 1 }, 'get_topics', 1));
          log(`  ${f(topicsRuns[topicsRuns.length - 1]!.rps)} req/s, engine ${f(topicsRuns[topicsRuns.length - 1]!.cpuUsPerReq, 1)} µs/req`);
        }
      }
    } finally {
      await stopStack(s);
    }
  }

  const profiles = runs('profile') ? await profilePasses(work, 64) : [];

  const markdown = report(host, stacks, ceilings, topicsRuns, topicsBytes, profiles);
  process.stdout.write('\n' + markdown + '\n');
  const files = writeResults('votes', { machine: host, params, targetRps: TARGET_RPS, stacks, ceilings, topics: { bytes: topicsBytes, runs: topicsRuns }, profiles }, markdown);
  log(`wrote ${files.join(', ')}`);
  if (stacks.some((s) => !s.check.ok || s.runs.some((r) => !r.drain.ok))) {
    log('FAIL: tallies did not match the acknowledged votes (see above)');
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
const pct = (x: number) => `${f(x * 100, 1)}%`;
const persistenceName = (p: RedisPersistence) => (p === 'none' ? 'no AOF' : 'AOF everysec');

function logRun(r: VoteRun): void {
  log(
    `  ${f(r.ackedPerS)} acked/s (${f(r.targetRatio, 2)} × target), p50 ${f(r.p50Ms, 2)} ms, p99 ${f(r.p99Ms, 2)} ms, non-202 ${r.non202}, errors ${r.clientErrors}; ` +
      `CPU µs/vote engine ${f(r.engineCpuUsPerVote, 1)}, redis ${f(r.redisCpuUsPerVote, 1)}, syncer ${f(r.syncerCpuUsPerVote, 1)}; ` +
      `drain ${f(r.drain.seconds, 2)} s (backlog ${r.drain.backlogAtEnd}); ${r.drain.detail}; other load ${f(r.otherCores, 2)} cores`,
  );
}

function report(host: Machine, stacks: StackResult[], ceilings: CeilingRun[], topicsRuns: Run[], topicsBytes: number, profiles: ProfilePass[]): string {
  const all = stacks.flatMap((s) => s.runs);
  const bestOf = (p: RedisPersistence, phase: Phase) =>
    all.filter((r) => r.persistence === p && r.phase === phase).sort((a, b) => b.ackedPerS - a.ackedPerS)[0];
  const headline = (['none', 'aof-everysec'] as const).map((p) => {
    const b = bestOf(p, 'steady');
    return b === undefined
      ? `${persistenceName(p)}: not measured`
      : `**${persistenceName(p)}, steady state: ${f(b.ackedPerS)} acknowledged votes/s = ${f(b.targetRatio, 2)} × the ${f(TARGET_RPS)}/s target** ` +
          `(${b.tool}, ${b.connections} connections; engine ${f(b.engineCpuUsPerVote, 1)} µs/vote, p50 ${f(b.p50Ms, 2)} ms, p99 ${f(b.p99Ms, 2)} ms)`;
  });
  const fresh = bestOf('none', 'fresh');
  if (fresh !== undefined) {
    headline.push(
      `no AOF, fresh engine (fewer than VOTE_RECEIPTS votes held): ${f(fresh.ackedPerS)} acknowledged votes/s = ${f(fresh.targetRatio, 2)} × target ` +
        `(${fresh.tool}, ${fresh.connections} connections; engine ${f(fresh.engineCpuUsPerVote, 1)} µs/vote)`,
    );
  }
  const redisCmds = (r: VoteRun) =>
    Object.entries(r.redisCommands)
      .filter(([, c]) => c.calls > 0)
      .sort((a, b) => b[1].usec - a[1].usec)
      .slice(0, 6)
      .map(([name, c]) => `${name} ${f(c.calls)}× ${f(c.usecPerCall, 2)} µs`)
      .join(', ');
  const lines = [
    '# POST /votes (acknowledged by Redis) and GET /topics?include_votes=true',
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node} · uWS ${host.uws}`,
    `Real processes on loopback: redis-server 7, a syncer daemon (vote processor, count-votes.lua) and a standalone engine ` +
      `(ENGINE_WORKERS=1, REDIS_URL only, RATE_LIMIT_PER_SECOND=0). The engine is pinned to CPU ${ENGINE_CPU}; Redis, the syncer and the ` +
      `load generator share CPU ${SHARED_CPU}. A 202 comes after the vote_cast XADD is acknowledged and the engine's own follower has ` +
      `folded it (one more XREAD round-trip). "Acknowledged" counts the engine's own 202 counter (requests in flight when the client ` +
      `stopped included: their votes are in the stream); the client's 202 count is beside it. ${params.duration} s per run, pipelining 1.`,
    '',
    `"fresh": the engine holds fewer votes than VOTE_RECEIPTS (250,000 by default). "steady": after ${f(params.prefill)} vote_cast events ` +
      'were XADDed straight into the stream (and counted), so the engine evicts one receipt per new vote, as every engine does once it ' +
      'has seen 250k votes. Steady state is the figure that holds in production.',
    '',
    ...headline.map((h) => `- ${h}`),
    '',
    table(
      ['Redis', 'engine', 'tool', 'conns', 'acked/s', '× target', 'non-202', 'errors', 'p50 ms', 'p99 ms', 'p99.9 ms', 'engine µs/vote', 'Redis µs/vote', 'syncer µs/vote', 'client µs/vote', 'busy engine / redis / syncer / client', 'other cores (before / during)'],
      all.map((r) => [
        persistenceName(r.persistence),
        `${r.phase} (${f(r.votesBefore)} votes before)`,
        r.tool,
        r.connections,
        f(r.ackedPerS),
        f(r.targetRatio, 2),
        f(r.non202),
        f(r.clientErrors),
        f(r.p50Ms, 2),
        f(r.p99Ms, 2),
        f(r.p999Ms, 2),
        f(r.engineCpuUsPerVote, 1),
        f(r.redisCpuUsPerVote, 1),
        f(r.syncerCpuUsPerVote, 1),
        f(r.clientCpuUsPerVote, 1),
        `${pct(r.busy.engine)} / ${pct(r.busy.redis)} / ${pct(r.busy.syncer)} / ${Number.isFinite(r.busy.client) ? pct(r.busy.client) : 'n/a'}`,
        `${f(r.otherCoresBefore, 2)} / ${f(r.otherCores, 2)}`,
      ]),
    ),
    '',
    'CPU µs/vote = the process\'s user + system time over the run (/proc/<pid>/stat) ÷ votes acknowledged; "busy" = CPU seconds ÷ wall seconds ' +
      '(100% = one core). Syncer time during the load only; its drain time is below. autocannon latency has 1 ms resolution, wrk\'s 1 µs. ' +
      '"Other cores": CPU used on the machine by anything but these processes, the bench and wrk (other processes, interrupts, ' +
      'loopback softirq work not charged to a process), measured over 1 s just before the run (the bench waits for it to fall below ' +
      `${params.quietCores} cores, at most ${params.quietWait} s) and during it. Runs with other load during them are noisy.`,
    '',
    ...(ceilings.length === 0
      ? []
      : [
          '## Reference: bare uWS POST servers on the same core, same Redis (no AOF)',
          '',
          'bench/lib/vote-ceiling.ts: no auth, no metrics, no fold wait. `static` reads the body and answers a fixed 202 (the floor of one ' +
            'unpipelined POST on this core); `xadd` also JSON.parses it, XADDs a vote_cast-like entry with ioredis\'s defaults (one socket ' +
            'write per command) and answers once Redis acknowledged it; `xadd-pipelined` is the same with ioredis `enableAutoPipelining` ' +
            '(the XADDs of one event-loop turn in one write), as the engine\'s shared connection has been since f8a73a9; `xadd-raw` sends the same XADDs through a ~60-line RESP ' +
            'writer/reader on node:net (one write per event-loop turn, no ioredis): the floor of a Redis-acknowledged vote from Node on this core.',
          '',
          table(
            ['server', 'tool', 'conns', 'answered/s', '× target', 'non-202', 'errors', 'p50 ms', 'p99 ms', 'server µs/req', 'Redis µs/req', 'Redis reads/req', 'client µs/req', 'busy server / redis / client', 'other cores'],
            ceilings.map((c) => [
              c.mode,
              c.tool,
              c.connections,
              f(c.answeredPerS),
              f(c.targetRatio, 2),
              f(c.non202),
              f(c.clientErrors),
              f(c.p50Ms, 2),
              f(c.p99Ms, 2),
              f(c.serverCpuUsPerReq, 1),
              f(c.redisCpuUsPerReq, 1),
              f(c.redisReadsPerReq, 2),
              f(c.clientCpuUsPerReq, 1),
              `${pct(c.busy.server)} / ${pct(c.busy.redis)} / ${pct(c.busy.client)}`,
              f(c.otherCores, 2),
            ]),
          ),
          '',
        ]),
    '## Vote processor: drain and cross-check',
    '',
    table(
      ['Redis', 'engine', 'tool', 'conns', 'acked', 'client 202s', 'counted/s during load', 'backlog at load end', 'drain s', 'drain counted/s', 'syncer µs/vote (load + drain)', 'tallies'],
      all.map((r) => [
        persistenceName(r.persistence),
        r.phase,
        r.tool,
        r.connections,
        f(r.acked),
        f(r.client202),
        f(r.drain.countedPerSDuringLoad),
        f(r.drain.backlogAtEnd),
        f(r.drain.seconds, 2),
        f(r.drain.countedPerS),
        f(r.drain.syncerCpuUsPerVote, 1),
        r.drain.ok ? 'equal' : r.drain.detail,
      ]),
    ),
    '',
    'Drain = from the end of the load until GET /topics/1?include_votes=true on the engine (its fold of votes_counted) sums to the votes acknowledged (polled every 20 ms).',
    ...stacks.map((s) => `- ${persistenceName(s.persistence)} stack, after its runs: ${s.check.detail}`),
    '',
    '## Redis commands per run (INFO commandstats, top by total time)',
    '',
    table(
      ['Redis', 'engine', 'tool', 'conns', 'socket reads / writes per vote', 'commands: calls × µs per call'],
      all.map((r) => [persistenceName(r.persistence), r.phase, r.tool, r.connections, `${f(r.redisReadsPerVote, 2)} / ${f(r.redisWritesPerVote, 2)}`, redisCmds(r)]),
    ),
    '',
    ...(topicsRuns.length === 0
      ? []
      : [
          '## GET /topics?include_votes=true',
          '',
          `10 topics × 4 choices with tallies, ${f(topicsBytes)} bytes per answer, no-AOF stack.`,
          '',
          table(
            ['tool', 'scenario', 'conns', 'pipelining', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'engine CPU µs/req'],
            topicsRuns.map((r) => [
              r.tool,
              r.scenario,
              64,
              r.scenario === 'get_topics_pipelined' ? params.topicsPipelining : 1,
              f(r.rps),
              f(r.p50, 2),
              f(r.p99, 2),
              f(r.non2xx),
              f(r.errors),
              f(r.cpuUsPerReq, 2),
            ]),
          ),
          '',
        ]),
    ...profileSection(profiles),
  ];
  return lines.join('\n');
}

function profileSection(profiles: ProfilePass[]): string[] {
  if (profiles.length === 0) return [];
  const categories = [...new Set(profiles.flatMap((p) => p.summary.byCategory.map((c) => c.name)))];
  const share = (p: ProfilePass, name: string) => p.summary.byCategory.find((c) => c.name === name);
  const usPerVote = (p: ProfilePass, ms: number) => (ms * 1000) / (p.run.acked || NaN);
  categories.sort((a, b) => (share(profiles[profiles.length - 1]!, b)?.ms ?? 0) - (share(profiles[profiles.length - 1]!, a)?.ms ?? 0));
  return [
    "## Where the engine's time goes (POST /votes under node --cpu-prof)",
    '',
    `One engine under \`node --cpu-prof\` (sampling every ${params.profileIntervalUs} µs), no-AOF stack, autocannon 64 connections, ` +
      `${params.profileDuration} s fresh, then ${params.profileDuration} s after the ${f(params.prefill)}-vote prefill (steady state). ` +
      'Only samples inside each load window count; shares are of the busy (non-idle) samples; µs/vote = that self time ÷ votes acknowledged in the window. ' +
      'The profiler slows the engine: compare its µs/vote with the unprofiled runs above.',
    '',
    ...profiles.map(
      (p) =>
        `- ${p.phase}: ${f(p.run.ackedPerS)} acked/s, engine ${f(p.run.engineCpuUsPerVote, 1)} µs/vote, busy ${pct(p.run.busy.engine)}; ` +
        `${f(p.summary.busyMs)} ms busy of ${f(p.summary.wallMs)} ms sampled (${f(p.summary.samples)} samples${p.summary.windowed ? '' : ', whole process: the window matched no sample'}).`,
    ),
    '',
    table(
      ['category', ...profiles.flatMap((p) => [`${p.phase} share`, `${p.phase} µs/vote`])],
      categories.map((name) => [
        name,
        ...profiles.flatMap((p) => {
          const c = share(p, name);
          return c === undefined ? ['–', '–'] : [pct(c.share), f(usPerVote(p, c.ms), 2)];
        }),
      ]),
    ),
    '',
    ...profiles.flatMap((p) => [
      `Top functions by self time, ${p.phase}:`,
      '',
      table(['function', 'self ms', 'share', 'µs/vote'], p.summary.byFunction.slice(0, 20).map((c) => [c.name.replace(/\|/g, '\\|'), f(c.ms), pct(c.share), f(usPerVote(p, c.ms), 2)])),
      '',
    ]),
  ];
}

function log(msg: string): void {
  process.stderr.write(`[bench:votes] ${msg}\n`);
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
