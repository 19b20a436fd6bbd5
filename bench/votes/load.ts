// The POST /votes load: autocannon (in this process) or wrk -t1 (C, cheaper on the shared core)
// cycling through one topic's vote bodies, no pipelining (a POST waiting on Redis gains nothing from
// it), reported as the client saw it, with the load generator's own CPU time. Runs through
// bench/lib/drivers.ts; what the servers used is measured by the caller.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autocannonRun, runWrk, WRK_SUMMARY_LUA, wrkSummary } from '../lib/drivers.js';
import { BENCH_KEY } from '../scenarios.js';
import { SHARED_CPU } from './knobs.js';
import type { Topic } from './stack.js';

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
export const voteBodies = (topic: Topic) => topic.choices.map((c) => JSON.stringify({ topic_id: topic.id, choice_id: c }));

export async function autocannonPost(base: string, bodies: string[], connections: number, duration: number): Promise<Load> {
  const cpu0 = process.cpuUsage();
  const requests = bodies.map((body) => ({
    method: 'POST' as const,
    path: '/votes',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY },
    body,
  }));
  const r = await autocannonRun(base, requests, { connections, pipelining: 1, duration });
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

/** wrk -t1 on the shared CPU with a Lua script cycling through the vote bodies; latency in µs. */
export async function wrkPost(base: string, work: string, bodies: string[], connections: number, duration: number): Promise<Load> {
  const script = join(work, `votes-${connections}.lua`);
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["x-api-key"] = "${BENCH_KEY}"\n` +
      `local bodies = { ${bodies.map((b) => `'${b}'`).join(', ')} }\nlocal i = 0\n` +
      `request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, "/votes", nil, bodies[i])\nend\n` +
      WRK_SUMMARY_LUA,
  );
  const { stdout, cpuS } = await runWrk(['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '5s', '-s', script, base], SHARED_CPU);
  const j = wrkSummary(stdout);
  const requests = j.requests ?? 0;
  // wrk counts only statuses above 399 as status errors: the rest of a votes run is 202.
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
