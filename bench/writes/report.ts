// The writes bench's report: the log line of each run and the results' Markdown (headline, one table
// per part, the notes that say how to read them). Formats figures it is handed; measures nothing.

import { execFileSync } from 'node:child_process';
import { packagePath } from '../../core/runtime/package-root.js';
import type { Machine } from '../lib/machine.js';
import { formatNumber as f, table } from '../lib/results.js';
import { ENGINE_CPU, log, SHARED_CPU, TARGET_RPS, type StackKind, type VoteKnobs } from './knobs.js';
import type { ProfilePass } from './profile.js';
import type { CeilingRun } from './reference.js';
import { stackName } from './stack.js';
import type { TopicsResult } from './topics.js';
import type { VoteRun } from './write-run.js';

/** What one stack (one way of keeping the log) produced. */
export interface StackResult {
  kind: StackKind;
  runs: VoteRun[];
  check: { ok: boolean; detail: string };
}

/** Which checkout's engine this run measured: this one, or BENCH_ENGINE_ROOT's (with its commit). */
function programsMeasured(): string {
  const root = process.env.BENCH_ENGINE_ROOT;
  const commit = (cwd: string) => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown commit';
    }
  };
  return root === undefined ? `this checkout (${commit(packagePath('.'))})` : `${root} (${commit(root)}, BENCH_ENGINE_ROOT)`;
}

/** The p99 an acknowledged write should stay under at half the peak rate. */
const P99_TARGET_MS = 5;

const pct = (x: number) => (Number.isFinite(x) ? `${f(x * 100, 1)}%` : 'n/a');
const what = (r: VoteRun) => `POST /${r.route}`;

/** The log line of one run, as it finishes. */
export function logRun(r: VoteRun): void {
  log(
    `  ${f(r.ackedPerS)} acked/s (${f(r.targetRatio, 2)} × target), ${f(r.writesPerBatch, 1)} per batch, p50 ${f(r.p50Ms, 2)} ms, p99 ${f(r.p99Ms, 2)} ms, other answers ${r.non202}, errors ${r.clientErrors}; ` +
      `CPU µs/write engine ${f(r.engineCpuUsPerVote, 1)}, redis ${f(r.redisCpuUsPerVote, 1)}, syncer ${f(r.syncerCpuUsPerVote, 1)}; ` +
      `${r.drain === null ? '' : `drain ${f(r.drain.seconds, 2)} s (backlog ${r.drain.backlogAtEnd}); `}${r.check.detail}; other load ${f(r.otherCores, 2)} cores`,
  );
}

