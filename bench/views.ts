// npm run bench:views: how long a player's view takes to reach every other engine, which is how long
// the no-repeat rule and frequency caps may miss it (README "Campaigns"). Real processes on
// loopback: redis-server (AOF everysec), a syncer publishing a two-ad feed, and two engines of two
// server processes each, the engines pinned to a CPU each.
//
// A probe asks engine A for a new player: the answer is `probe`, an ad capped at one view per
// hour. Then it asks engine B, with explain=true (which records no view of its own), on a fresh
// connection each time (the kernel picks B's server), until B's server says the cap is reached:
// the time from A's answer to then is the delay a player could see. Probes run on an idle stack, then while autocannon sends both
// engines ad requests for random players (each a view every server folds) at BENCH_VIEW_RATE.
// Beside them, each engine's own histogram of fold delays (engine_ad_views_delay_seconds), read
// from /metrics: the same delay as every server measures it for every batch. Flush interval:
// VIEW_FLUSH_MS, the engine's default unless BENCH_VIEW_FLUSH_MS says otherwise.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { packagePath } from '../core/runtime/package-root.js';
import { answers, killAllOnExit, startPinned, type BenchChild } from './lib/child.js';
import { autocannonRun } from './lib/drivers.js';
import { freePort } from './lib/free-port.js';
import { machine } from './lib/machine.js';
import { startRedisServer } from './lib/redis-server.js';
import { formatNumber as f, table, writeResults } from './lib/results.js';
import { BENCH_API_KEYS, BENCH_BEACON_KEYS, BENCH_KEY } from './scenarios.js';

const ADMIN_KEY = /admin:([^,]+)/.exec(BENCH_API_KEYS)![1]!;

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const PROBES = env('BENCH_VIEW_PROBES', 100);
const RATE = env('BENCH_VIEW_RATE', 4000);
const FLUSH_MS = process.env.BENCH_VIEW_FLUSH_MS;
const WORKERS = 2;

