// npm run bench: /ad_request (auth, metrics, one engine server) against three reference servers in
// the same run, alternating arms, each server pinned to CPU 0 and the load generator to CPU 1: a
// bare uWS static-body ceiling (ceiling.ts), a uWS input floor that reads what the route reads and
// answers a fixed body (floor.ts), and a Fastify peer serving the engine's own index and route logic
// (peer-fastify.ts). For /ad_request, a fifth arm sends the engine the same requests with
// format=vast: what a VAST decision (signed tracking tokens, the document joined from its pieces)
// costs beside a JSON one. Reports req/s, latency, non-2xx and errors, and the server's CPU time per
// request — the ratio that holds on a noisy machine. Writes bench/results/*-ad-request.{json,md}.
//
// Why pipelining: autocannon on one core tops out near 100k req/s, below what a uWS server serves on
// the other, so without it both arms measure the generator. With 16-deep pipelining the server's
// per-request cost dominates instead. wrk (when installed) cross-checks, as it can load the ceiling
// until it is CPU-bound, and measures p99 without pipelining at 64 connections below saturation.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../core/runtime/package-root.js';
import { defaultFeedOptions, generateFeed, type FeedOptions } from './generate-feed.js';
import { answers, killAllOnExit, startPinned, type BenchChild } from './lib/child.js';
import { freePort } from './lib/free-port.js';
import { machine } from './lib/machine.js';
import { drive, hasWrk, median, pinSelf, spread, wrk, unexpectedNon2xx, wrkDelayMs, type Run, type Target } from './lib/drivers.js';
import { table, writeResults, formatNumber } from './lib/results.js';
import { BENCH_API_KEYS, BENCH_BEACON_KEYS, BENCH_KEY, adRequestMix, type BenchRequest } from './scenarios.js';
import { benchEmail, blacklistCheckMix, reportRequests, writeReportsLog } from './blacklist-data.js';

const SEED_TARGET_RPS = 100;
const TARGET_RATIO = 0.9;
const TARGET_P99_MS = 1;
/** Engine CPU per request at most this multiple of the floor's (wrk pipelined). */
const TARGET_FLOOR_MULTIPLE = 1.25;
/** Engine CPU per request at most this multiple of the Fastify peer's (wrk, pipelined and not). */
const TARGET_PEER_MULTIPLE = 0.5;

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const params = {
  ads: env('BENCH_ADS', defaultFeedOptions.ads),
  rounds: env('BENCH_ROUNDS', 3),
  duration: env('BENCH_DURATION', 10),
  connections: env('BENCH_CONNECTIONS', 64),
  pipelining: env('BENCH_PIPELINING', 16),
  /** Offered load of the p99 scenario: well below saturation, so p99 is the server's, not a queue's. */
  latencyRate: env('BENCH_LATENCY_RATE', 20_000),
  /** wrk rounds per arm, pipelined and unpipelined (5 s each). */
  wrkRounds: env('BENCH_WRK_ROUNDS', 2),
  /** blacklist_check: distinct reported emails in the replayed event log. */
  emails: env('BENCH_EMAILS', 1_000_000),
};

/** What is measured: `npm run bench` (ad_request) or `npm run bench:blacklist` (blacklist_check). */
const scenario = process.argv[2] === 'blacklist_check' ? 'blacklist_check' : 'ad_request';

/** `vast` is the engine again, asked for VAST (ad_request only). */
const ARM_NAMES = ['ceiling', 'floor', 'engine', 'vast', 'peer'] as const;
type ArmName = (typeof ARM_NAMES)[number];

interface Arm extends Target {
  name: ArmName;
  server: BenchChild;
  /** What this arm is sent, when not the scenario's mix. */
  requests?: BenchRequest[];
}

/** The ad_request mix asking for VAST: every path already has a query. */
const asVast = (requests: BenchRequest[]): BenchRequest[] => requests.map((r) => ({ ...r, path: `${r.path}&format=vast` }));

