// npm run bench:writes: acknowledged writes per second on one engine worker (POST /votes and POST
// /blacklist), for every way the event log can keep them, with the latency at half the peak rate,
// the vote processor's drain, the reference servers, GET /topics?include_votes=true, and where the
// engine's time goes.
//
// Real processes on loopback (writes/stack.ts), one stack per kind of log, each started fresh:
// Redis with AOF everysec (the target's setting, and the default EVENT_LOG_DURABILITY=aof), Redis
// without persistence (EVENT_LOG_DURABILITY=memory), Redis with AOF always, Redis with a replica
// (EVENT_LOG_DURABILITY=replicas: WAIT 1 behind each batch), and npm start's embedded process on its
// file log. With Redis: redis-server, a syncer daemon (its vote processor counts with count-votes.lua)
// and a standalone engine (ENGINE_WORKERS=1, REDIS_URL only, no rate limit). The engine has CPU 0
// to itself; Redis, the syncer and the load generator share CPU 1.
//
// On each stack, for votes and then reports: a peak run (wrk at the largest connection count when
// installed, else autocannon), then wrk's 64 connections pausing between requests so that together
// they offer half of that peak (p50/p99 where the server is not saturated). On the AOF-everysec stack, first a prefill so the engine holds more than
// VOTE_RECEIPTS votes (steady state) and autocannon at each connection count. After every run the
// bench checks acknowledged = counted (writes/counting.ts: tallies for votes, the log for reports),
// and each stack ends with a cross-check. On the AOF-everysec stack: the reference servers
// (writes/reference.ts, the batched one included), then GET /topics (writes/topics.ts). Last, one
// engine under --cpu-prof (writes/profile.ts). This file reads the knobs, runs the parts in order
// and writes the results (writes/report.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllOnExit } from './lib/child.js';
import { hasWrk, pinSelf, wrkDelayMs } from './lib/drivers.js';
import { machine } from './lib/machine.js';
import { formatNumber as f, writeResults } from './lib/results.js';
import { crossCheck, newRound, prefill } from './writes/counting.js';
import { ENGINE_CPU, log, SHARED_CPU, STACK_KINDS, TARGET_RPS, type StackKind, type VoteKnobs } from './writes/knobs.js';
import { autocannonPost, reportWrites, voteWrites, wrkPost, type Load, type Writes } from './writes/load.js';
import { profilePasses } from './writes/profile.js';
import { CEILING_MODES, ceilingRun, type CeilingRun } from './writes/reference.js';
import { logRun, report, type StackResult } from './writes/report.js';
import { assertAlive, createGame, createTopic, stackName, startStack, stopStack } from './writes/stack.js';
import { topicsRuns, type TopicsResult } from './writes/topics.js';
import { writeRun, type Phase, type VoteRun } from './writes/write-run.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((p) => p.trim()).filter((p) => p !== '');
const knobs: VoteKnobs = {
  duration: env('BENCH_DURATION', 10),
  connections: list('BENCH_VOTE_CONNECTIONS', '64,256').map(Number).filter((n) => n > 0),
  topicsDuration: env('BENCH_TOPICS_DURATION', 10),
  topicsPipelining: env('BENCH_TOPICS_PIPELINING', 16),
  profileDuration: env('BENCH_PROFILE_DURATION', 8),
  profileIntervalUs: env('BENCH_PROFILE_INTERVAL_US', 1000),
  prefill: env('BENCH_PREFILL_VOTES', 260_000),
  drainTimeout: env('BENCH_DRAIN_TIMEOUT', 120),
  quietWait: env('BENCH_QUIET_WAIT', 120),
  quietCores: env('BENCH_QUIET_CORES', 0.25),
  parts: list('BENCH_PARTS', 'steady,half,blacklist,reference,topics,profile'),
  stacks: list('BENCH_STACKS', STACK_KINDS.join(',')) as StackKind[],
};
const runs = (part: string) => knobs.parts.includes(part);

