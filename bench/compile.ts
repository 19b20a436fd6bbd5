// npm run bench:compile — how long an engine takes to turn a feed into its index, and how much heap
// the index keeps, at 10k, 100k and 1M ads (BENCH_COMPILE_SIZES=10000,100000 to choose), for the
// plain generated feed and for the same feed with campaign fields (generate-feed.ts), whose plans
// are compiled at CAMPAIGN_EPOCH. The next stretch's plans (what a builder thread compiles while
// the engine serves) are timed on their own.
// Each size runs in a fresh child process (run with --expose-gc), so heaps never mix:
//   parse    JSON.parse + row validation (parseFeed), the work a snapshot load repeats
//   compile  AdIndex.compile: JSON bodies and VAST pieces into one slab, rules, plans per market and slot
//   retained heap + array buffers freed when the index is dropped (both sides after full GCs;
//            a difference, because V8 may keep other garbage from the parse alive for a while)
// Targets for 1M ads: compile ≤ 1.5 s, index ≤ 200 MB.

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseFeed } from '../core/domain/ads/feed.js';
import { AdIndex, planInput } from '../engine/indexes/ad-index.js';
import { compilePlan } from '../engine/indexes/plan.js';
import { CAMPAIGN_EPOCH, defaultFeedOptions, generateFeed } from './generate-feed.js';
import { machine } from './lib/machine.js';
import { table, writeResults, formatNumber } from './lib/results.js';

const TARGET_COMPILE_S = 1.5;
const TARGET_INDEX_MB = 200;
const MB = 1024 * 1024;

interface SizeResult {
  ads: number;
  campaigns: boolean;
  /** The next stretch's plans alone (0 when the feed has one stretch). */
  nextPlanS: number;
  rules: number;
  feedMB: number;
  parseS: number;
  compileS: number;
  retainedMB: number;
  approxMB: number;
  markets: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function measure(ads: number, campaigns: boolean): SizeResult {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  let text: string | null = JSON.stringify(generateFeed({ ...defaultFeedOptions, ads, campaigns }));
  const feedMB = Buffer.byteLength(text) / MB;
  let t = performance.now();
  let validated: ReturnType<typeof parseFeed> | null = parseFeed(text);
  const parseS = (performance.now() - t) / 1000;
  text = null;
  t = performance.now();
  let parts: ReturnType<typeof AdIndex.compileParts> | null = AdIndex.compileParts(validated!.ads, 'bench', CAMPAIGN_EPOCH);
  const compileS = (performance.now() - t) / 1000;
  let nextPlanS = 0;
  if (Number.isFinite(parts.plan.validUntil)) {
    t = performance.now();
    compilePlan(planInput(parts), parts.plan.validUntil);
    nextPlanS = (performance.now() - t) / 1000;
  }
  const rules = parts.rules.rank.length;
  let index: AdIndex | null = AdIndex.fromParts(parts);
  parts = null;
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
  return { ads, campaigns, nextPlanS, rules, feedMB, parseS, compileS, retainedMB, approxMB, markets };
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
    process.stdout.write(JSON.stringify(measure(Number(process.argv[child + 1]), process.argv.includes('--campaigns'))) + '\n');
    return;
  }
  const sizes = (process.env.BENCH_COMPILE_SIZES ?? '10000,100000,1000000').split(',').map(Number);
  const host = machine();
  const results: SizeResult[] = [];
  for (const campaigns of [false, true]) {
    for (const size of sizes) {
      process.stderr.write(`[bench:compile] ${size.toLocaleString('en-US')} ads${campaigns ? ' with campaign fields' : ''}…\n`);
      const args = ['--expose-gc', '--max-old-space-size=4096', fileURLToPath(import.meta.url), '--size', String(size), ...(campaigns ? ['--campaigns'] : [])];
      const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      results.push(JSON.parse(out) as SizeResult);
    }
  }
  const f = formatNumber;
  const targets = (big: SizeResult | undefined, what: string) =>
    big === undefined
      ? `Targets apply to 1M ads (not run) ${what}.`
      : `Targets at 1M ads ${what}: compile ${f(big.compileS, 2)} s of ${TARGET_COMPILE_S} s (${f(big.compileS / TARGET_COMPILE_S, 2)} × target, ${big.compileS <= TARGET_COMPILE_S ? 'met' : 'NOT met'}); ` +
        `index ${f(big.retainedMB, 0)} MB of ${TARGET_INDEX_MB} MB (${f(big.retainedMB / TARGET_INDEX_MB, 2)} × target, ${big.retainedMB <= TARGET_INDEX_MB ? 'met' : 'NOT met'}).`;
  const md = [
    '# Ad index compile time and heap',
    '',
    `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node}`,
    'Generated feed (50 countries × 20 langs, mixed windows); each size in a fresh process. "with campaigns": the same feed with campaign fields on every ad but each market\'s guaranteed one (bench/generate-feed.ts), plans compiled at ' +
      new Date(CAMPAIGN_EPOCH).toISOString() + '; "next plans": compiling the next stretch\'s plans alone, as the builder thread does ahead of time.',
    '',
    table(
      ['feed', 'ads', 'feed MB', 'parse + validate s', 'compile s', 'next plans s', 'index retained MB', 'bodies + buckets MB', 'rules', 'markets'],
      results.map((r) => [r.campaigns ? 'with campaigns' : 'plain', r.ads.toLocaleString('en-US'), f(r.feedMB, 1), f(r.parseS, 2), f(r.compileS, 2), r.nextPlanS === 0 ? 'n/a' : f(r.nextPlanS, 2), f(r.retainedMB, 1), f(r.approxMB, 1), r.rules, r.markets]),
    ),
    '',
    targets(results.find((r) => r.ads === 1_000_000 && !r.campaigns), 'without campaign fields'),
    '',
    targets(results.find((r) => r.ads === 1_000_000 && r.campaigns), 'with campaign fields'),
    '',
  ].join('\n');
  process.stdout.write('\n' + md);
  const files = writeResults('compile', { machine: host, targets: { compileS: TARGET_COMPILE_S, indexMB: TARGET_INDEX_MB }, results }, md);
  process.stderr.write(`[bench:compile] wrote ${files.join(', ')}\n`);
}

main();
