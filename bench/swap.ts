// npm run bench:swap — swap under load: the engine serves /ad_request while a new
// 100k-ad snapshot is published every 5 s, against the same load with no swaps. Reports errors
// (target 0), p99 during swaps against steady state, and how long each swap took inside the engine
// (wall time: decode + compile on the index builder thread, then the swap itself).
// Same layout as `npm run bench`: engine (ENGINE_WORKERS=1) pinned to CPU 0, generator on CPU 1.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateFeed } from '../core/domain/ads/feed.js';
import { packagePath } from '../core/runtime/package-root.js';
import { FsSnapshotStore } from '../core/store/fs-snapshot-store.js';
import { compileAdsSnapshot, type CompiledSnapshot } from '../syncer/compile/ads-snapshot.js';
import { publishSnapshot } from '../syncer/publish/publish-snapshot.js';
import { defaultFeedOptions, generateFeed, type FeedOptions } from './generate-feed.js';
import { answers, killAllOnExit, startPinned } from './lib/child.js';
import { drive, hasWrk, pinSelf, unexpectedNon2xx, wrk, wrkDelayMs, type Run, type Target } from './lib/drivers.js';
import { freePort } from './lib/free-port.js';
import { machine } from './lib/machine.js';
import { table, writeResults, formatNumber } from './lib/results.js';
import { BENCH_API_KEYS, BENCH_BEACON_KEYS, adRequestMix } from './scenarios.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const params = {
  ads: env('BENCH_SWAP_ADS', 100_000),
  everyMs: env('BENCH_SWAP_EVERY_MS', 5_000),
  duration: env('BENCH_DURATION', 20),
  latencyRate: env('BENCH_LATENCY_RATE', 20_000),
};

async function main(): Promise<void> {
  killAllOnExit();
  const host = machine(); // before pinning: it counts the CPUs this process may use
  pinSelf(1);
  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-swap-'));
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));

  // Every snapshot is built before the load starts: the bench process must not stall its own publishing.
  const swaps = Math.ceil((params.duration * 1000) / params.everyMs) * 2 + 1;
  log(`building ${swaps} snapshots of ${params.ads} ads`);
  const feedOptions: FeedOptions = { ...defaultFeedOptions, ads: params.ads };
  const base = Date.now();
  const snapshots: CompiledSnapshot[] = [];
  for (let i = 0; i < swaps; i++) {
    // A different seed per snapshot: same markets, different ads and windows, so every swap is real.
    const ads = validateFeed(generateFeed({ ...feedOptions, seed: feedOptions.seed + i })).ads;
    snapshots.push(compileAdsSnapshot(ads, base + i * 1000));
  }
  log(`snapshot size: ${(snapshots[0]!.bytes.length / 1e6).toFixed(1)} MB`);
  const dataDir = join(work, 'data');
  const files = snapshots.map((s) => {
    const file = join(work, s.snapshot.version);
    writeFileSync(file, s.bytes);
    return file;
  });
  await publishSnapshot(new FsSnapshotStore(dataDir), null, 'ads', snapshots[0]!.snapshot.version, snapshots[0]!.bytes);
  let published = 1;

  const [port, internalPort] = [await freePort(), await freePort()];
  const engine = await startPinned(
    'engine',
    0,
    [packagePath('dist/engine/main.js')],
    {
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      HOST: '127.0.0.1',
      ENGINE_WORKERS: '1',
      DATA_DIR: dataDir,
      API_KEYS: BENCH_API_KEYS,
      BEACON_KEYS: BENCH_BEACON_KEYS,
      // The folder store has no cross-process notifier: the engine polls it.
      SNAPSHOT_POLL_MS: '100',
      LOG_LEVEL: 'info',
    },
    () => answers(`http://127.0.0.1:${internalPort}/readyz`),
  );
  const target: Target = { name: 'engine', pid: engine.pid, base: `http://127.0.0.1:${port}` };
  const { requests, expected404 } = adRequestMix(feedOptions);

  /** Runs `load` twice, without and with a publish every `everyMs`; returns both runs. */
  const compare = async (tool: string, load: (phase: string) => Promise<Run>): Promise<Run[]> => {
    log(`${tool}: steady, ${params.duration} s`);
    const steady = await load('steady');
    log(`${tool}: a new ${params.ads}-ad snapshot every ${params.everyMs / 1000} s, ${params.duration} s`);
    const publisher = await startPinned(
      'publisher',
      1,
      [packagePath('dist/bench/swap-publisher.js'), dataDir, String(params.everyMs), ...files.slice(published)],
      {},
      (out) => out.includes('READY'),
    );
    const swapping = await load('swapping');
    await publisher.stop();
    published += publisher.output().split('published ').length - 1;
    // Let a swap still compiling finish before the next phase measures "steady".
    await new Promise((r) => setTimeout(r, 1_500));
    return [steady, swapping];
  };

  const runs: Run[] = [];
  runs.push(...(await compare('autocannon', (phase) => drive(target, requests, { duration: params.duration, connections: 64, pipelining: 1 }, phase, 1))));
  if (hasWrk()) {
    const delayMs = wrkDelayMs(params.latencyRate);
    runs.push(...(await compare('wrk', (phase) => wrk(target, work, requests, { depth: 1, delayMs, durationS: params.duration }, phase, 1))));
  } else {
    log('wrk is not installed (apt-get install -y wrk): autocannon figures only');
  }
  await new Promise((r) => setTimeout(r, 500));
  const swapMs = [...engine.output().matchAll(/"msg":"ad index swapped".*?"ms":(\d+)/g)].map((m) => Number(m[1])).slice(1);
  await engine.stop();

  const markdown = report(host, runs, swapMs, expected404);
  process.stdout.write('\n' + markdown + '\n');
  const written = writeResults('swap', { machine: host, params, runs, swapMs }, markdown);
  log(`wrote ${written.join(', ')}`);
}

