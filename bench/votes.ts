// npm run bench:votes: acknowledged POST /votes per second on one engine worker with a local Redis,
// the vote processor's drain, GET /topics?include_votes=true, and where the engine's time goes.
//
// Production layout on loopback, real processes (votes/stack.ts): redis-server, a syncer daemon (its
// vote processor counts votes with count-votes.lua) and a standalone engine (ENGINE_WORKERS=1,
// REDIS_URL only, no S3, no rate limit). The engine has CPU 0 to itself; Redis, the syncer and the
// load generator share CPU 1 (what they use there is reported, so a reader can tell which side ran out).
//
// A 202 from POST /votes means: vote_cast XADDed (acknowledged by Redis) and folded by this engine's
// own follower. Both Redis persistence settings are measured, each on a fresh stack: no AOF and
// appendonly yes + appendfsync everysec. For each: a fresh-engine run (no AOF only), then a prefill
// so the engine holds more than VOTE_RECEIPTS votes (steady state), then autocannon at each
// connection count and wrk at the largest (votes/load.ts, votes/vote-run.ts). After every run the
// tallies must equal the votes acknowledged, and each stack ends with a cross-check against Redis
// (votes/counting.ts). On the no-AOF stack: the reference servers (votes/reference.ts), then
// GET /topics (votes/topics.ts). Last, one engine under --cpu-prof (votes/profile.ts). This file
// reads the knobs, runs the parts in order and writes the results (votes/report.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllOnExit } from './lib/child.js';
import { hasWrk, pinSelf } from './lib/drivers.js';
import { machine } from './lib/machine.js';
import type { RedisPersistence } from './lib/redis-server.js';
import { formatNumber as f, writeResults } from './lib/results.js';
import { crossCheck, newRound, prefill } from './votes/counting.js';
import { ENGINE_CPU, log, SHARED_CPU, TARGET_RPS, type VoteKnobs } from './votes/knobs.js';
import { autocannonPost, voteBodies, wrkPost, type Load } from './votes/load.js';
import { profilePasses } from './votes/profile.js';
import { CEILING_MODES, ceilingRun, type CeilingRun } from './votes/reference.js';
import { logRun, report, type StackResult } from './votes/report.js';
import { assertAlive, createTopic, startStack, stopStack } from './votes/stack.js';
import { topicsRuns, type TopicsResult } from './votes/topics.js';
import { voteRun, type Phase, type VoteRun } from './votes/vote-run.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const knobs: VoteKnobs = {
  duration: env('BENCH_DURATION', 10),
  connections: (process.env.BENCH_VOTE_CONNECTIONS ?? '64,256').split(',').map(Number).filter((n) => n > 0),
  topicsDuration: env('BENCH_TOPICS_DURATION', 10),
  topicsPipelining: env('BENCH_TOPICS_PIPELINING', 16),
  profileDuration: env('BENCH_PROFILE_DURATION', 8),
  profileIntervalUs: env('BENCH_PROFILE_INTERVAL_US', 1000),
  prefill: env('BENCH_PREFILL_VOTES', 260_000),
  drainTimeout: env('BENCH_DRAIN_TIMEOUT', 120),
  quietWait: env('BENCH_QUIET_WAIT', 120),
  quietCores: env('BENCH_QUIET_CORES', 0.25),
  parts: (process.env.BENCH_PARTS ?? 'fresh,steady,aof,reference,topics,profile').split(',').map((p) => p.trim()),
};
const runs = (part: string) => knobs.parts.includes(part);