const log = (msg: string) => console.error(`[bench:views] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Engine {
  child: BenchChild;
  base: string;
  internal: string;
}

async function adFor(e: Engine, player: string | null): Promise<string> {
  const agent = new Agent({ connections: 1 });
  try {
    const r = await request(`${e.base}/ad_request?country=us&lang=eng${player === null ? '' : `&player_id=${player}`}&api_key=${BENCH_KEY}`, { dispatcher: agent });
    const body = (await r.body.json()) as { id?: string };
    return body.id ?? `HTTP ${r.statusCode}`;
  } finally {
    await agent.close();
  }
}

/** Whether the server that takes a fresh connection to `e` knows the player saw `probe` (explain: it records no view). */
async function knows(e: Engine, player: string): Promise<boolean> {
  const agent = new Agent({ connections: 1 });
  try {
    const r = await request(`${e.base}/ad_request?country=us&lang=eng&player_id=${player}&explain=true&api_key=${ADMIN_KEY}`, { dispatcher: agent });
    const body = (await r.body.json()) as { candidates?: { id: string; reasons: string[] }[] };
    if (body.candidates === undefined) throw new Error(`explain answered ${r.statusCode}`);
    return body.candidates.find((c) => c.id === 'probe')!.reasons.includes('ad_cap');
  } finally {
    await agent.close();
  }
}

/** Probe delays in ms: A's answer to B's first server that knows the view. */
async function probe(a: Engine, b: Engine, n: number, tag: string): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < n; i++) {
    const player = `${tag}-${i}-${Date.now()}`;
    const first = await adFor(a, player);
    if (first !== 'probe') throw new Error(`engine A answered ${first} to a new player, not probe`);
    const seen = performance.now();
    // Asked with explain, which picks nothing: a real request would record a view of its own.
    while (!(await knows(b, player))) {
      if (performance.now() - seen > 10_000) throw new Error('a view did not reach engine B within 10 s');
    }
    delays.push(performance.now() - seen);
    // A random pause: probes at a steady pace would lock onto the servers' flush timers and see
    // only the delays of one phase of them.
    await sleep(20 + Math.random() * 100);
  }
  return delays;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** Quantiles of engine_ad_views_delay_seconds, summed over engines: the upper bound of the bucket each falls in (ms). */
async function histogram(engines: Engine[]): Promise<{ count: number; p50: number; p99: number }> {
  const buckets = new Map<number, number>();
  let count = 0;
  for (const e of engines) {
    const text = await (await request(`${e.internal}/metrics`)).body.text();
    for (const m of text.matchAll(/^engine_ad_views_delay_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) {
      const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
      buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
    }
    count += Number(/^engine_ad_views_delay_seconds_count (\d+)/m.exec(text)?.[1] ?? 0);
  }
  const sorted = [...buckets.entries()].sort((x, y) => x[0] - y[0]);
  const at = (q: number) => (sorted.find(([, c]) => c >= q * count)?.[0] ?? Infinity) * 1000;
  return { count, p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  killAllOnExit();
  const host = machine();
  const work = mkdtempSync(join(tmpdir(), 'arcade-edge-views-'));
  const feed = join(work, 'feed.json');
  writeFileSync(
    feed,
    JSON.stringify({
      ads: [
        { id: 'probe', video_url: 'https://cdn.test/probe.mp4', country: 'us', lang: 'eng', start_hour: 0, end_hour: 0, priority: 1, frequency_cap: { count: 1, seconds: 3600 } },
        { id: 'filler', video_url: 'https://cdn.test/filler.mp4', country: 'us', lang: 'eng', start_hour: 0, end_hour: 0 },
      ],
    }),
  );
  const redis = await startRedisServer({ cpu: 1, persistence: 'aof-everysec' });
  const common = { REDIS_URL: redis.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn', EVENT_LOG_DURABILITY: 'aof', FEED_URL: `file://${feed}` };
  const syncerInternal = await freePort();
  await startPinned('syncer', 1, [packagePath('dist/syncer/main.js')], { ...common, INTERNAL_PORT: String(syncerInternal), COMPACT_SCHEDULE: '0 0 1 1 *' }, () =>
    answers(`http://127.0.0.1:${syncerInternal}/readyz`),
  );
  const engines: Engine[] = [];
  for (const cpu of [0, 1]) {
    const [port, internal] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    const child = await startPinned(
      `engine ${cpu}`,
      cpu,
      [packagePath('dist/engine/main.js')],
      {
        ...common,
        PORT: String(port),
        INTERNAL_PORT: String(internal),
        ENGINE_WORKERS: String(WORKERS),
        API_KEYS: BENCH_API_KEYS,
        BEACON_KEYS: BENCH_BEACON_KEYS,
        RATE_LIMIT_PER_SECOND: '0',
        ...(FLUSH_MS === undefined ? {} : { VIEW_FLUSH_MS: FLUSH_MS }),
      },
      async () => (await answers(`http://127.0.0.1:${internal}/readyz`)) && (await adFor({ base } as Engine, null)) === 'probe',
    );
    engines.push({ child, base, internal: `http://127.0.0.1:${internal}` });
  }
  const [a, b] = engines as [Engine, Engine];
  log(`idle: ${PROBES} probes`);
  const idle = await probe(a, b, PROBES, 'idle');
  const idleHist = await histogram(engines);
  log(`loaded: ${RATE} ad requests/s for random players, ${PROBES} probes`);
  const requests = Array.from({ length: 1000 }, (_, i) => ({ path: `/ad_request?country=us&lang=eng&player_id=load-${i}&api_key=${BENCH_KEY}` }));
  const duration = 60;
  const load = Promise.all(
    engines.map((e) => autocannonRun(e.base, requests, { duration, connections: 16, pipelining: 1, overallRate: Math.round(RATE / engines.length) })),
  );
  await sleep(2000);
  const started = performance.now();
  const loaded = await probe(a, b, PROBES, 'loaded');
  const probeS = (performance.now() - started) / 1000;
  const loadRuns = await load;
  const after = await histogram(engines);
  const served = loadRuns.reduce((s, r) => s + r.requests.total, 0);
  if (probeS > duration - 2) log(`the probes outlasted the load (${probeS.toFixed(0)} s of ${duration} s): raise the rate or lower BENCH_VIEW_PROBES`);

  const row = (name: string, d: number[]) => [name, d.length, f(quantile(d, 0.5), 1), f(quantile(d, 0.99), 1), f(Math.max(...d), 1)];
  const markdown = [
    '# Views reaching every engine (no-repeat rule, frequency caps)',
    '',
    `${new Date().toISOString()} · ${host.cpu} · ${host.cores} cores · Node ${host.node}`,
    `Redis AOF everysec; a syncer; two engines of ${WORKERS} server processes each, pinned to CPU 0 and CPU 1; VIEW_FLUSH_MS ${FLUSH_MS ?? 'default (50)'}.`,
    '',
    'Probe: a new player\'s first answer from engine A (an ad capped at one view), then engine B asked with explain=true (no view recorded) on fresh connections until the server that answers says the cap is reached. Delay: from A\'s answer to then.',
    '',
    table(['phase', 'probes', 'p50 ms', 'p99 ms', 'max ms'], [row('idle', idle), row(`under load (${f(served / duration, 0)} ad requests/s for random players)`, loaded)]),
    '',
    'Every fold, as the servers measure it (engine_ad_views_delay_seconds, decision to fold on another server; the upper bound of the bucket):',
    '',
    table(['after', 'batches folded', 'p50 ≤ ms', 'p99 ≤ ms'], [
      ['idle probes', idleHist.count, f(idleHist.p50, 0), f(idleHist.p99, 0)],
      ['the load', after.count, f(after.p50, 0), f(after.p99, 0)],
    ]),
    '',
  ].join('\n');
  console.log(markdown);
  for (const file of writeResults('views', { machine: host, probes: PROBES, rate: RATE, flushMs: FLUSH_MS ?? null, idle, loaded, idleHist, after, served }, markdown)) log(`wrote ${file}`);
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err: Error) => {
  log(`failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