async function main(): Promise<void> {
  killAllOnExit();
  const host = machine();
  log(`machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, uWS ${host.uws}`);
  pinSelf(SHARED_CPU);
  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-bench-writes-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const maxConnections = Math.max(...knobs.connections);

  const stacks: StackResult[] = [];
  const ceilings: CeilingRun[] = [];
  let topics: TopicsResult = { bytes: 0, runs: [] };
  for (const kind of knobs.stacks) {
    log(`stack: ${stackName(kind)}; engine (1 worker) on CPU ${ENGINE_CPU}, the rest on CPU ${SHARED_CPU}`);
    const s = await startStack(kind, work);
    try {
      const topic = await createTopic(s, 'bench topic 1', 4);
      const votes = voteWrites(topic);
      const reports = reportWrites(await createGame(s, 'bench game'));
      const round = newRound();
      const measure = async (w: Writes, phase: Phase, load: () => Promise<Load>, rate?: number) => {
        const r = await writeRun(s, w, { phase, rate: rate === undefined ? 'peak' : 'half', ...(rate === undefined ? {} : { offeredPerS: rate }) }, topic, load, round, knobs);
        logRun(r);
        return r;
      };
      const peak = (w: Writes) => (hasWrk() ? () => wrkPost(s.base, work, w, maxConnections, knobs.duration) : () => autocannonPost(s.base, w, maxConnections, knobs.duration));
      log('warm-up: autocannon 64 connections, 3 s of votes and of reports');
      await writeRun(s, votes, { phase: 'fresh', rate: 'peak' }, topic, () => autocannonPost(s.base, votes, 64, 3), round, knobs);
      await writeRun(s, reports, { phase: 'fresh', rate: 'peak' }, topic, () => autocannonPost(s.base, reports, 64, 3), round, knobs);
      const writeRuns: VoteRun[] = [];
      let phase: Phase = 'fresh';
      if (kind === 'aof-everysec' && runs('steady')) {
        log(`prefill: ${f(knobs.prefill)} vote_cast events XADDed straight into the stream, counted and folded`);
        const prefillS = await prefill(s, topic, knobs.prefill, round, knobs.drainTimeout);
        log(`  done in ${f(prefillS, 1)} s; the engine now holds ${f(round.ackedBefore)} votes`);
        phase = 'steady';
        for (const c of knobs.connections.filter((c) => c !== maxConnections)) {
          log(`POST /votes (steady state): autocannon, ${c} connections, ${knobs.duration} s`);
          writeRuns.push(await measure(votes, phase, () => autocannonPost(s.base, votes, c, knobs.duration)));
        }
      }
      for (const w of runs('blacklist') ? [votes, reports] : [votes]) {
        log(`POST ${w.path} (${phase}), peak: ${hasWrk() ? 'wrk -t1' : 'autocannon'}, ${maxConnections} connections, ${knobs.duration} s`);
        const top = await measure(w, phase, peak(w));
        writeRuns.push(top);
        if (runs('half') && top.ackedPerS > 0) {
          const rate = top.ackedPerS / 2;
          // wrk: each connection pauses after each answer, so together they offer about `rate`.
          const delayMs = wrkDelayMs(rate);
          const offered = (64 * 1000) / delayMs;
          log(`POST ${w.path} (${phase}), half the peak: ${hasWrk() ? `wrk, 64 connections pausing ${delayMs} ms (at most ${f(offered)}/s)` : `autocannon offering ${f(rate)}/s`}, ${knobs.duration} s`);
          writeRuns.push(
            hasWrk()
              ? await measure(w, phase, () => wrkPost(s.base, work, w, 64, knobs.duration, delayMs), offered)
              : await measure(w, phase, () => autocannonPost(s.base, w, 64, knobs.duration, rate), rate),
          );
        }
      }
      const check = await crossCheck(s, topic.id, round);
      log(check.detail);
      stacks.push({ kind, runs: writeRuns, check });

      if (kind === 'aof-everysec' && runs('reference')) {
        for (const mode of CEILING_MODES) {
          log(`reference: bare uWS POST (${mode}) on CPU ${ENGINE_CPU}, ${hasWrk() ? 'wrk' : 'autocannon'} ${maxConnections} connections, ${knobs.duration} s`);
          const c = await ceilingRun(s, work, votes, mode, maxConnections, knobs);
          assertAlive(s);
          log(`  ${f(c.answeredPerS)} answered/s (${f(c.targetRatio, 2)} × target), server ${f(c.serverCpuUsPerReq, 1)} µs/req, Redis ${f(c.redisCpuUsPerReq, 1)} µs/req`);
          ceilings.push(c);
        }
      }

      if (kind === 'aof-everysec' && runs('topics')) topics = await topicsRuns(s, work, knobs);
    } finally {
      await stopStack(s);
    }
  }

  const profiles = runs('profile') ? await profilePasses(work, 64, knobs) : [];

  const markdown = report(host, knobs, stacks, ceilings, topics, profiles);
  process.stdout.write('\n' + markdown + '\n');
  const files = writeResults('writes', { machine: host, params: knobs, targetRps: TARGET_RPS, stacks, ceilings, topics, profiles }, markdown);
  log(`wrote ${files.join(', ')}`);
  if (stacks.some((s) => !s.check.ok || s.runs.some((r) => !r.check.ok))) {
    log('FAIL: acknowledged writes and what was counted differ (see above)');
    process.exitCode = 1;
  }
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