async function main(): Promise<void> {
  killAllOnExit();
  const host = machine();
  log(`machine: ${host.cpu}, ${host.cores} cores, node ${host.node}, uWS ${host.uws}`);
  pinSelf(1);

  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-bench-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const feedOptions: FeedOptions = { ...defaultFeedOptions, ads: params.ads };
  const feedFile = join(work, 'feed.json');
  const dataDir = join(work, 'data');
  let mix: { requests: BenchRequest[]; expected404: number };
  if (scenario === 'ad_request') {
    writeFileSync(feedFile, JSON.stringify(generateFeed(feedOptions)));
    log(`feed: ${params.ads} ads over ${feedOptions.countries} countries × ${feedOptions.langs} langs`);
    mix = adRequestMix(feedOptions);
  } else {
    // The bundled sample feed for ads (readiness needs an index); the reports come from the log.
    writeFileSync(feedFile, readFileSync(packagePath('syncer/sample/campaign-feed.json')));
    log(`event log: 1 game, ${params.emails.toLocaleString('en-US')} reports of distinct emails`);
    writeReportsLog(dataDir, params.emails, Date.now());
    mix = blacklistCheckMix(params.emails);
  }

  // The peer folds the event log in process (blacklist_check; ad_request has none) before the engine
  // starts: embedded mode's first start compacts the log into a snapshot and trims it.
  const peerArgs = [packagePath('dist/bench/peer-fastify.js'), String(await freePort()), feedFile];
  if (scenario === 'blacklist_check') peerArgs.push(join(dataDir, 'events', 'events.jsonl'));
  const peer = await startPinned('peer', 0, peerArgs, { API_KEYS: BENCH_API_KEYS }, (out) => /READY \d+/.test(out), 600_000);
  const peerPort = /READY (\d+)/.exec(peer.output())![1];
  const [port, internalPort] = [await freePort(), await freePort()];
  const startedAt = Date.now();
  const engine = await startPinned(
    'engine',
    0,
    [packagePath('dist/embedded/main.js')],
    {
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      HOST: '127.0.0.1',
      ENGINE_WORKERS: '1',
      FEED_URL: `file://${feedFile}`,
      DATA_DIR: dataDir,
      API_KEYS: BENCH_API_KEYS,
      BEACON_KEYS: BENCH_BEACON_KEYS,
      LOG_LEVEL: 'warn',
    },
    async () =>
      (await answers(`http://127.0.0.1:${internalPort}/readyz`)) &&
      (scenario === 'ad_request' || (await answers(`http://127.0.0.1:${port}/blacklist/check?email=${benchEmail(0)}&api_key=${BENCH_KEY}`))),
    600_000,
  );
  const boot = { seconds: (Date.now() - startedAt) / 1000, rssMb: rssMb(engine.pid) };
  log(`engine ready in ${boot.seconds.toFixed(1)} s, RSS ${boot.rssMb.toFixed(0)} MB`);
  const ceiling = await startPinned('ceiling', 0, [packagePath('dist/bench/ceiling.js'), String(await freePort())], {}, (out) =>
    /READY \d+/.test(out),
  );
  const ceilingPort = /READY (\d+)/.exec(ceiling.output())![1];
  const floor = await startPinned('floor', 0, [packagePath('dist/bench/floor.js'), String(await freePort())], {}, (out) => /READY \d+/.test(out));
  const floorPort = /READY (\d+)/.exec(floor.output())![1];
  const arms: Arm[] = [
    { name: 'ceiling', server: ceiling, pid: ceiling.pid, base: `http://127.0.0.1:${ceilingPort}` },
    { name: 'floor', server: floor, pid: floor.pid, base: `http://127.0.0.1:${floorPort}` },
    { name: 'engine', server: engine, pid: engine.pid, base: `http://127.0.0.1:${port}` },
    { name: 'peer', server: peer, pid: peer.pid, base: `http://127.0.0.1:${peerPort}` },
  ];
  const engineArm = arms[2]!;
  const peerArm = arms[3]!;
  const { requests, expected404 } = mix;
  await checkAnswers(engineArm.base, peerArm.base, requests);
  if (scenario === 'ad_request') {
    const vast: Arm = { ...engineArm, name: 'vast', requests: asVast(requests) };
    await checkVast(vast.base, vast.requests!);
    arms.splice(3, 0, vast);
  }

  const runs: Run[] = [];
  log(`warm-up (2 s per arm)`);
  for (const arm of arms) await drive(arm, arm.requests ?? requests, { duration: 2, connections: params.connections, pipelining: params.pipelining }, 'warmup', 0);
  for (let round = 1; round <= params.rounds; round++) {
    for (const arm of arms) {
      log(`round ${round}/${params.rounds}: ${arm.name}, ${params.connections} connections, pipelining ${params.pipelining}, ${params.duration} s`);
      runs.push(await drive(arm, arm.requests ?? requests, { duration: params.duration, connections: params.connections, pipelining: params.pipelining }, 'throughput', round));
    }
  }
  // The p99 figure comes from wrk only. autocannon's overallRate caps each connection per one-second
  // tick, so every second starts with all 64 connections bursting at full speed: measured p99 of
  // 11–54 ms on the bare ceiling at 20k req/s offered — the generator's queue, not the server.
  if (!hasWrk()) log('wrk is not installed (apt-get install -y wrk): no server-bound run and no p99 figure');
  if (hasWrk()) {
    for (let round = 1; round <= params.wrkRounds; round++) {
      for (const arm of arms) {
        log(`wrk round ${round}: ${arm.name}, 64 connections, pipelining ${params.pipelining}, 5 s`);
        runs.push(await wrk(arm, work, arm.requests ?? requests, { depth: params.pipelining }, 'throughput', round));
      }
    }
    const delayMs = wrkDelayMs(params.latencyRate);
    for (const arm of arms) {
      log(`wrk latency: ${arm.name}, 64 connections, no pipelining, ${delayMs} ms between a connection's requests (~${params.latencyRate} req/s offered), 5 s`);
      runs.push(await wrk(arm, work, arm.requests ?? requests, { depth: 1, delayMs }, 'latency', 1));
    }
    for (let round = 1; round <= params.wrkRounds; round++) {
      for (const arm of arms) {
        log(`wrk saturation round ${round}: ${arm.name}, 64 connections, no pipelining, unthrottled, 5 s`);
        runs.push(await wrk(arm, work, arm.requests ?? requests, { depth: 1 }, 'saturation', round));
      }
    }
  }
  if (scenario === 'blacklist_check') {
    // Acknowledged writes: each 201 comes after the report is fsynced to the event log.
    log(`POST /blacklist: 64 connections, no pipelining, ${params.duration} s`);
    runs.push(await drive(engineArm, reportRequests(1_000), { duration: params.duration, connections: 64, pipelining: 1 }, 'post_blacklist', 1));
  }
  await Promise.all([...new Set(arms.map((a) => a.server))].map((server) => server.stop()));

  const summary = summarise(runs, expected404);
  const fourArms = summariseArms(runs);
  const markdown = report(host, summary, fourArms, runs, boot);
  process.stdout.write('\n' + markdown + '\n');
  const files = writeResults(scenario === 'ad_request' ? 'ad-request' : 'blacklist-check', {
    scenario,
    boot, machine: host, params, targets: { ratio: TARGET_RATIO, p99Ms: TARGET_P99_MS, seedRps: SEED_TARGET_RPS, floorMultiple: TARGET_FLOOR_MULTIPLE, peerMultiple: TARGET_PEER_MULTIPLE },
    summary, fourArms, runs }, markdown);
  log(`wrote ${files.join(', ')}`);
}