async function main(): Promise<void> {
  killAllOnExit();
  const host = machine();
  log(`machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, uWS ${host.uws}`);
  pinSelf(SHARED_CPU);
  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-bench-votes-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const maxConnections = Math.max(...knobs.connections);

  const stacks: StackResult[] = [];
  const ceilings: CeilingRun[] = [];
  let topics: TopicsResult = { bytes: 0, runs: [] };
  const persistences: RedisPersistence[] = ['none', ...(runs('aof') ? (['aof-everysec'] as const) : [])];
  for (const persistence of persistences) {
    log(`stack: redis-server (${persistence === 'none' ? 'no AOF, no RDB' : 'appendonly yes, appendfsync everysec'}) + syncer on CPU ${SHARED_CPU}, engine (1 worker) on CPU ${ENGINE_CPU}`);
    const s = await startStack(persistence);
    try {
      const topic = await createTopic(s, 'bench topic 1', 4);
      const bodies = voteBodies(topic);
      const round = newRound();
      const measure = async (phase: Phase, load: () => Promise<Load>) => {
        const r = await voteRun(s, persistence, phase, topic, load, round, knobs);
        logRun(r);
        return r;
      };
      log('warm-up: autocannon 64 connections, 3 s');
      await voteRun(s, persistence, 'fresh', topic, () => autocannonPost(s.base, bodies, 64, 3), round, knobs);
      const voteRuns: VoteRun[] = [];
      if (persistence === 'none' && runs('fresh')) {
        log(`POST /votes on a fresh engine (${f(round.ackedBefore)} votes so far): autocannon, 64 connections, ${knobs.duration} s`);
        voteRuns.push(await measure('fresh', () => autocannonPost(s.base, bodies, 64, knobs.duration)));
      }
      if (persistence !== 'none' || runs('steady')) {
        log(`prefill: ${f(knobs.prefill)} vote_cast events XADDed straight into the stream, counted and folded`);
        const prefillS = await prefill(s, topic, knobs.prefill, round, knobs.drainTimeout);
        log(`  done in ${f(prefillS, 1)} s; the engine now holds ${f(round.ackedBefore)} votes`);
        for (const c of knobs.connections) {
          log(`POST /votes (steady state): autocannon, ${c} connections, ${knobs.duration} s`);
          voteRuns.push(await measure('steady', () => autocannonPost(s.base, bodies, c, knobs.duration)));
        }
        if (hasWrk()) {
          log(`POST /votes (steady state): wrk -t1, ${maxConnections} connections, ${knobs.duration} s`);
          voteRuns.push(await measure('steady', () => wrkPost(s.base, work, bodies, maxConnections, knobs.duration)));
        } else {
          log('wrk is not installed: autocannon runs only');
        }
      }
      const check = await crossCheck(s, topic.id, round);
      log(check.detail);
      stacks.push({ persistence, runs: voteRuns, check });

      if (persistence === 'none' && runs('reference')) {
        for (const mode of CEILING_MODES) {
          log(`reference: bare uWS POST (${mode}) on CPU ${ENGINE_CPU}, ${hasWrk() ? 'wrk' : 'autocannon'} ${maxConnections} connections, ${knobs.duration} s`);
          const c = await ceilingRun(s, work, bodies, mode, maxConnections, knobs);
          assertAlive(s);
          log(`  ${f(c.answeredPerS)} answered/s (${f(c.targetRatio, 2)} × target), server ${f(c.serverCpuUsPerReq, 1)} µs/req, Redis ${f(c.redisCpuUsPerReq, 1)} µs/req`);
          ceilings.push(c);
        }
      }

      if (persistence === 'none' && runs('topics')) topics = await topicsRuns(s, work, knobs);
    } finally {
      await stopStack(s);
    }
  }

  const profiles = runs('profile') ? await profilePasses(work, 64, knobs) : [];

  const markdown = report(host, knobs, stacks, ceilings, topics, profiles);
  process.stdout.write('\n' + markdown + '\n');
  const files = writeResults('votes', { machine: host, params: knobs, targetRps: TARGET_RPS, stacks, ceilings, topics, profiles }, markdown);
  log(`wrote ${files.join(', ')}`);
  if (stacks.some((s) => !s.check.ok || s.runs.some((r) => !r.drain.ok))) {
    log('FAIL: tallies did not match the acknowledged votes (see above)');
    process.exitCode = 1;
  }
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
