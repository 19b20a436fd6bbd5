// Load drivers shared by the benches: autocannon (programmatic) and wrk (when installed), each run
// against one target server and reported the same way, with the server's CPU time per request read
// from /proc around the run. Also the pieces a bench with its own request shape builds on (one
// autocannon run, wrk pinned with its CPU time, wrk's summary line) and the small statistics every
// report uses.

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchRequest } from '../scenarios.js';
import { cpuSeconds, waitedChildrenCpuSeconds } from './proc-cpu.js';

/** One server under load: its name in reports, its pid (for CPU time) and base URL. */
export interface Target {
  name: string;
  pid: number;
  base: string;
}

export interface Run {
  tool: 'autocannon' | 'wrk';
  arm: string;
  scenario: string;
  round: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  non2xx: number;
  status404: number;
  errors: number;
  cpuUsPerReq: number;
}

/** One autocannon run cycling through `requests`, a progress bar on a TTY only; the raw result. */
export function autocannonRun(
  url: string,
  requests: BenchRequest[],
  /** overallRate: requests per second over all connections (unset: as fast as answers come). */
  o: { duration: number; connections: number; pipelining: number; overallRate?: number },
): Promise<autocannon.Result> {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        requests: requests.map((q) => ({ method: q.method ?? 'GET', path: q.path, headers: q.headers, body: q.body })),
        connections: o.connections,
        pipelining: o.pipelining,
        duration: o.duration,
        ...(o.overallRate === undefined ? {} : { overallRate: o.overallRate }),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: process.stderr.isTTY, renderResultsTable: false, renderLatencyTable: false });
  });
}

