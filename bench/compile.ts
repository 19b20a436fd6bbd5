// npm run bench:compile — how long an engine takes to turn a feed into its index, and how much heap
// the index keeps, at 10k, 100k and 1M ads (BENCH_COMPILE_SIZES=10000,100000 to choose).
// Each size runs in a fresh child process (run with --expose-gc), so heaps never mix:
//   parse    JSON.parse + row validation (parseFeed), the work a snapshot load repeats
//   compile  AdIndex.compile: JSON bodies and VAST pieces into one slab, 24 hour buckets per market
//   retained heap + array buffers freed when the index is dropped (both sides after full GCs;
//            a difference, because V8 may keep other garbage from the parse alive for a while)
// Targets for 1M ads: compile ≤ 1.5 s, index ≤ 200 MB.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseFeed } from '../core/domain/ads/feed.js';
import { AdIndex } from '../engine/indexes/ad-index.js';
import { defaultFeedOptions, generateFeed } from './generate-feed.js';
import { machine } from './lib/machine.js';
import { table, writeResults, formatNumber } from './lib/results.js';

const TARGET_COMPILE_S = 1.5;
const TARGET_INDEX_MB = 200;
const MB = 1024 * 1024;

interface SizeResult {
  ads: number;
  feedMB: number;
  parseS: number;
  compileS: number;
  retainedMB: number;
  approxMB: number;
  markets: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function measure(ads: number): SizeResult {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  let text: string | null = JSON.stringify(generateFeed({ ...defaultFeedOptions, ads }));
  const feedMB = Buffer.byteLength(text) / MB;
  let t = performance.now();
  let validated: ReturnType<typeof parseFeed> | null = parseFeed(text);
  const parseS = (performance.now() - t) / 1000;
  text = null;
  t = performance.now();
  let index: AdIndex | null = AdIndex.compile(validated!.ads, 'bench');
  const compileS = (performance.now() - t) / 1000;
  const approxMB = index.approxBytes / MB;
  const markets = index.marketCount;
  // Drop the validated rows: only what the index references stays reachable. What the index holds
  // (bodies and VAST pieces slab, bucket tables, the ad ids kept for the no-repeat rule) is what dropping
  // it frees.
  validated = null;
  fullGc();
  const withIndex = heap();
  index = null;
  fullGc();
  const retainedMB = (withIndex - heap()) / MB;
  return { ads, feedMB, parseS, compileS, retainedMB, approxMB, markets };
}

function heap(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function fullGc(): void {
  for (let i = 0; i < 3; i++) gc!();
}

function main(): void {
  const child = process.argv.indexOf('--size');
  if (child !== -1) {
    process.stdout.write(JSON.stringify(measure(Number(process.argv[child + 1]))) + '\n');
    return;
  }
  const sizes = (process.env.BENCH_COMPILE_SIZES ?? '10000,100000,1000000').split(',').map(Number);
  const host = machine();
  const results: SizeResult[] = [];
  for (const size of sizes) {
    process.stderr.write(`[bench:compile] ${size.toLocaleString('en-US')} ads…\n`);
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', fileURLToPath(import.meta.url), '--size', String(size)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    results.push(JSON.parse(out) as SizeResult);
  }
  const f = formatNumber;
  const big = results.find((r) => r.ads === 1_000_000);
  const md = [
    '# Ad index compile time and heap',
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node}`,
    'Generated feed (50 countries × 20 langs, mixed windows); each size in a fresh process.',
    '',
    table(
      ['ads', 'feed MB', 'parse + validate s', 'compile s', 'index retained MB', 'bodies + buckets MB', 'markets'],
      results.map((r) => [r.ads.toLocaleString('en-US'), f(r.feedMB, 1), f(r.parseS, 2), f(r.compileS, 2), f(r.retainedMB, 1), f(r.approxMB, 1), r.markets]),
    ),
    '',
    big === undefined
      ? 'Targets apply to 1M ads (not run).'
      : `Targets at 1M ads: compile ${f(big.compileS, 2)} s of ${TARGET_COMPILE_S} s (${f(big.compileS / TARGET_COMPILE_S, 2)} × target, ${big.compileS <= TARGET_COMPILE_S ? 'met' : 'NOT met'}); ` +
        `index ${f(big.retainedMB, 0)} MB of ${TARGET_INDEX_MB} MB (${f(big.retainedMB / TARGET_INDEX_MB, 2)} × target, ${big.retainedMB <= TARGET_INDEX_MB ? 'met' : 'NOT met'}).`,
    '',
  ].join('\n');
  process.stdout.write('\n' + md);
  const files = writeResults('compile', { machine: host, targets: { compileS: TARGET_COMPILE_S, indexMB: TARGET_INDEX_MB }, results }, md);
  process.stderr.write(`[bench:compile] wrote ${files.join(', ')}\n`);
}

main();
