// Where the engine's time goes: one more AOF-everysec stack whose engine runs under `node --cpu-prof`,
// 64 connections fresh, then again after the prefill (steady state). bench/lib/cpu-profile.ts sums
// self time per function and per category (category() below: the sampled frame first, then its
// callers), counting only the samples of each load window.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { frameName, summariseCpuProfile, type Frame, type ProfileSummary } from '../lib/cpu-profile.js';
import { formatNumber as f } from '../lib/results.js';
import { newRound, prefill } from './counting.js';
import { log, type VoteKnobs } from './knobs.js';
import { autocannonPost, voteWrites } from './load.js';
import { createTopic, startStack, stopStack } from './stack.js';
import { writeRun, type Phase, type VoteRun } from './write-run.js';

const SOCKET_WRITES = new Set(['writeUtf8String', 'writeBuffer', 'writev', 'writeLatin1String', 'writeAsciiString']);
const LOOP = 'native outside JS (uWS/libuv loop: epoll, HTTP reads/parsing, accepting)';

/**
 * The category of a sample: its own frame first, then its callers, so that a Buffer or node:net
 * call lands with the code that made it; what no specific rule claims falls to the generic ones.
 * Also bench/beacons.ts's.
 */
export function category(stack: readonly Frame[]): string {
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
    if (/^node:(internal\/)?timers/.test(u)) return 'timers and immediates (the group commit\'s end-of-turn flush)';
    if (u.includes('/engine/http/body.')) return 'body read + JSON.parse (onData chunk copy, Buffer.concat, toString, parse)';
    if (u.includes('/core/runtime/respond.')) return 'response write (uWS cork/writeStatus/end, incl. its send syscall)';
    if (u.includes('/core/store/redis-event-log.') || u.includes('/core/store/event-log.')) return 'event log adapter (batch arguments; follower read: decode, JSON.parse)';
    if (u.includes('/core/store/group-commit.')) return 'group commit (batching the turn\'s writes)';
    if (u.includes('/core/domain/beacons/')) return 'beacon token (decode, HMAC verify)';
    if (/\/engine\/(indexes|sync)\/|\/core\/domain\/stream\//.test(u)) return 'fold + own writes (stream holder, vote receipts, follower)';
    if (u.includes('/engine/routes/')) return 'route logic (write-route, votes: validation, 202 body JSON + toISOString; beacon: dedup, event)';
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

export interface ProfilePass {
  phase: Phase;
  run: VoteRun;
  summary: ProfileSummary;
}

/**
 * One engine under --cpu-prof, two measured windows: fresh (fewer votes than VOTE_RECEIPTS), then,
 * after the prefill, steady state. The profile covers the process's life; each summary counts only
 * the samples of its load window.
 */
export async function profilePasses(work: string, connections: number, knobs: VoteKnobs): Promise<ProfilePass[]> {
  const dir = join(work, 'cpu-prof');
  log(
    `profile passes: engine under node --cpu-prof (${knobs.profileIntervalUs} µs sampling), autocannon ${connections} connections, ` +
      `${knobs.profileDuration} s fresh, then ${knobs.profileDuration} s steady`,
  );
  const s = await startStack('aof-everysec', work, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(knobs.profileIntervalUs)]);
  const passes: { phase: Phase; run: VoteRun; window: { fromUs: number; toUs: number } }[] = [];
  try {
    const topic = await createTopic(s, 'profile', 4);
    const votes = voteWrites(topic);
    const round = newRound();
    await writeRun(s, votes, { phase: 'fresh', rate: 'peak' }, topic, () => autocannonPost(s.base, votes, connections, 2), round, knobs); // warm-up, outside the windows
    for (const phase of ['fresh', 'steady'] as const) {
      if (phase === 'steady') await prefill(s, topic, knobs.prefill, round, knobs.drainTimeout);
      // process.hrtime and V8's profile timestamps are both CLOCK_MONOTONIC on Linux: only the load counts.
      let from = 0n;
      let to = 0n;
      const load = async () => {
        from = process.hrtime.bigint();
        const l = await autocannonPost(s.base, votes, connections, knobs.profileDuration);
        to = process.hrtime.bigint();
        return l;
      };
      const run = await writeRun(s, votes, { phase, rate: 'peak' }, topic, load, round, knobs);
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