export async function drive(
  arm: Target,
  requests: BenchRequest[],
  o: { duration: number; connections: number; pipelining: number },
  scenario: string,
  round: number,
): Promise<Run> {
  const cpu0 = cpuSeconds(arm.pid);
  const r = await autocannonRun(arm.base, requests, o);
  const cpu = cpuSeconds(arm.pid) - cpu0;
  const total = r.requests.total;
  return {
    tool: 'autocannon',
    arm: arm.name,
    scenario,
    round,
    requests: total,
    rps: Math.round(total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    p999: r.latency.p99_9,
    non2xx: r.non2xx,
    status404: r.statusCodeStats?.['404']?.count ?? 0,
    errors: r.errors + r.timeouts,
    cpuUsPerReq: total === 0 ? NaN : (cpu * 1e6) / total,
  };
}


/**
 * Milliseconds each of wrk's 64 connections waits between a response and its next request so that
 * together they offer about `rate` req/s (wrk's Lua `delay()`; the wait is not counted as latency).
 */
export function wrkDelayMs(rate: number): number {
  return Math.max(1, Math.round((64 * 1000) / rate));
}


/**
 * The `done()` of every wrk script here: one stdout line `JSON {…}` with requests, non2xx (wrk's
 * status errors: statuses above 399), errors (connect + read + write + timeout), p50 / p99 / p999 /
 * max latency in µs and the seconds it ran. Read back with wrkSummary().
 */
export const WRK_SUMMARY_LUA =
  `done = function(summary, latency, requests)\n  io.write(string.format("JSON {\\"requests\\":%d,\\"non2xx\\":%d,\\"errors\\":%d,\\"p50\\":%d,\\"p99\\":%d,\\"p999\\":%d,\\"max\\":%d,\\"seconds\\":%f}\\n",` +
  ` summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,` +
  ` latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, summary.duration / 1e6))\nend\n`;

export type WrkSummary = Partial<Record<'requests' | 'non2xx' | 'errors' | 'p50' | 'p99' | 'p999' | 'max' | 'seconds', number>>;

/** The figures WRK_SUMMARY_LUA printed; empty when wrk printed none (it failed). */
export function wrkSummary(stdout: string): WrkSummary {
  return JSON.parse(/JSON (\{.*\})/.exec(stdout)?.[1] ?? '{}') as WrkSummary;
}

/**
 * wrk `args` pinned to `cpu`, through sh, which prints its own /proc stat after wrk exits: the
 * waited-for children's CPU time there is wrk's. Asynchronous, so the bench process can act
 * (publish snapshots, say) while wrk runs.
 */
export function runWrk(args: string[], cpu = 1): Promise<{ stdout: string; cpuS: number }> {
  return new Promise((resolve) =>
    execFile(
      'taskset',
      ['-c', String(cpu), 'sh', '-c', 'wrk "$@"; read -r stat < /proc/$$/stat; echo "STAT $stat"', 'sh', ...args],
      { encoding: 'utf8' },
      (_err, stdout) => {
        const stat = /^STAT (.*)$/m.exec(stdout)?.[1];
        resolve({ stdout, cpuS: stat === undefined ? NaN : waitedChildrenCpuSeconds(stat) });
      },
    ),
  );
}


/**
 * wrk with a Lua script cycling through the same request mix, `depth` requests per write, and an
 * optional pause between a connection's requests. wrk times a pipelined batch as one sample (first
 * byte written to last response read), so pipelined runs report no per-request latency.
 */
export async function wrk(
  arm: Target,
  work: string,
  requests: BenchRequest[],
  o: { depth: number; delayMs?: number; durationS?: number },
  scenario: string,
  round: number,
): Promise<Run> {
  const { depth } = o;
  const script = join(work, `mix-${depth}-${o.delayMs ?? 0}.lua`);
  const reqs = requests.map((r) => {
    const headers = Object.entries({ host: '127.0.0.1', ...(r.headers ?? {}) }).map(([k, v]) => `${k}: ${v}\\r\\n`).join('');
    return `"GET ${r.path} HTTP/1.1\\r\\n${headers}\\r\\n"`;
  });
  writeFileSync(
    script,
    `local reqs = { ${reqs.join(', ')} }\nlocal i = 0\nlocal depth = ${depth}\n` +
      `request = function()\n  local out = {}\n  for k = 1, depth do i = i % #reqs + 1; out[k] = reqs[i] end\n  return table.concat(out)\nend\n` +
      (o.delayMs === undefined ? '' : `delay = function()\n  return ${o.delayMs}\nend\n`) +
      WRK_SUMMARY_LUA,
  );
  const cpu0 = cpuSeconds(arm.pid);
  const { stdout } = await runWrk(['-t1', '-c64', `-d${o.durationS ?? 5}s`, '-s', script, arm.base]);
  const cpu = cpuSeconds(arm.pid) - cpu0;
  const j = wrkSummary(stdout);
  const total = j.requests ?? 0;
  return {
    tool: 'wrk',
    arm: arm.name,
    scenario,
    round,
    requests: total,
    rps: Math.round(total / (j.seconds ?? 1)),
    // wrk reports microseconds; keep milliseconds like autocannon.
    p50: depth === 1 ? (j.p50 ?? NaN) / 1000 : NaN,
    p99: depth === 1 ? (j.p99 ?? NaN) / 1000 : NaN,
    p999: depth === 1 ? (j.p999 ?? NaN) / 1000 : NaN,
    non2xx: j.non2xx ?? NaN,
    status404: NaN,
    errors: j.errors ?? NaN,
    cpuUsPerReq: total === 0 ? NaN : (cpu * 1e6) / total,
  };
}


/**
 * Non-2xx answers beyond the designed 404 no_ad share of the mix. autocannon counts 404s exactly;
 * wrk only counts non-2xx, so its run is allowed the expected share plus 5 %.
 */
export function unexpectedNon2xx(r: Run, expected404Share: number): number {
  return r.tool === 'autocannon' ? r.non2xx - r.status404 : Math.max(0, r.non2xx - Math.round(r.requests * expected404Share * 1.05));
}

export function pinSelf(cpu: number): void {
  try {
    execFileSync('taskset', ['-cp', String(cpu), String(process.pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write('[bench] taskset failed: load generator not pinned\n');
  }
}


export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
}


export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}


/** (max − min) / median: the same-arm, round-to-round noise band. */
export function spread(xs: number[]): number {
  const s = xs.filter(Number.isFinite);
  return s.length < 2 ? 0 : (Math.max(...s) - Math.min(...s)) / median(s);
}