interface Summary {
  tool: Run['tool'];
  ceilingRps: number;
  engineRps: number;
  rpsRatio: number;
  ceilingCpuUs: number;
  engineCpuUs: number;
  cpuRatio: number;
  noise: { ceiling: number; engine: number };
  engineP99Ms: number;
  /** p99 below saturation (64 connections, no pipelining), engine and ceiling. */
  latencyP99Ms: number;
  ceilingLatencyP99Ms: number;
  seedMultiple: number;
  unexpectedNon2xx: number;
  errors: number;
}

function summarise(runs: Run[], expected404: number): Summary[] {
  const out: Summary[] = [];
  for (const tool of ['autocannon', 'wrk'] as const) {
    const t = runs.filter((r) => r.tool === tool && r.scenario === 'throughput');
    if (t.length === 0) continue;
    const c = t.filter((r) => r.arm === 'ceiling');
    const e = t.filter((r) => r.arm === 'engine');
    const latency = runs.find((r) => r.tool === tool && r.scenario === 'latency' && r.arm === 'engine');
    const ceilingLatency = runs.find((r) => r.tool === tool && r.scenario === 'latency' && r.arm === 'ceiling');
    const ceilingRps = median(c.map((r) => r.rps));
    const engineRps = median(e.map((r) => r.rps));
    const ceilingCpuUs = median(c.map((r) => r.cpuUsPerReq));
    const engineCpuUs = median(e.map((r) => r.cpuUsPerReq));
    const engineRuns = runs.filter((r) => r.tool === tool && r.arm === 'engine');
    out.push({
      tool,
      ceilingRps,
      engineRps,
      rpsRatio: engineRps / ceilingRps,
      ceilingCpuUs,
      engineCpuUs,
      cpuRatio: ceilingCpuUs / engineCpuUs,
      noise: { ceiling: spread(c.map((r) => r.rps)), engine: spread(e.map((r) => r.rps)) },
      engineP99Ms: median(e.map((r) => r.p99)),
      latencyP99Ms: latency?.p99 ?? NaN,
      ceilingLatencyP99Ms: ceilingLatency?.p99 ?? NaN,
      seedMultiple: engineRps / SEED_TARGET_RPS,
      // 404 no_ad is the designed answer for the miss share of the mix; anything else is unexpected.
      unexpectedNon2xx: engineRuns.reduce((n, r) => n + unexpectedNon2xx(r, expected404), 0),
      errors: runs.filter((r) => r.tool === tool).reduce((n, r) => n + r.errors, 0),
    });
  }
  return out;
}

