// The write load: autocannon (in this process; it also offers a fixed rate) or wrk -t1 (C, cheaper
// on the shared core) cycling through a route's bodies (votes on one topic, reports of many players),
// no pipelining (a POST waiting on the log gains nothing from it), reported as the client saw it,
// with the load generator's own CPU time. Runs through bench/lib/drivers.ts; what the servers used
// is measured by the caller.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autocannonRun, runWrk, WRK_SUMMARY_LUA, wrkSummary } from '../lib/drivers.js';
import { BENCH_KEY } from '../scenarios.js';
import { SHARED_CPU } from './knobs.js';
import type { Topic } from './stack.js';

/** What to POST: the path, the status that acknowledges, the bodies to cycle through. */
export interface Writes {
  route: 'votes' | 'blacklist';
  path: string;
  ok: '201' | '202';
  bodies: string[];
}

export interface Load {
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

/** wrk's CPU time, for the "other cores" figure (autocannon's is this process's own, counted apart). */
export const wrkCpuS = (l: Load) => (l.tool === 'wrk' ? l.clientCpuS : 0);

/** One POST /votes body per choice of the topic. */
export const voteWrites = (topic: Topic): Writes => ({
  route: 'votes',
  path: '/votes',
  ok: '202',
  bodies: topic.choices.map((c) => JSON.stringify({ topic_id: topic.id, choice_id: c })),
});

/** POST /blacklist bodies: 1,000 players, three reasons, one game. */
export const reportWrites = (gameId: number): Writes => ({
  route: 'blacklist',
  path: '/blacklist',
  ok: '201',
  bodies: Array.from({ length: 1000 }, (_, i) => JSON.stringify({ game_id: gameId, email: `player${i}@example.com`, reason: ['cheating', 'spam', 'harassment'][i % 3] })),
});

/** `rate`: requests per second over all connections (unset: as fast as the answers come). */
export async function autocannonPost(base: string, w: Writes, connections: number, duration: number, rate?: number): Promise<Load> {
  const cpu0 = process.cpuUsage();
  const requests = w.bodies.map((body) => ({
    method: 'POST' as const,
    path: w.path,
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY },
    body,
  }));
  const r = await autocannonRun(base, requests, { connections, pipelining: 1, duration, ...(rate === undefined ? {} : { overallRate: Math.round(rate) }) });
  const cpu = process.cpuUsage(cpu0);
  const c202 = r.statusCodeStats?.[w.ok]?.count ?? 0;
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

/**
 * wrk -t1 on the shared CPU with a Lua script cycling through the bodies; latency in µs. With
 * `delayMs`, each connection pauses that long after each answer (wrk's `delay()`, not counted as
 * latency): an even offered rate, where autocannon's overallRate sends each second's share in a
 * burst at the start of the second and corrects the tail for requests it never sent.
 */
export async function wrkPost(base: string, work: string, w: Writes, connections: number, duration: number, delayMs = 0): Promise<Load> {
  const { bodies } = w;
  const script = join(work, `${w.route}-${connections}-${delayMs}.lua`);
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["x-api-key"] = "${BENCH_KEY}"\n` +
      `local bodies = { ${bodies.map((b) => `'${b}'`).join(', ')} }\nlocal i = 0\n` +
      `request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, "${w.path}", nil, bodies[i])\nend\n` +
      (delayMs > 0 ? `delay = function()\n  return ${delayMs}\nend\n` : '') +
      WRK_SUMMARY_LUA,
  );
  const { stdout, cpuS } = await runWrk(['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '5s', '-s', script, base], SHARED_CPU);
  const j = wrkSummary(stdout);
  const requests = j.requests ?? 0;
  // wrk counts only statuses above 399 as status errors: the rest of a run is the acknowledging status.
  return {
    tool: 'wrk',
    connections,
    seconds: j.seconds ?? duration,
    clientResponses: requests,
    client202: requests - (j.non2xx ?? 0),
    clientNon202: j.non2xx ?? NaN,
    clientErrors: j.errors ?? NaN,
    p50Ms: (j.p50 ?? NaN) / 1000,
    p99Ms: (j.p99 ?? NaN) / 1000,
    p999Ms: (j.p999 ?? NaN) / 1000,
    maxMs: (j.max ?? NaN) / 1000,
    clientCpuS: cpuS,
  };
}
