// The stack under test, as real processes on loopback. With Redis: redis-server (bench/lib/redis-server.ts;
// with a replica beside it for the `replicas` durability), a syncer daemon (its vote processor counts
// votes with count-votes.lua; feed pulls and compaction scheduled out of the way) and a standalone
// engine (ENGINE_WORKERS=1, REDIS_URL only, no S3, no rate limit) pinned to its own CPU. With the
// file log: `npm start`'s process (embedded/main.ts: the engine, the file event log and the syncer
// with its vote processor in one process, DATA_DIR in a temporary folder) pinned the same way. Also
// what the bench reads from them: topics and tallies over HTTP, the engine's answer counters, Redis's
// INFO counters, the events in the log. Starts and stops processes through bench/lib/child.ts only.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { packagePath } from '../../core/runtime/package-root.js';
import { answers, startPinned, type BenchChild } from '../lib/child.js';
import { freePort } from '../lib/free-port.js';
import { startRedisServer, type BenchRedis } from '../lib/redis-server.js';
import { BENCH_API_KEYS, BENCH_BEACON_KEYS, BENCH_KEY } from '../scenarios.js';
import { ENGINE_CPU, SHARED_CPU, sleep, type StackKind } from './knobs.js';
import { redisKeys } from '../../core/store/redis-keys.js';
import type { Route } from '../../engine/metrics/request-metrics.js';

export const STREAM = redisKeys().events;

/**
 * The checkout whose engine, syncer and embedded process are measured: this one, or another built
 * checkout (BENCH_ENGINE_ROOT) for a before/after comparison in one session with the same bench.
 */
const programs = (path: string) => (process.env.BENCH_ENGINE_ROOT === undefined ? packagePath(path) : join(process.env.BENCH_ENGINE_ROOT, path));
export const ADMIN_KEY = /admin:([^,]+)/.exec(BENCH_API_KEYS)![1]!;

export const stackName = (k: StackKind): string =>
  ({ none: 'Redis, no persistence', 'aof-everysec': 'Redis AOF everysec', 'aof-always': 'Redis AOF always', replica: 'Redis AOF everysec + replica (WAIT 1)', file: 'file log (embedded)' })[k];

export interface Stack {
  kind: StackKind;
  /** Null for the file log. */
  redis: BenchRedis | null;
  replica: BenchRedis | null;
  /** The bench's own connection: prefill XADDs, INFO, the cross-check (null for the file log). */
  client: Redis | null;
  /** Null for the file log: its syncer runs inside the engine's process. */
  syncer: BenchChild | null;
  engine: BenchChild;
  /** The file log's DATA_DIR. */
  dataDir: string | null;
  base: string;
  internal: string;
}

export interface Topic {
  id: number;
  choices: number[];
}

