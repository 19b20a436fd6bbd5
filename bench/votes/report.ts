// The votes bench's report: the log line of each run and the results' Markdown (headline, one table
// per part, the notes that say how to read them). Formats figures it is handed; measures nothing.

import type { Machine } from '../lib/machine.js';
import type { RedisPersistence } from '../lib/redis-server.js';
import { formatNumber as f, table } from '../lib/results.js';
import { ENGINE_CPU, log, SHARED_CPU, TARGET_RPS, type VoteKnobs } from './knobs.js';
import type { ProfilePass } from './profile.js';
import type { CeilingRun } from './reference.js';
import type { TopicsResult } from './topics.js';
import type { Phase, VoteRun } from './vote-run.js';

/** What one stack (one Redis persistence setting) produced. */
export interface StackResult {
  persistence: RedisPersistence;
  runs: VoteRun[];
  check: { ok: boolean; detail: string };
}

const pct = (x: number) => `${f(x * 100, 1)}%`;
const persistenceName = (p: RedisPersistence) => (p === 'none' ? 'no AOF' : 'AOF everysec');

/** The log line of one run, as it finishes. */
export function logRun(r: VoteRun): void {
  log(
    `  ${f(r.ackedPerS)} acked/s (${f(r.targetRatio, 2)} × target), p50 ${f(r.p50Ms, 2)} ms, p99 ${f(r.p99Ms, 2)} ms, non-202 ${r.non202}, errors ${r.clientErrors}; ` +
      `CPU µs/vote engine ${f(r.engineCpuUsPerVote, 1)}, redis ${f(r.redisCpuUsPerVote, 1)}, syncer ${f(r.syncerCpuUsPerVote, 1)}; ` +
      `drain ${f(r.drain.seconds, 2)} s (backlog ${r.drain.backlogAtEnd}); ${r.drain.detail}; other load ${f(r.otherCores, 2)} cores`,
  );
}

/** The results' Markdown: headline, the runs, the reference servers, the drain, Redis commands, GET /topics, the profile. */
export function report(host: Machine, knobs: VoteKnobs, stacks: StackResult[], ceilings: CeilingRun[], topics: TopicsResult, profiles: ProfilePass[]): string {
  const { runs: topicsRuns, bytes: topicsBytes } = topics;
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
      `stopped included: their votes are in the stream); the client's 202 count is beside it. ${knobs.duration} s per run, pipelining 1.`,
    '',
    `"fresh": the engine holds fewer votes than VOTE_RECEIPTS (250,000 by default). "steady": after ${f(knobs.prefill)} vote_cast events ` +
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
      `${knobs.quietCores} cores, at most ${knobs.quietWait} s) and during it. Runs with other load during them are noisy.`,
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
    `One engine under \`node --cpu-prof\` (sampling every ${knobs.profileIntervalUs} µs), no-AOF stack, autocannon 64 connections, ` +
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
