// GET /topics?include_votes=true on the AOF-everysec stack: nine more topics (10 × 4 choices with tallies),
// then autocannon 64 connections without and with pipelining, and wrk 64 connections unpipelined
// when installed; req/s and the engine's CPU per request, through bench/lib/drivers.ts as is.

import { drive, hasWrk, wrk, type Run, type Target } from '../lib/drivers.js';
import { waitQuiet } from '../lib/quiet-machine.js';
import { formatNumber as f } from '../lib/results.js';
import { BENCH_KEY } from '../scenarios.js';
import { log, quietOptions, type VoteKnobs } from './knobs.js';
import { assertAlive, createTopic, stackPids, type Stack } from './stack.js';

export interface TopicsResult {
  /** Bytes of one answer. */
  bytes: number;
  runs: Run[];
}

/** `s` already has topic 1; creates topics 2..10 on it. */
export async function topicsRuns(s: Stack, work: string, knobs: VoteKnobs): Promise<TopicsResult> {
  assertAlive(s);
  for (let t = 2; t <= 10; t++) await createTopic(s, `bench topic ${t}`, 4);
  const res = await fetch(`${s.base}/topics?include_votes=true`, { headers: { 'x-api-key': BENCH_KEY } });
  const bytes = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200) throw new Error(`GET /topics answered ${res.status}`);
  assertAlive(s);
  const target: Target = { name: 'engine', pid: s.engine.pid, base: s.base };
  const requests = [{ path: '/topics?include_votes=true', headers: { 'x-api-key': BENCH_KEY } }];
  const runs: Run[] = [];
  const logLast = () => log(`  ${f(runs[runs.length - 1]!.rps)} req/s, engine ${f(runs[runs.length - 1]!.cpuUsPerReq, 1)} µs/req`);
  await drive(target, requests, { duration: 2, connections: 64, pipelining: 1 }, 'warmup', 0);
  for (const pipelining of [1, knobs.topicsPipelining]) {
    log(`GET /topics?include_votes=true (10 topics × 4 choices, ${bytes} bytes): autocannon 64 connections, pipelining ${pipelining}, ${knobs.topicsDuration} s`);
    await waitQuiet(stackPids(s), quietOptions(knobs), log);
    runs.push(await drive(target, requests, { duration: knobs.topicsDuration, connections: 64, pipelining }, pipelining === 1 ? 'get_topics' : 'get_topics_pipelined', 1));
    logLast();
  }
  if (hasWrk()) {
    log('GET /topics?include_votes=true: wrk 64 connections, no pipelining, 5 s');
    await waitQuiet(stackPids(s), quietOptions(knobs), log);
    runs.push(await wrk(target, work, requests, { depth: 1 }, 'get_topics', 1));
    logLast();
  }
  return { bytes, runs };
}
