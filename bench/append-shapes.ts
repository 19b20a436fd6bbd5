// How a group-committed batch of events should travel to Redis (docs/architecture.md "Group
// commit"): the same events appended in batches four ways, on a real redis-server with AOF everysec
// pinned to CPU 1 while this client runs on CPU 0. Reports events/s, the client's CPU µs per event
// (ioredis encoding and reply parsing) and Redis's CPU µs per event (/proc/<pid>/stat):
//
// - pipeline: one XADD per event, sent together (one write, one read; not atomic);
// - multi: the same XADDs inside MULTI/EXEC (atomic: all or none);
// - lua: one EVALSHA whose script runs the XADDs (atomic, one command to encode);
// - one entry: a single XADD holding every event of the batch as fields (one stream entry; its
//   events would need ids of their own inside the entry, which every reader would have to learn).
//
// Run: npm run build && node dist/bench/append-shapes.js   (knobs: BENCH_EVENTS, BENCH_BATCH)

import { Redis } from 'ioredis';
import { cpuSeconds } from './lib/proc-cpu.js';
import { startRedisServer } from './lib/redis-server.js';
import { formatNumber, table, writeResults } from './lib/results.js';
import { machine } from './lib/machine.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const BATCHES = (process.env.BENCH_BATCH ?? '16,128').split(',').map(Number);
const KEY = 'bench:events';
const DATA = JSON.stringify({ topic_id: 12, choice_id: 3, queued_at: 1_764_000_000_000 });

const APPEND_LUA = `local ids = {}
for i = 1, #ARGV, 2 do ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'type', ARGV[i], 'data', ARGV[i + 1]) end
return ids`;

type Shape = 'pipeline' | 'multi' | 'lua' | 'one entry';
const SHAPES: Shape[] = ['pipeline', 'multi', 'lua', 'one entry'];

async function appendBatch(redis: Redis, shape: Shape, n: number, sha: string): Promise<void> {
  switch (shape) {
    case 'pipeline': {
      const p = redis.pipeline();
      for (let i = 0; i < n; i++) p.xadd(KEY, '*', 'type', 'vote_cast', 'data', DATA);
      await p.exec();
      return;
    }
    case 'multi': {
      const m = redis.multi();
      for (let i = 0; i < n; i++) m.xadd(KEY, '*', 'type', 'vote_cast', 'data', DATA);
      await m.exec();
      return;
    }
    case 'lua': {
      const args: string[] = [];
      for (let i = 0; i < n; i++) args.push('vote_cast', DATA);
      await redis.evalsha(sha, 1, KEY, ...args);
      return;
    }
    case 'one entry': {
      const args: string[] = [];
      for (let i = 0; i < n; i++) args.push('vote_cast', DATA);
      await redis.xadd(KEY, '*', ...args);
      return;
    }
  }
}

interface Row {
  shape: Shape;
  batch: number;
  eventsPerS: number;
  clientUsPerEvent: number;
  redisUsPerEvent: number;
}

async function main(): Promise<void> {
  const server = await startRedisServer({ cpu: 1, persistence: 'aof-everysec' });
  const redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
  const sha = (await redis.script('LOAD', APPEND_LUA)) as string;
  const rows: Row[] = [];
  // Four batches in flight at once, like group commits from a busy event loop.
  const inFlight = 4;
  for (const batch of BATCHES) {
    for (const shape of SHAPES) {
      await redis.del(KEY);
      const rounds = Math.ceil(EVENTS / batch);
      const client0 = process.cpuUsage();
      const redis0 = cpuSeconds(server.pid);
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next++ < rounds) await appendBatch(redis, shape, batch, sha);
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const client = process.cpuUsage(client0);
      const events = rounds * batch;
      rows.push({
        shape,
        batch,
        eventsPerS: events / seconds,
        clientUsPerEvent: (client.user + client.system) / events,
        redisUsPerEvent: ((cpuSeconds(server.pid) - redis0) * 1e6) / events,
      });
      console.error(`${shape} × ${batch}: ${formatNumber(events / seconds)} events/s`);
    }
  }
  redis.disconnect();
  await server.stop();
  const m = machine();
  const markdown = [
    '# Appending a batch of events to a Redis stream: four shapes',
    '',
    `${new Date().toISOString()} · ${m.cpu} · ${m.cores} cores · Node ${process.version} · Redis AOF everysec on CPU 1, client on CPU 0 (taskset by the caller) · ${formatNumber(EVENTS)} events per row, 4 batches in flight`,
    '',
    table(
      ['shape', 'events per batch', 'events/s', 'client CPU µs/event', 'Redis CPU µs/event'],
      rows.map((r) => [r.shape, r.batch, formatNumber(r.eventsPerS), formatNumber(r.clientUsPerEvent, 2), formatNumber(r.redisUsPerEvent, 2)]),
    ),
    '',
  ].join('\n');
  for (const f of writeResults('append-shapes', { events: EVENTS, rows }, markdown)) console.error(`wrote ${f}`);
  console.log(markdown);
}

await main();
