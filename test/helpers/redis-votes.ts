// Votes on a real Redis: an event log on the production stream key, and readers of what the vote
// counter leaves behind (tallies, votes_counted events), as count-votes.lua writes them.

import { Redis } from 'ioredis';
import type { VotesCounted } from '../../core/domain/stream/events.js';
import { DEFAULT_DURABILITY, RedisEventLog, type Durability } from '../../core/store/redis-event-log.js';
import { startRedis } from './redis.js';
import { redisKeys } from '../../core/store/redis-keys.js';

export const STREAM = redisKeys().events;
/** The tests' Redis keeps nothing on disk (startRedis), so appends take its word alone. */
export const MEMORY_ONLY: Durability = { ...DEFAULT_DURABILITY, mode: 'memory' };
export const TALLIES = `${STREAM}:votes:tallies`;
export const PROCESSED = `${STREAM}:votes:processed`;

/** A fresh redis-server with an event log on STREAM; clients disconnected at teardown. */
export async function redisLog(t: { teardown(fn: () => unknown): void }) {
  const server = await startRedis(t);
  const redis = new Redis(server.url);
  const blocking = new Redis(server.url);
  t.teardown(() => {
    redis.disconnect();
    blocking.disconnect();
  });
  return { redis, events: new RedisEventLog(redis, blocking, STREAM, MEMORY_ONLY) };
}

/** Every vote named by a votes_counted event in the stream (doubles show as repeats). */
export async function countedInStream(redis: Redis): Promise<string[]> {
  const entries = (await redis.xrange(STREAM, '-', '+')) as [string, string[]][];
  return entries.flatMap(([, f]) => (f[1] === 'votes_counted' ? (JSON.parse(f[3]!) as VotesCounted).votes.map((v) => v[0]) : []));
}

/** The sum of every choice's tally. */
export const tallySum = async (redis: Redis) => Object.values(await redis.hgetall(TALLIES)).reduce((a, v) => a + Number(v), 0);