/** The results' Markdown: headline, the runs, the reference servers, the drain, Redis commands, GET /topics, the profile. */
export function report(host: Machine, knobs: VoteKnobs, stacks: StackResult[], ceilings: CeilingRun[], topics: TopicsResult, profiles: ProfilePass[]): string {
  const { runs: topicsRuns, bytes: topicsBytes } = topics;
  const all = stacks.flatMap((s) => s.runs);
  const votes = all.filter((r) => r.route === 'votes');
  const headline = stacks.flatMap((s) =>
    (['votes', 'blacklist'] as const).flatMap((route) => {
      const mine = s.runs.filter((r) => r.route === route);
      const peak = mine.filter((r) => r.rate === 'peak').sort((a, b) => b.ackedPerS - a.ackedPerS)[0];
      const half = mine.find((r) => r.rate === 'half');
      if (peak === undefined) return [];
      const latency = half === undefined ? '' : `; at half that rate p50 ${f(half.p50Ms, 2)} ms, p99 ${f(half.p99Ms, 2)} ms (${half.p99Ms <= P99_TARGET_MS ? 'within' : 'over'} the ${P99_TARGET_MS} ms target)`;
      return [
        `**${stackName(s.kind)}, POST /${route}: ${f(peak.ackedPerS)} acknowledged/s = ${f(peak.targetRatio, 2)} × the ${f(TARGET_RPS)}/s target** ` +
          `(${peak.phase}, ${peak.tool} ${peak.connections} connections; engine ${f(peak.engineCpuUsPerVote, 1)} µs/write, Redis ${f(peak.redisCpuUsPerVote, 1)} µs/write${latency})`,
      ];
    }),
  );
  const redisCmds = (r: VoteRun) =>
    Object.entries(r.redisCommands)
      .filter(([, c]) => c.calls > 0)
      .sort((a, b) => b[1].usec - a[1].usec)
      .slice(0, 6)
      .map(([name, c]) => `${name} ${f(c.calls)}× ${f(c.usecPerCall, 2)} µs`)
      .join(', ');
  const lines = [
    '# Acknowledged writes: POST /votes and POST /blacklist on every event log, and GET /topics?include_votes=true',
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node} · uWS ${host.uws} · programs measured: ${programsMeasured()}`,
    `Real processes on loopback: with Redis, redis-server 7, a syncer daemon (vote processor, count-votes.lua) and a standalone engine ` +
      `(ENGINE_WORKERS=1, REDIS_URL only, RATE_LIMIT_PER_SECOND=0, EVENT_LOG_DURABILITY to match the Redis); with the file log, ` +
      `npm start's one process (engine, file log and syncer together). The engine is pinned to CPU ${ENGINE_CPU}; Redis, the syncer and the ` +
      `load generator share CPU ${SHARED_CPU}. A 202/201 comes once the write's batch is durable (group commit: the writes of one ` +
      `event-loop turn as one EVALSHA, or one write + fsync of the file). "Acknowledged" counts the engine's own counter (requests in ` +
      `flight when the client stopped included: their writes are in the log); the client's count is beside it. ${knobs.duration} s per run, pipelining 1.`,
    '',
    '"peak": as fast as the answers come. "half": wrk\'s 64 connections, each pausing after every answer so that together they offer half of that stack\'s peak (autocannon\'s overallRate without wrk): the latency of a ' +
      `server that is not saturated (target: p99 ≤ ${P99_TARGET_MS} ms). "steady" (AOF-everysec stack): after ${f(knobs.prefill)} vote_cast events ` +
      'were XADDed straight into the stream (and counted), so the engine evicts one receipt per new vote, as every engine does once it ' +
      'has seen 250k votes. After every run: acknowledged = counted (votes: the tallies; reports: player_reported events in the log).',
    '',
    ...headline.map((h) => `- ${h}`),
    '',
    table(
      ['log', 'write', 'rate', 'engine', 'tool', 'conns', 'offered/s', 'acked/s', '× target', 'other answers', 'errors', 'p50 ms', 'p99 ms', 'p99.9 ms', 'writes per batch', 'engine µs/write', 'Redis µs/write', 'syncer µs/write', 'client µs/write', 'busy engine / redis / syncer / client', 'other cores (before / during)', 'acked = counted'],
      all.map((r) => [
        stackName(r.stack),
        what(r),
        r.rate,
        `${r.phase} (${f(r.votesBefore)} votes before)`,
        r.tool,
        r.connections,
        f(r.offeredPerS),
        f(r.ackedPerS),
        f(r.targetRatio, 2),
        f(r.non202),
        f(r.clientErrors),
        f(r.p50Ms, 2),
        f(r.p99Ms, 2),
        f(r.p999Ms, 2),
        f(r.writesPerBatch, 1),
        f(r.engineCpuUsPerVote, 1),
        f(r.redisCpuUsPerVote, 1),
        f(r.syncerCpuUsPerVote, 1),
        f(r.clientCpuUsPerVote, 1),
        `${pct(r.busy.engine)} / ${pct(r.busy.redis)} / ${pct(r.busy.syncer)} / ${pct(r.busy.client)}`,
        `${f(r.otherCoresBefore, 2)} / ${f(r.otherCores, 2)}`,
        r.check.ok ? 'yes' : r.check.detail,
      ]),
    ),
    '',
    'CPU µs/write = the process\'s user + system time over the run (/proc/<pid>/stat) ÷ writes acknowledged (Redis includes its replica); "busy" = CPU seconds ÷ wall seconds ' +
      '(100% = one core). The file log\'s engine figure includes its in-process syncer. Syncer time during the load only; its drain time is below. autocannon latency has 1 ms resolution, wrk\'s 1 µs. ' +
      '"Other cores": CPU used on the machine by anything but these processes, the bench and wrk (other processes, interrupts, ' +
      'loopback softirq work not charged to a process), measured over 1 s just before the run (the bench waits for it to fall below ' +
      `${knobs.quietCores} cores, at most ${knobs.quietWait} s) and during it. Runs with other load during them are noisy.`,
    '',
    ...(ceilings.length === 0
      ? []
      : [
          '## Reference: bare uWS POST servers on the same core, same Redis (AOF everysec)',
          '',
          'bench/lib/vote-ceiling.ts: no auth, no metrics, no fold wait. `static` reads the body and answers a fixed 202 (the floor of one ' +
            'unpipelined POST on this core); `xadd` also JSON.parses it, XADDs a vote_cast-like entry with ioredis\'s defaults (one socket ' +
            'write per command) and answers once Redis acknowledged it; `xadd-pipelined` is the same with ioredis `enableAutoPipelining` ' +
            '(the XADDs of one event-loop turn in one write); `xadd-raw` sends the same XADDs through a ~60-line RESP ' +
            'writer/reader on node:net (one write per event-loop turn, no ioredis): the floor of one command per vote from Node on this core; ' +
            '`batched` JSON.parses and appends through the engine\'s own group commit and Redis event log (the turn\'s votes as one EVALSHA): ' +
            'the engine\'s write path without routing, auth, validation, metrics and the fold.',
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
      ['log', 'rate', 'engine', 'tool', 'conns', 'acked', 'client 202s', 'counted/s during load', 'backlog at load end', 'drain s', 'drain counted/s', 'syncer µs/vote (load + drain)', 'tallies'],
      votes.flatMap((r) => (r.drain === null ? [] : [{ r, d: r.drain }])).map(({ r, d }) => [
        stackName(r.stack),
        r.rate,
        r.phase,
        r.tool,
        r.connections,
        f(r.acked),
        f(r.client202),
        f(d.countedPerSDuringLoad),
        f(d.backlogAtEnd),
        f(d.seconds, 2),
        f(d.countedPerS),
        f(d.syncerCpuUsPerVote, 1),
        d.ok ? 'equal' : d.detail,
      ]),
    ),
    '',
    'Drain = from the end of the load until GET /topics/1?include_votes=true on the engine (its fold of votes_counted) sums to the votes acknowledged (polled every 20 ms).',
    ...stacks.map((s) => `- ${stackName(s.kind)} stack, after its runs: ${s.check.detail}`),
    '',
    '## Redis commands per run (INFO commandstats, top by total time)',
    '',
    table(
      ['log', 'write', 'rate', 'engine', 'tool', 'conns', 'socket reads / writes per write', 'commands: calls × µs per call'],
      all.filter((r) => r.stack !== 'file').map((r) => [stackName(r.stack), what(r), r.rate, r.phase, r.tool, r.connections, `${f(r.redisReadsPerVote, 2)} / ${f(r.redisWritesPerVote, 2)}`, redisCmds(r)]),
    ),
    '',
    ...(topicsRuns.length === 0
      ? []
      : [
          '## GET /topics?include_votes=true',
          '',
          `10 topics × 4 choices with tallies, ${f(topicsBytes)} bytes per answer, AOF-everysec stack.`,
          '',
          table(
            ['tool', 'scenario', 'conns', 'pipelining', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'engine CPU µs/req'],
            topicsRuns.map((r) => [
              r.tool,
              r.scenario,
              64,
              r.scenario === 'get_topics_pipelined' ? knobs.topicsPipelining : 1,
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
    ...profileSection(knobs, profiles),
  ];
  return lines.join('\n');
}

function profileSection(knobs: VoteKnobs, profiles: ProfilePass[]): string[] {
  if (profiles.length === 0) return [];
  const categories = [...new Set(profiles.flatMap((p) => p.summary.byCategory.map((c) => c.name)))];
  const share = (p: ProfilePass, name: string) => p.summary.byCategory.find((c) => c.name === name);
  const usPerVote = (p: ProfilePass, ms: number) => (ms * 1000) / (p.run.acked || NaN);
  categories.sort((a, b) => (share(profiles[profiles.length - 1]!, b)?.ms ?? 0) - (share(profiles[profiles.length - 1]!, a)?.ms ?? 0));
  return [
    "## Where the engine's time goes (POST /votes under node --cpu-prof)",
    '',
    `One engine under \`node --cpu-prof\` (sampling every ${knobs.profileIntervalUs} µs), AOF-everysec stack, autocannon 64 connections, ` +
      `${knobs.profileDuration} s fresh, then ${knobs.profileDuration} s after the ${f(knobs.prefill)}-vote prefill (steady state). ` +
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