export async function startStack(kind: StackKind, work: string, engineNodeArgs: string[] = []): Promise<Stack> {
  const [port, internalPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const internal = `http://127.0.0.1:${internalPort}`;
  const serving = {
    PORT: String(port),
    INTERNAL_PORT: String(internalPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ENGINE_WORKERS: '1',
    API_KEYS: BENCH_API_KEYS,
      BEACON_KEYS: BENCH_BEACON_KEYS,
    // Production's default is 1000 req/s per key: the bench is one key.
    RATE_LIMIT_PER_SECOND: '0',
    // No feed pulls or compactions during the bench: only the start-up run and the vote processor.
    SYNC_SCHEDULE: '0 0 1 1 *',
    COMPACT_SCHEDULE: '0 0 1 1 *',
  };
  // Listening, and the event log replayed (the topic routes answer 503 until then).
  const ready = async () => (await answers(`${internal}/healthz`)) && (await answers(`${base}/topics?api_key=${BENCH_KEY}`));
  if (kind === 'file') {
    const dataDir = join(work, `file-log-${Date.now()}`);
    const engine = await startPinned('embedded', ENGINE_CPU, [...engineNodeArgs, programs('dist/embedded/main.js')], { ...serving, DATA_DIR: dataDir }, ready);
    return { kind, redis: null, replica: null, client: null, syncer: null, engine, dataDir, base, internal };
  }
  const redis = await startRedisServer({ cpu: SHARED_CPU, persistence: kind === 'replica' ? 'aof-everysec' : kind });
  const replica = kind === 'replica' ? await startRedisServer({ cpu: SHARED_CPU, persistence: 'aof-everysec', replicaOf: redis.port }) : null;
  const client = new Redis(redis.url, { lazyConnect: false });
  if (replica !== null) {
    while (!/^slave0:.*state=online/m.test(await client.info('replication'))) await sleep(50);
  }
  const durability = kind === 'none' ? 'memory' : kind === 'replica' ? 'replicas' : 'aof';
  const common = { REDIS_URL: redis.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn', EVENT_LOG_DURABILITY: durability };
  const syncerInternal = await freePort();
  const syncer = await startPinned(
    'syncer',
    SHARED_CPU,
    [programs('dist/syncer/main.js')],
    { ...common, INTERNAL_PORT: String(syncerInternal), SYNC_SCHEDULE: serving.SYNC_SCHEDULE, COMPACT_SCHEDULE: serving.COMPACT_SCHEDULE },
    () => answers(`http://127.0.0.1:${syncerInternal}/readyz`),
  );
  const engine = await startPinned('engine', ENGINE_CPU, [...engineNodeArgs, programs('dist/engine/main.js')], { ...serving, ...common }, ready);
  return { kind, redis, replica, client, syncer, engine, dataDir: null, base, internal };
}

/** Fails with what a dead process printed, rather than with a missing /proc entry later. */
export function assertAlive(s: Stack): void {
  for (const [name, c] of [['engine', s.engine], ['syncer', s.syncer]] as const) {
    if (c === null) continue;
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) {
      throw new Error(`${name} exited (code ${c.proc.exitCode}, signal ${c.proc.signalCode}):\n${c.output().slice(-4000)}`);
    }
  }
}

export async function stopStack(s: Stack): Promise<void> {
  await s.engine.stop();
  await s.syncer?.stop();
  s.client?.disconnect();
  await s.replica?.stop();
  await s.redis?.stop();
}

export const stackPids = (s: Stack): number[] => [s.engine.pid, ...[s.redis, s.replica, s.syncer].flatMap((p) => (p === null ? [] : [p.pid]))];

/** Creates a game; returns its id. */
export async function createGame(s: Stack, name: string): Promise<number> {
  const res = await fetch(`${s.base}/games`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY }, body: JSON.stringify({ name }) });
  const body = (await res.json()) as { id: number };
  if (res.status !== 201) throw new Error(`POST /games answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** player_reported events in the log: what the bench compares with the 201s it was given. */
export async function reportsLogged(s: Stack): Promise<number> {
  if (s.client === null) {
    const text = readFileSync(join(s.dataDir!, 'events', 'events.jsonl'), 'latin1');
    return text.split('"type":"player_reported"').length - 1;
  }
  let n = 0;
  let from = '-';
  for (;;) {
    const entries = (await s.client.xrange(STREAM, from, '+', 'COUNT', 10_000)) as [string, string[]][];
    for (const [, fields] of entries) if (fields[1] === 'player_reported') n++;
    if (entries.length < 10_000) return n;
    from = `(${entries.at(-1)![0]}`;
  }
}

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

/** A route's answers by status, from the engine's own request counter (exact: in-flight ones included). */
export async function routeAnswers(s: Stack, route: Route): Promise<Record<string, number>> {
  const text = await (await fetch(`${s.internal}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^engine_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (labels.route === route) out[labels.status!] = (out[labels.status!] ?? 0) + Number(m[2]);
  }
  return out;
}

/** The engine's group commits so far: batches committed and the writes in them (its metrics). */
export async function batchTotals(s: Stack): Promise<{ batches: number; writes: number }> {
  const text = await (await fetch(`${s.internal}/metrics`)).text();
  const n = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { batches: n('engine_write_batch_events_count'), writes: n('engine_write_batch_events_sum') };
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