/** One arm's medians over its rounds of one load shape, and the spread of its rounds. */
interface ArmFigures {
  rps: number;
  cpuUs: number;
  noise: { rps: number; cpu: number };
}

/** engine CPU µs/req over another arm's: the ratio of medians and the range of the per-round ratios. */
interface CpuRatio {
  median: number;
  min: number;
  max: number;
}

/** The four arms under one load shape: wrk pipelined or unpipelined, or autocannon pipelined. */
interface ArmsSummary {
  tool: Run['tool'];
  pipelined: boolean;
  arms: Partial<Record<ArmName, ArmFigures>>;
  engineOverFloor: CpuRatio;
  engineOverPeer: CpuRatio;
  /** VAST decisions: the engine's CPU per request asked for VAST, over the floor's and over its own in JSON. */
  vastOverFloor: CpuRatio;
  vastOverJson: CpuRatio;
}

const LOAD_SHAPES = [
  { tool: 'wrk', scenario: 'throughput', pipelined: true },
  { tool: 'wrk', scenario: 'saturation', pipelined: false },
  { tool: 'autocannon', scenario: 'throughput', pipelined: true },
] as const;

function summariseArms(runs: Run[]): ArmsSummary[] {
  const out: ArmsSummary[] = [];
  for (const shape of LOAD_SHAPES) {
    const of = (arm: ArmName) => runs.filter((r) => r.tool === shape.tool && r.scenario === shape.scenario && r.arm === arm);
    if (of('engine').length === 0) continue;
    const arms: Partial<Record<ArmName, ArmFigures>> = {};
    for (const name of ARM_NAMES) {
      const r = of(name);
      if (r.length === 0) continue;
      arms[name] = {
        rps: median(r.map((x) => x.rps)),
        cpuUs: median(r.map((x) => x.cpuUsPerReq)),
        noise: { rps: spread(r.map((x) => x.rps)), cpu: spread(r.map((x) => x.cpuUsPerReq)) },
      };
    }
    const ratio = (other: ArmName, arm: ArmName = 'engine'): CpuRatio => {
      // Arms alternate within a round, so a round's pair ran minutes apart at most.
      const perRound = of(arm).map((e) => e.cpuUsPerReq / (of(other).find((o) => o.round === e.round)?.cpuUsPerReq ?? NaN)).filter(Number.isFinite);
      return {
        median: (arms[arm]?.cpuUs ?? NaN) / (arms[other]?.cpuUs ?? NaN),
        min: perRound.length === 0 ? NaN : Math.min(...perRound),
        max: perRound.length === 0 ? NaN : Math.max(...perRound),
      };
    };
    out.push({
      tool: shape.tool,
      pipelined: shape.pipelined,
      arms,
      engineOverFloor: ratio('floor'),
      engineOverPeer: ratio('peer'),
      vastOverFloor: ratio('floor', 'vast'),
      vastOverJson: ratio('engine', 'vast'),
    });
  }
  return out;
}

