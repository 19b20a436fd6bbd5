// npm run bench:vote-freshness — how soon a counted vote shows on EVERY engine (the target:
// tallies reach include_votes on every engine within 1 s of processing).
//
// Real processes on loopback: redis-server, a syncer daemon (the vote processor) and two standalone
// engines. For each of VOTES votes, one at a time: POST /votes on engine A, then poll
// GET /votes/{id} on both engines every millisecond until each answers 200 (counted). "Processed"
// is the time in the id of the votes_counted entry that names the vote (Redis's clock when the
// Lua step ran; same machine, same clock). Freshness = first 200 seen on an engine − processed.
// The polling adds up to ~1 ms of its own; the figure is an upper bound.

import { Redis } from 'ioredis';
import { startPinned, killAllOnExit, answers } from './lib/child.js';
import { freePort } from './lib/free-port.js';
import { machine } from './lib/machine.js';
import { startRedisServer } from './lib/redis-server.js';
import { table, writeResults } from './lib/results.js';
import { redisKeys } from '../core/store/redis-keys.js';
import { BENCH_BEACON_KEYS } from './scenarios.js';

const VOTES = Number(process.env.BENCH_FRESHNESS_VOTES ?? 200);
const TARGET_MS = 1_000;
const GAME = 'bench-game-key-0001';
const ADMIN = 'bench-admin-key-0001';

killAllOnExit();
const redis = await startRedisServer({ cpu: 1, persistence: 'none' });
const env = {
  REDIS_URL: redis.url,
  API_KEYS: `game:${GAME},admin:${ADMIN}`,
  BEACON_KEYS: BENCH_BEACON_KEYS,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_SECOND: '0',
};
const syncerPort = await freePort();
const syncer = await startPinned('syncer', 1, ['dist/syncer/main.js'], { ...env, INTERNAL_PORT: String(syncerPort) }, () =>
  answers(`http://127.0.0.1:${syncerPort}/healthz`),
);
const engines: string[] = [];
for (let i = 0; i < 2; i++) {
  const port = await freePort();
  const internal = await freePort();
  await startPinned(`engine-${i}`, i, ['dist/engine/main.js'], { ...env, PORT: String(port), INTERNAL_PORT: String(internal), ENGINE_WORKERS: '1' }, () =>
    answers(`http://127.0.0.1:${internal}/healthz`),
  );
  engines.push(`http://127.0.0.1:${port}`);
}

const post = (url: string, body: unknown, key: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
// The engines answer 503 until they have replayed the stream once.
for (let r = await post(`${engines[0]}/topics`, { title: 'Fresh?', choices: [{ description: 'yes' }, { description: 'no' }] }, ADMIN); r.status !== 201; ) {
  await new Promise((res) => setTimeout(res, 200));
  r = await post(`${engines[0]}/topics`, { title: 'Fresh?', choices: [{ description: 'yes' }, { description: 'no' }] }, ADMIN);
}
for (const base of engines) while (!(await answers(`${base}/topics/1?api_key=${GAME}`))) await new Promise((r) => setTimeout(r, 50));

const client = new Redis(redis.url);
/** Vote id → the ms in the id of the votes_counted entry naming it. */
async function processedAt(voteId: string): Promise<number> {
  for (;;) {
    const entries = (await client.xrevrange(redisKeys().events, '+', '-', 'COUNT', 200)) as [string, string[]][];
    for (const [id, fields] of entries) {
      if (fields[1] === 'votes_counted' && fields[3]!.includes(`"${voteId}"`)) return Number(id.split('-')[0]);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

const fresh: number[][] = [[], []];
for (let v = 0; v < VOTES; v++) {
  const r = await post(`${engines[0]}/votes`, { topic_id: 1, choice_id: 1 + (v % 2) }, GAME);
  if (r.status !== 202) throw new Error(`POST /votes answered ${r.status}`);
  const { id } = (await r.json()) as { id: string };
  const seen = await Promise.all(
    engines.map(async (base) => {
      while (!(await answers(`${base}/votes/${id}?api_key=${GAME}`))) await new Promise((res) => setTimeout(res, 1));
      return Date.now();
    }),
  );
  const processed = await processedAt(id);
  for (const [e, at] of seen.entries()) fresh[e]!.push(at - processed);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rows = fresh.map((xs, e) => [`engine ${e === 0 ? 'A (took the vote)' : 'B'}`, VOTES, pct(xs, 50), pct(xs, 99), Math.max(...xs), (Math.max(...xs) / TARGET_MS).toFixed(3)]);
const host = machine();
const markdown = [
  '# Vote freshness: processed → visible on every engine',
  '',
  `${host.date} · ${host.cpu} · ${host.cores} cores · Node ${host.node}`,
  '',
  `Two engines (ENGINE_WORKERS=1 each, CPUs 0 and 1), a syncer and redis-server (CPU 1), loopback. ${VOTES} votes one at a time; ` +
    'freshness = first GET /votes/{id} answering 200 on that engine − the time in the id of the votes_counted entry naming the vote (polled every 1 ms: an upper bound).',
  '',
  table(['engine', 'votes', 'p50 ms', 'p99 ms', 'max ms', 'max / 1 s target'], rows),
  '',
].join('\n');
const files = writeResults('vote-freshness', { votes: VOTES, freshnessMs: fresh, machine: host }, markdown);
process.stdout.write(markdown + `\nwritten: ${files.join(', ')}\n`);
client.disconnect();
await syncer.stop();
await redis.stop();
process.exit(0);
