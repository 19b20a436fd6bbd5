// The stack under test, as real processes on loopback: redis-server (bench/lib/redis-server.ts), a
// syncer daemon (its vote processor counts votes with count-votes.lua; feed pulls and compaction
// scheduled out of the way) and a standalone engine (ENGINE_WORKERS=1, REDIS_URL only, no S3, no
// rate limit) pinned to its own CPU. Also what the bench reads from them: topics and tallies over
// HTTP, the engine's POST /votes answer counter, Redis's INFO counters. Starts and stops processes
// through bench/lib/child.ts only.

import { Redis } from 'ioredis';
import { packagePath } from '../../core/runtime/package-root.js';
import { answers, startPinned, type BenchChild } from '../lib/child.js';
import { freePort } from '../lib/free-port.js';
import { startRedisServer, type BenchRedis, type RedisPersistence } from '../lib/redis-server.js';
import { BENCH_API_KEYS, BENCH_KEY } from '../scenarios.js';
import { ENGINE_CPU, SHARED_CPU } from './knobs.js';
import { redisKeys } from '../../core/store/redis-keys.js';

export const STREAM = redisKeys().events;
const ADMIN_KEY = /admin:([^,]+)/.exec(BENCH_API_KEYS)![1]!;

export interface Stack {
  redis: BenchRedis;
  /** The bench's own connection: prefill XADDs, INFO, the cross-check. */
  client: Redis;
  syncer: BenchChild;
  engine: BenchChild;
  base: string;
  internal: string;
}

export interface Topic {
  id: number;
  choices: number[];
}

export async function startStack(persistence: RedisPersistence, engineNodeArgs: string[] = []): Promise<Stack> {
  const redis = await startRedisServer({ cpu: SHARED_CPU, persistence });
  const client = new Redis(redis.url, { lazyConnect: false });
  const common = { REDIS_URL: redis.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  const syncerInternal = await freePort();
  const syncer = await startPinned(
    'syncer',
    SHARED_CPU,
    [packagePath('dist/syncer/main.js')],
    {
      ...common,
      INTERNAL_PORT: String(syncerInternal),
      // No feed pulls or compactions during the bench: only the start-up run and the vote processor.
      SYNC_SCHEDULE: '0 0 1 1 *',
      COMPACT_SCHEDULE: '0 0 1 1 *',
    },
    () => answers(`http://127.0.0.1:${syncerInternal}/readyz`),
  );
  const [port, internalPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const internal = `http://127.0.0.1:${internalPort}`;
  const engine = await startPinned(
    'engine',
    ENGINE_CPU,
    [...engineNodeArgs, packagePath('dist/engine/main.js')],
    {
      ...common,
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      ENGINE_WORKERS: '1',
      API_KEYS: BENCH_API_KEYS,
      // Production's default is 1000 req/s per key: the bench is one key.
      RATE_LIMIT_PER_SECOND: '0',
    },
    // Listening, and the event log replayed (the topic routes answer 503 until then).
    async () => (await answers(`${internal}/healthz`)) && (await answers(`${base}/topics?api_key=${BENCH_KEY}`)),
  );
  return { redis, client, syncer, engine, base, internal };
}

/** Fails with what a dead process printed, rather than with a missing /proc entry later. */
export function assertAlive(s: Stack): void {
  for (const [name, c] of [['engine', s.engine], ['syncer', s.syncer]] as const) {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) {
      throw new Error(`${name} exited (code ${c.proc.exitCode}, signal ${c.proc.signalCode}):\n${c.output().slice(-4000)}`);
    }
  }
}

export async function stopStack(s: Stack): Promise<void> {
  await s.engine.stop();
  await s.syncer.stop();
  s.client.disconnect();
  await s.redis.stop();
}

export const stackPids = (s: Stack) => [s.engine.pid, s.redis.pid, s.syncer.pid];

/** Creates a topic with `n` choices; returns its id and its choices' ids. */
export async function createTopic(s: Stack, title: string, n: number): Promise<Topic> {
  const res = await fetch(`${s.base}/topics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
    body: JSON.stringify({ title, choices: Array.from({ length: n }, (_, i) => ({ description: `choice ${i + 1}` })) }),
  });
  const body = (await res.json()) as { id: number; choices: { id: number }[] };
  if (res.status !== 201) throw new Error(`POST /topics answered ${res.status}: ${JSON.stringify(body)}`);
  return { id: body.id, choices: body.choices.map((c) => c.id) };
}

/** Sum of a topic's tallies as this engine's fold has them. */
export async function talliesOf(s: Stack, topicId: number): Promise<number> {
  const res = await fetch(`${s.base}/topics/${topicId}?include_votes=true`, { headers: { 'x-api-key': BENCH_KEY } });
  const body = (await res.json()) as { choices: { votes: number | null }[] };
  if (res.status !== 200) throw new Error(`GET /topics/${topicId} answered ${res.status}`);
  return body.choices.reduce((n, c) => n + (c.votes ?? 0), 0);
}

/** POST /votes answers by status, from the engine's own request counter (exact: in-flight ones included). */
export async function voteAnswers(s: Stack): Promise<Record<string, number>> {
  const text = await (await fetch(`${s.internal}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^engine_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.route === 'votes') out[labels.status!] = (out[labels.status!] ?? 0) + Number(m[2]);
  }
  return out;
}

export interface CommandStat {
  calls: number;
  usec: number;
  usecPerCall: number;
}

/** Redis's read and write events on client sockets so far (INFO stats): syscalls, roughly. */
export async function ioStats(client: Redis): Promise<{ reads: number; writes: number }> {
  const info = await client.info('stats');
  const n = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return { reads: n('total_reads_processed'), writes: n('total_writes_processed') };
}

/** INFO commandstats since the last CONFIG RESETSTAT, by command. */
export async function commandStats(client: Redis): Promise<Record<string, CommandStat>> {
  const info = await client.info('commandstats');
  const out: Record<string, CommandStat> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/gm)) {
    out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]), usecPerCall: Number(m[4]) };
  }
  return out;
}