function report(host: ReturnType<typeof machine>, runs: Run[], swapMs: number[], expected404: number): string {
  const f = formatNumber;
  const sorted = [...swapMs].sort((a, b) => a - b);
  const bad = (r: Run) => r.errors + unexpectedNon2xx(r, expected404);
  const errors = runs.reduce((n, r) => n + bad(r), 0);
  const byTool = (tool: string) => runs.filter((r) => r.tool === tool);
  return [
    `# Swap under load: a new ${params.ads.toLocaleString('en-US')}-ad snapshot every ${params.everyMs / 1000} s`,
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node} · uWS ${host.uws}`,
    `Engine ENGINE_WORKERS=1 on CPU 0, generator on CPU 1, 64 connections, no pipelining, ${params.duration} s per phase.`,
    `autocannon runs unthrottled (saturating: its p99 includes queueing); wrk offers ~${params.latencyRate} req/s (a ${wrkDelayMs(params.latencyRate)} ms pause per connection).`,
    '',
    table(
      ['tool', 'phase', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors + unexpected non-2xx'],
      runs.map((r) => [r.tool, r.scenario, f(r.rps), f(r.p50, 2), f(r.p99, 2), f(r.p999, 2), f(bad(r))]),
    ),
    '',
    `Swaps installed during the runs: ${swapMs.length}; wall time per swap inside the engine (decode + compile on the builder thread, sharing the engine's one CPU): ` +
      (sorted.length === 0 ? 'n/a' : `median ${sorted[sorted.length >> 1]} ms, max ${sorted.at(-1)} ms`) + '.',
    ...['autocannon', 'wrk'].map((tool) => {
      const [steady, swapping] = byTool(tool);
      return steady === undefined || swapping === undefined ? '' : `${tool}: p99 during swaps ${f(swapping.p99, 2)} ms vs steady ${f(steady.p99, 2)} ms (${f(swapping.p99 / steady.p99, 1)}×).`;
    }),
    `Errors (target 0): ${errors === 0 ? '0 — met' : `${errors} — NOT met`} (socket errors, timeouts and non-2xx beyond the designed 404 no_ad share).`,
    '',
  ].join('\n');
}

function log(msg: string): void {
  process.stderr.write(`[bench:swap] ${msg}\n`);
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