function fourArmLines(fourArms: ArmsSummary[], f: (n: number, d?: number) => string, verdict: (ok: boolean) => string): string[] {
  const shape = (s: ArmsSummary) => `${s.tool} ${s.pipelined ? `pipelined ${params.pipelining}` : 'unpipelined'}`;
  const range = (r: CpuRatio) => `${f(r.median, 2)} (${f(r.min, 2)}–${f(r.max, 2)})`;
  const wrkPipelined = fourArms.find((s) => s.tool === 'wrk' && s.pipelined);
  const wrkUnpipelined = fourArms.find((s) => s.tool === 'wrk' && !s.pipelined);
  const within = (r: CpuRatio | undefined, limit: number) => (r === undefined || !Number.isFinite(r.median) ? 'not measured (needs wrk)' : `${verdict(r.median <= limit)} (${f(r.median, 2)})`);
  return [
    '## Four arms: ceiling, input floor, engine, Fastify peer',
    '',
    'ceiling: bare uWS, static body, reads nothing. floor: bare uWS reading what the route reads (the raw query; the key headers when the query has no key), fixed body. ' +
      "engine: the real server. vast: the same engine, the same requests with format=vast (ad_request only). peer: Fastify serving the engine's own index and route logic. " +
      "wrk: 64 connections, 5 s per round; medians of the rounds, noise = (max − min) / median of an arm's rounds.",
    '',
    table(
      ['load', 'arm', 'req/s', 'CPU µs/req', 'noise req/s', 'noise CPU'],
      fourArms.flatMap((s) =>
        ARM_NAMES.filter((a) => s.arms[a] !== undefined).map((a) => {
          const x = s.arms[a]!;
          return [shape(s), a, f(x.rps), f(x.cpuUs, 2), `${f(x.noise.rps * 100, 1)}%`, `${f(x.noise.cpu * 100, 1)}%`];
        }),
      ),
    ),
    '',
    'Engine CPU µs/req over the floor\'s and over the peer\'s: ratio of the medians (range of the per-round ratios).',
    '',
    table(
      ['load', 'engine / floor CPU', 'engine / peer CPU', 'engine / peer req/s'],
      fourArms.map((s) => [shape(s), range(s.engineOverFloor), range(s.engineOverPeer), f((s.arms.engine?.rps ?? NaN) / (s.arms.peer?.rps ?? NaN), 2)]),
    ),
    '',
    ...(fourArms.some((s) => s.arms.vast !== undefined)
      ? [
          'VAST decisions: the engine\'s CPU µs/req asked for VAST, over the floor\'s and over its own JSON answers (ratio of the medians, range of the per-round ratios). ' +
            'The floor answers a fixed body the size of a JSON answer; a VAST answer is ~1.25 KB on average over the mix (a quarter of it misses: the 60-byte no-fill document, a 200 where JSON gets a 404). ' +
            'Pipelined, answers over ~1 KB overflow uWS\'s cork buffer and cost a bare server several times more (bench/README.md): read the unpipelined ratio.',
          '',
          table(
            ['load', 'VAST / floor CPU', 'VAST / JSON CPU', 'VAST / JSON req/s'],
            fourArms.map((s) => [shape(s), range(s.vastOverFloor), range(s.vastOverJson), f((s.arms.vast?.rps ?? NaN) / (s.arms.engine?.rps ?? NaN), 2)]),
          ),
          '',
        ]
      : []),
    `Targets: engine CPU/req ≤ ${TARGET_FLOOR_MULTIPLE} × floor (wrk pipelined): ${within(wrkPipelined?.engineOverFloor, TARGET_FLOOR_MULTIPLE)}; ` +
      `engine CPU/req ≤ ${TARGET_PEER_MULTIPLE} × Fastify peer: wrk pipelined ${within(wrkPipelined?.engineOverPeer, TARGET_PEER_MULTIPLE)}, ` +
      `wrk unpipelined ${within(wrkUnpipelined?.engineOverPeer, TARGET_PEER_MULTIPLE)}.`,
    '',
  ];
}

