// npm run bench:beacons: beacons acknowledged and counted per second on one engine worker, with their
// latency at half the peak rate, for the Redis log with AOF everysec (the target's setting) and the
// embedded file log.
//
// The stacks are writes/stack.ts's: real processes on loopback, the engine alone on CPU 0, Redis,
// the syncer (whose vote processor counts beacons with count-votes.lua) and the load generator on
// CPU 1. The bench signs the tokens itself with the engines' beacon key, as many distinct decisions
// as a run can fire (each decision's eight kinds, impression to error, one after another), so every
// request is a beacon no server has seen: a 204 is one beacon_fired event made durable, and the
// counter must count each once. wrk reads the tokens from a file as it goes (a Lua table of a million
// tokens would cost it more than the server). Per run:
//   - acknowledged/s: the engine's own count of 204s on /beacon over the run;
//   - counted: the engine's report totals (GET /reports/ads, every beacon column), which are what
//     the counter counted and every engine folded; polled until they equal the beacons acknowledged
//     (the drain), then checked again for overshoot. Acknowledged ≠ counted is a FAIL (exit 1);
//   - CPU µs per beacon of the engine, Redis and the syncer; p50/p99/p99.9 (wrk, µs resolution).
// The peak run is wrk -t1 at BENCH_BEACON_CONNECTIONS (256) connections, as fast as answers come; the
// half run is 64 connections pausing between requests so that together they offer half that peak.
// Last, where the time goes: one more AOF-everysec stack whose engine runs under node --cpu-prof,
// one peak run, self time summed per category and function (writes/profile.ts's categories).
// Target (reported, never asserted): ≥ 50,000 beacons counted/s on one worker.