function report(
  host: ReturnType<typeof machine>,
  summary: Summary[],
  fourArms: ArmsSummary[],
  runs: Run[],
  boot: { seconds: number; rssMb: number },
): string {
  const f = formatNumber;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines = [
    `# /${scenario === 'ad_request' ? 'ad_request' : 'blacklist/check'} vs uWS static ceiling, input floor and Fastify peer`,
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node} · uWS ${host.uws}`,
    scenario === 'ad_request'
      ? `Feed: ${params.ads} ads, 50 countries × 20 langs. Servers pinned to CPU 0, load generator to CPU 1.`
      : `Event log: ${params.emails.toLocaleString('en-US')} reported emails. Embedded mode's first start compacts it into a stream snapshot, ` +
          `then the engine boots from that: ready in ${boot.seconds.toFixed(1)} s; RSS ${boot.rssMb.toFixed(0)} MB (the engine's index and the in-process syncer's copy). ` +
        'Mix: 3 in 4 checks of reported emails, 1 in 4 never reported (404 by design). Servers pinned to CPU 0, load generator to CPU 1.',
    `Throughput runs: ${params.connections} connections, pipelining ${params.pipelining}, ${params.duration} s × ${params.rounds} rounds per arm (alternating); medians below.`,
    `p99 columns (wrk): 64 connections, no pipelining, about ${params.latencyRate} req/s offered (below saturation) by a ${wrkDelayMs(params.latencyRate)} ms pause per connection between requests; µs resolution. ` +
      `The unthrottled "saturation" runs below show p99 with queueing. autocannon gives no p99 figure: its overallRate bursts at each one-second tick (see run.ts).`,
    '',
    table(
      ['tool', 'ceiling req/s', 'engine req/s', 'ratio req/s', 'ceiling CPU µs/req', 'engine CPU µs/req', 'ratio CPU', 'noise (spread) c / e', 'engine p99 ms', 'ceiling p99 ms', '× seed target', 'unexpected non-2xx', 'errors'],
      summary.map((s) => [
        s.tool,
        f(s.ceilingRps),
        f(s.engineRps),
        f(s.rpsRatio, 2),
        f(s.ceilingCpuUs, 2),
        f(s.engineCpuUs, 2),
        f(s.cpuRatio, 2),
        `${f(s.noise.ceiling * 100, 1)}% / ${f(s.noise.engine * 100, 1)}%`,
        f(s.latencyP99Ms, 2),
        f(s.ceilingLatencyP99Ms, 2),
        f(s.seedMultiple),
        f(s.unexpectedNon2xx),
        f(s.errors),
      ]),
    ),
    '',
    `Targets: engine ≥ ${TARGET_RATIO} × ceiling — by req/s ${summary.map((s) => `${s.tool} ${verdict(s.rpsRatio >= TARGET_RATIO)}`).join(', ')}; ` +
      `by CPU per request ${summary.map((s) => `${s.tool} ${verdict(s.cpuRatio >= TARGET_RATIO)}`).join(', ')}. ` +
      `p99 ≤ ${TARGET_P99_MS} ms at 64 connections without pipelining: ${p99Verdict(summary.find((s) => s.tool === 'wrk'), verdict)}.`,
    '',
    ...fourArmLines(fourArms, f, verdict),
    ...postLines(runs),
    '## Every run',
    '',
    table(
      ['tool', 'scenario', 'round', 'arm', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'non-2xx', 'of which 404', 'errors', 'CPU µs/req'],
      runs.map((r) => [r.tool, r.scenario, r.round, r.arm, f(r.requests), f(r.rps), f(r.p50, 2), f(r.p99, 2), f(r.p999, 2), f(r.non2xx), f(r.status404), f(r.errors), f(r.cpuUsPerReq, 2)]),
    ),
    '',
  ];
  return lines.join('\n');
}