import { createWriteStream, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { BeaconSigner, parseBeaconKeys } from '../core/domain/beacons/token.js';
import { beaconKinds } from '../core/domain/beacons/kinds.js';
import { countryCode, langCode } from '../engine/decision/market.js';
import { killAllOnExit } from './lib/child.js';
import { cpuWindow } from './lib/cpu-window.js';
import { summariseCpuProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { hasWrk, pinSelf, runWrk, WRK_SUMMARY_LUA, wrkDelayMs, wrkSummary } from './lib/drivers.js';
import { machine, type Machine } from './lib/machine.js';
import { waitQuiet } from './lib/quiet-machine.js';
import { formatNumber as f, table, writeResults } from './lib/results.js';
import { BENCH_BEACON_KEYS } from './scenarios.js';
import { ENGINE_CPU, SHARED_CPU, sleep, TARGET_RPS, type StackKind } from './writes/knobs.js';
import { category } from './writes/profile.js';
import { settledAnswers } from './writes/counting.js';
import { ADMIN_KEY, assertAlive, routeAnswers, stackName, stackPids, startStack, stopStack, type Stack } from './writes/stack.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const knobs = {
  duration: env('BENCH_DURATION', 10),
  connections: env('BENCH_BEACON_CONNECTIONS', 256),
  /** Tokens signed for a peak run, per second of it: more than one worker can answer. */
  tokensPerS: env('BENCH_BEACON_TOKENS_PER_S', 100_000),
  drainTimeout: env('BENCH_DRAIN_TIMEOUT', 120),
  quietWait: env('BENCH_QUIET_WAIT', 120),
  quietCores: env('BENCH_QUIET_CORES', 0.25),
  stacks: (process.env.BENCH_STACKS ?? 'aof-everysec,file').split(',').map((s) => s.trim()).filter((s) => s !== '') as StackKind[],
  /** Seconds of the profiled run; 0 skips it (BENCH_PROFILE_DURATION). */
  profileDuration: env('BENCH_PROFILE_DURATION', 8),
  profileIntervalUs: env('BENCH_PROFILE_INTERVAL_US', 1000),
};
const P99_TARGET_MS = 5;
const ADS = 100;

interface BeaconRun {
  stack: StackKind;
  rate: 'peak' | 'half';
  connections: number;
  /** Offered per second (half runs), else NaN. */
  offeredPerS: number;
  seconds: number;
  tokens: number;
  acked: number;
  ackedPerS: number;
  targetRatio: number;
  /** Answers other than 204 (the engine's counter) and client errors. */
  other: number;
  clientErrors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Counted (the engine's report totals) per second while the load ran. */
  countedPerSDuringLoad: number;
  /** Beacons acknowledged but not yet counted when the load stopped, and how long they took. */
  backlogAtEnd: number;
  drainS: number;
  engineCpuUs: number;
  redisCpuUs: number;
  syncerCpuUs: number;
  wrkCpuUs: number;
  otherCores: number;
  check: { ok: boolean; detail: string };
  /** When wrk ran, CLOCK_MONOTONIC µs (what a V8 profile's timestamps are on Linux). */
  window: { fromUs: number; toUs: number };
}

function log(msg: string): void {
  process.stderr.write(`[bench:beacons] ${msg}\n`);
}

/**
 * Writes `n` distinct tokens, one a line: n / 8 decisions over ADS ads in one market, each
 * decision's kinds in order (impression, start, quartiles, complete, click, error).
 */
async function tokenFile(path: string, n: number): Promise<void> {
  const signer = new BeaconSigner(parseBeaconKeys(BENCH_BEACON_KEYS, []), 3600);
  const out = createWriteStream(path);
  const us = countryCode('us');
  const eng = langCode('eng');
  let chunk = '';
  for (let d = 0; d * beaconKinds.length < n; d++) {
    signer.sign(`bench-ad-${d % ADS}`, us, eng, Date.now());
    chunk += signer.tokens.join('\n') + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Every beacon column of the engine's report totals: what the counter counted and this engine folded. */
async function counted(s: Stack): Promise<number> {
  const from = new Date(Date.now() - 2 * 3_600_000).toISOString();
  const to = new Date(Date.now() + 2 * 3_600_000).toISOString();
  const res = await fetch(`${s.base}/reports/ads?from=${from}&to=${to}`, { headers: { 'x-api-key': ADMIN_KEY } });
  const body = (await res.json()) as { totals: Record<string, number> };
  if (res.status !== 200) throw new Error(`GET /reports/ads answered ${res.status}: ${JSON.stringify(body)}`);
  return Object.entries(body.totals).reduce((n, [column, v]) => (column === 'decisions' || column.endsWith('_rate') ? n : n + v), 0);
}

async function beaconRun(s: Stack, work: string, o: { rate: 'peak' | 'half'; connections: number; seconds: number; delayMs?: number; tokens: number }): Promise<BeaconRun> {
  assertAlive(s);
  const file = join(work, `tokens-${s.kind}-${o.rate}.txt`);
  await tokenFile(file, o.tokens);
  const script = join(work, `beacons-${o.rate}.lua`);
  // Past the end of the file a request sends a token that is not one: a 400, counted as "other".
  writeFileSync(
    script,
    `local next_token = io.lines("${file}")\n` +
      `request = function()\n  return wrk.format("GET", "/beacon/" .. (next_token() or "out-of-tokens"))\nend\n` +
      (o.delayMs === undefined ? '' : `delay = function()\n  return ${o.delayMs}\nend\n`) +
      WRK_SUMMARY_LUA,
  );
  const otherBefore = await waitQuiet(stackPids(s), { cores: knobs.quietCores, maxWaitS: knobs.quietWait }, log);
  const answers0 = await routeAnswers(s, 'beacon');
  const counted0 = await counted(s);
  const pids: Record<string, number> = { engine: s.engine.pid };
  if (s.redis !== null) pids.redis = s.redis.pid;
  if (s.syncer !== null) pids.syncer = s.syncer.pid;
  const window = { fromUs: 0, toUs: 0 };
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  const win = await cpuWindow(
    pids,
    async () => {
      window.fromUs = nowUs();
      const r = await runWrk(['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '5s', '-s', script, s.base], SHARED_CPU);
      window.toUs = nowUs();
      return r;
    },
    (r) => r.cpuS,
  );
  const countedAtEnd = await counted(s);
  const answers1 = await settledAnswers(s, 'beacon');
  const j = wrkSummary(win.result.stdout);
  const acked = (answers1['204'] ?? 0) - (answers0['204'] ?? 0);
  const other = Object.entries(answers1).reduce((n, [status, v]) => (status === '204' ? n : n + v - (answers0[status] ?? 0)), 0);
  // The drain: until every acknowledged beacon is counted, then a look again for overshoot.
  const expected = counted0 + acked;
  let now = countedAtEnd;
  const deadline = win.endMs + knobs.drainTimeout * 1000;
  while (now < expected && performance.now() < deadline) {
    await sleep(20);
    now = await counted(s);
  }
  const drainS = Math.max(0, (performance.now() - win.endMs) / 1000);
  await sleep(300);
  now = await counted(s);
  const ok = now === expected && other === 0;
  const seconds = j.seconds ?? o.seconds;
  const per = (cpuS: number | undefined) => (acked === 0 || cpuS === undefined ? NaN : (cpuS * 1e6) / acked);
  rmSync(file, { force: true });
  return {
    stack: s.kind,
    rate: o.rate,
    connections: o.connections,
    offeredPerS: o.delayMs === undefined ? NaN : (o.connections * 1000) / o.delayMs,
    seconds,
    tokens: o.tokens,
    acked,
    ackedPerS: acked / seconds,
    targetRatio: acked / seconds / TARGET_RPS,
    other,
    clientErrors: j.errors ?? NaN,
    p50Ms: (j.p50 ?? NaN) / 1000,
    p99Ms: (j.p99 ?? NaN) / 1000,
    p999Ms: (j.p999 ?? NaN) / 1000,
    maxMs: (j.max ?? NaN) / 1000,
    countedPerSDuringLoad: (countedAtEnd - counted0) / seconds,
    backlogAtEnd: expected - countedAtEnd,
    drainS,
    engineCpuUs: per(win.used.engine),
    redisCpuUs: per(win.used.redis),
    syncerCpuUs: per(win.used.syncer),
    wrkCpuUs: per(win.result.cpuS),
    otherCores: Math.max(otherBefore, win.otherCores),
    check: { ok, detail: `${ok ? 'OK' : 'FAIL'}: counted ${now - counted0}, acknowledged ${acked}, other answers ${other}` },
    window,
  };
}

/** One peak run on an AOF-everysec stack whose engine runs under --cpu-prof; its load window summarised. */
async function profiled(work: string): Promise<{ run: BeaconRun; summary: ProfileSummary }> {
  const dir = join(work, 'cpu-prof');
  log(`profile: engine under node --cpu-prof (${knobs.profileIntervalUs} µs sampling), wrk ${knobs.connections} connections, ${knobs.profileDuration} s`);
  const s = await startStack('aof-everysec', work, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(knobs.profileIntervalUs)]);
  let run: BeaconRun;
  try {
    await beaconRun(s, work, { rate: 'peak', connections: 64, seconds: 2, tokens: 2 * knobs.tokensPerS }); // warm-up, outside the window
    run = await beaconRun(s, work, { rate: 'peak', connections: knobs.connections, seconds: knobs.profileDuration, tokens: knobs.profileDuration * knobs.tokensPerS });
    log(`  ${f(run.ackedPerS)} acked/s under the profiler, engine ${f(run.engineCpuUs, 1)} µs/beacon`);
  } finally {
    await stopStack(s); // SIGTERM: the engine exits 0 and writes its profile
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return { run, summary: summariseCpuProfile(join(dir, file), category, 20, run.window) };
}

function profileSection(p: { run: BeaconRun; summary: ProfileSummary } | null): string[] {
  if (p === null) return [];
  const { run, summary } = p;
  const us = (share: number) => f(share * run.engineCpuUs, 2);
  return [
    '## Where the engine\'s time goes',
    '',
    `One engine under \`node --cpu-prof\` (sampling every ${knobs.profileIntervalUs} µs), Redis AOF everysec, wrk ${run.connections} connections, ${knobs.profileDuration} s: ` +
      `${f(run.ackedPerS)} acknowledged/s, ${f(run.engineCpuUs, 1)} µs/beacon (the profiler slows the engine: compare with the runs above). ` +
      `Self time of the samples in the load window (${f(summary.samples)} samples, ${f(summary.busyMs)} ms busy), by category and by function; µs/beacon is the share times the engine's µs/beacon.`,
    '',
    table(['category', 'share', 'µs/beacon'], summary.byCategory.map((c) => [c.name, `${f(c.share * 100, 1)}%`, us(c.share)])),
    '',
    table(['function', 'share', 'µs/beacon'], summary.byFunction.map((c) => [`\`${c.name}\``, `${f(c.share * 100, 1)}%`, us(c.share)])),
    '',
  ];
}

function logRun(r: BeaconRun): void {
  log(
    `  ${f(r.ackedPerS)} acked/s (${f(r.targetRatio, 2)} × target), counted ${f(r.countedPerSDuringLoad)}/s during the load, backlog ${f(r.backlogAtEnd)} drained in ${f(r.drainS, 2)} s; ` +
      `p50 ${f(r.p50Ms, 2)} ms, p99 ${f(r.p99Ms, 2)} ms; CPU µs/beacon engine ${f(r.engineCpuUs, 1)}, redis ${f(r.redisCpuUs, 1)}, syncer ${f(r.syncerCpuUs, 1)}; ` +
      `${r.check.detail}; other load ${f(r.otherCores, 2)} cores`,
  );
}

function report(host: Machine, runs: BeaconRun[], profile: { run: BeaconRun; summary: ProfileSummary } | null): string {
  const headline = knobs.stacks.flatMap((kind) => {
    const peak = runs.find((r) => r.stack === kind && r.rate === 'peak');
    const half = runs.find((r) => r.stack === kind && r.rate === 'half');
    if (peak === undefined) return [];
    const countedPerS = peak.countedPerSDuringLoad;
    return [
      `**${stackName(kind)}: ${f(countedPerS)} beacons counted/s during the load = ${f(countedPerS / TARGET_RPS, 2)} × the ${f(TARGET_RPS)}/s target; ${f(peak.ackedPerS)} acknowledged/s, ` +
        `the last ${f(peak.backlogAtEnd)} counted within ${f(peak.drainS, 2)} s of the load's end** ` +
        `(wrk ${peak.connections} connections; engine ${f(peak.engineCpuUs, 1)} µs/beacon, Redis ${f(peak.redisCpuUs, 1)}, syncer ${f(peak.syncerCpuUs, 1)}` +
        (half === undefined ? ')' : `; at half that rate p50 ${f(half.p50Ms, 2)} ms, p99 ${f(half.p99Ms, 2)} ms, ${half.p99Ms <= P99_TARGET_MS ? 'within' : 'over'} ${P99_TARGET_MS} ms)`),
    ];
  });
  return [
    '# Beacons: acknowledged and counted per second on one engine worker',
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node} · uWS ${host.uws}`,
    `Real processes on loopback (bench/writes/stack.ts): the engine (ENGINE_WORKERS=1) on CPU ${ENGINE_CPU}; Redis, the syncer and wrk on CPU ${SHARED_CPU}. ` +
      `Every request a distinct signed token (each decision's eight kinds in turn), read by wrk from a file. ` +
      'A 204 comes once the beacon_fired event is durable; "counted" is the engine\'s GET /reports/ads totals (what the counter counted, folded back).',
    '',
    ...headline.flatMap((h) => [h, '']),
    table(
      ['log', 'run', 'connections', 'acked/s', '× 50k', 'counted/s during load', 'backlog at end', 'drain s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'engine µs', 'Redis µs', 'syncer µs', 'wrk µs', 'other cores', 'check'],
      runs.map((r) => [
        stackName(r.stack),
        r.rate === 'peak' ? 'peak' : `half (${f(r.offeredPerS)}/s offered at most)`,
        r.connections,
        f(r.ackedPerS),
        f(r.targetRatio, 2),
        f(r.countedPerSDuringLoad),
        f(r.backlogAtEnd),
        f(r.drainS, 2),
        f(r.p50Ms, 2),
        f(r.p99Ms, 2),
        f(r.p999Ms, 2),
        f(r.engineCpuUs, 1),
        f(r.redisCpuUs, 1),
        f(r.syncerCpuUs, 1),
        f(r.wrkCpuUs, 1),
        f(r.otherCores, 2),
        r.check.detail,
      ]),
    ),
    '',
    'CPU figures are µs per acknowledged beacon. "other cores": CPU used by processes outside the bench just before or during the run; above ~0.25 the run is noise. ' +
      '"drain s" is from the load\'s end until the count was seen complete, including the bench\'s wait for the engine\'s answer counter to settle (≥ 0.2 s).',
    '',
    ...profileSection(profile),
  ].join('\n');
}

async function main(): Promise<void> {
  killAllOnExit();
  if (!hasWrk()) throw new Error('bench:beacons needs wrk (apt-get install -y wrk)');
  const host = machine();
  log(`machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, uWS ${host.uws}`);
  pinSelf(SHARED_CPU);
  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-bench-beacons-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const runs: BeaconRun[] = [];
  for (const kind of knobs.stacks) {
    log(`stack: ${stackName(kind)}; engine (1 worker) on CPU ${ENGINE_CPU}, the rest on CPU ${SHARED_CPU}`);
    const s = await startStack(kind, work);
    try {
      log('warm-up: 3 s, 64 connections');
      await beaconRun(s, work, { rate: 'peak', connections: 64, seconds: 3, tokens: 3 * knobs.tokensPerS });
      log(`peak: wrk -t1, ${knobs.connections} connections, ${knobs.duration} s`);
      const peak = await beaconRun(s, work, { rate: 'peak', connections: knobs.connections, seconds: knobs.duration, tokens: knobs.duration * knobs.tokensPerS });
      logRun(peak);
      runs.push(peak);
      if (peak.ackedPerS > 0) {
        const delayMs = wrkDelayMs(peak.ackedPerS / 2);
        log(`half the peak: wrk, 64 connections pausing ${delayMs} ms (at most ${f((64 * 1000) / delayMs)}/s), ${knobs.duration} s`);
        const half = await beaconRun(s, work, { rate: 'half', connections: 64, seconds: knobs.duration, delayMs, tokens: Math.ceil((64_000 / delayMs) * knobs.duration * 1.2) });
        logRun(half);
        runs.push(half);
      }
    } finally {
      await stopStack(s);
    }
  }
  const profile = knobs.profileDuration > 0 ? await profiled(work) : null;
  const markdown = report(host, runs, profile);
  process.stdout.write('\n' + markdown + '\n');
  const files = writeResults('beacons', { machine: host, knobs, targetRps: TARGET_RPS, runs, profile }, markdown);
  log(`wrote ${files.join(', ')}`);
  if ([...runs, ...(profile === null ? [] : [profile.run])].some((r) => !r.check.ok)) {
    log('FAIL: acknowledged beacons and what was counted differ (see above)');
    process.exitCode = 1;
  }
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