function postLines(runs: Run[]): string[] {
  const post = runs.find((r) => r.scenario === 'post_blacklist');
  if (post === undefined) return [];
  return [
    `POST /blacklist, acknowledged once fsynced (group commit), 64 connections, no pipelining: ${post.rps.toLocaleString('en-US')} req/s, ` +
      `p50 ${post.p50} ms, p99 ${post.p99} ms, non-2xx ${post.non2xx}, errors ${post.errors}, engine CPU ${post.cpuUsPerReq.toFixed(1)} µs/write.`,
    '',
  ];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) / 1024;
}

function p99Verdict(wrk: Summary | undefined, verdict: (ok: boolean) => string): string {
  if (wrk === undefined || !Number.isFinite(wrk.latencyP99Ms)) return 'not measured (needs wrk)';
  return `${verdict(wrk.latencyP99Ms <= TARGET_P99_MS)} (engine ${wrk.latencyP99Ms.toFixed(2)} ms, ceiling ${wrk.ceilingLatencyP99Ms.toFixed(2)} ms)`;
}

/**
 * Fails fast on a broken setup: the engine must answer the mix with 200s and designed 404s only,
 * and the peer the same statuses and content type, and the same bodies where they do not depend on
 * an ad rotation's position.
 */
async function checkAnswers(engineBase: string, peerBase: string, requests: BenchRequest[]): Promise<void> {
  const get = async (url: string, headers: BenchRequest['headers']) => {
    const res = await fetch(url, { headers });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  for (const r of requests) {
    const e = await get(engineBase + r.path, r.headers);
    const p = await get(peerBase + r.path, r.headers);
    if (e.status !== 200 && e.status !== 404) throw new Error(`engine answered ${e.status} to ${r.path}`);
    if (p.status !== e.status || p.type !== e.type) throw new Error(`peer answered ${p.status} ${p.type} to ${r.path}, engine ${e.status} ${e.type}`);
    if ((scenario === 'blacklist_check' || e.status !== 200) && p.body !== e.body) throw new Error(`peer answered ${p.body} to ${r.path}, engine ${e.body}`);
  }
}

/** Fails fast unless every request of the VAST mix is answered 200 with a VAST document. */
async function checkVast(base: string, requests: BenchRequest[]): Promise<void> {
  for (const r of requests) {
    const res = await fetch(base + r.path, { headers: r.headers });
    const body = await res.text();
    if (res.status !== 200 || res.headers.get('content-type') !== 'application/xml; charset=utf-8' || !body.includes('<VAST version="4.2"')) {
      throw new Error(`engine answered ${res.status} ${res.headers.get('content-type')} to ${r.path}: ${body.slice(0, 200)}`);
    }
  }
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
