// The Redis event log against the shared contract, on a real redis-server.

import t from 'tap';
import { EventLogNotDurableError } from '../../../../core/errors.js';
import { encodeEvent } from '../../../../core/domain/stream/event.js';
import { voteCast } from '../../../../core/domain/stream/events.js';
import { openRedis, redisReady } from '../../../../core/store/redis-connection.js';
import { DEFAULT_DURABILITY, RedisEventLog } from '../../../../core/store/redis-event-log.js';
import { runEventLogContract } from '../../../contract/event-log.js';
import { eventually } from '../../../helpers/eventually.js';
import { connectRedis, startRedis } from '../../../helpers/redis.js';
import { MEMORY_ONLY } from '../../../helpers/redis-votes.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

const vote = voteCast({ topic_id: 1, choice_id: 2, queued_at: 1_764_000_000_000 });

t.test('RedisEventLog', async (t) => {
  const server = await startRedis(t);
  let n = 0;
  runEventLogContract(t, 'RedisEventLog', async (t) => {
    const redis = openRedis(server.url, 'events');
    const blocking = openRedis(server.url, 'events-blocking');
    await Promise.all([redisReady(redis, 5_000), redisReady(blocking, 5_000)]);
    const log = new RedisEventLog(redis, blocking, `events:${++n}`, MEMORY_ONLY);
    t.teardown(async () => {
      await log.close();
      redis.disconnect();
    });
    return log;
  });
});

// What an acknowledged write survives is EVENT_LOG_DURABILITY (README "Durability"): each mode on a
// real redis-server set up the way it names.
t.test('durability: aof refuses to acknowledge on a Redis without AOF, and acknowledges once it has it', async (t) => {
  const server = await startRedis(t, { dir: scratchDir(t) });
  const redis = await connectRedis(t, server.url);
  const blocking = await connectRedis(t, server.url, 'blocking');
  const log = new RedisEventLog(redis, blocking, 'events', { ...DEFAULT_DURABILITY, mode: 'aof' });
  const err = await log.append(vote).then(() => null, (e: unknown) => e);
  t.ok(err instanceof EventLogNotDurableError, 'refused');
  t.match((err as Error).message, /AOF off/);
  t.equal(await redis.xlen('events'), 0, 'and nothing written');

  await redis.config('SET', 'appendonly', 'yes');
  // The check is made once per connection: a reconnect (another server, maybe) makes it again.
  const reconnected = new Promise((resolve) => redis.once('ready', resolve));
  redis.disconnect(true);
  await reconnected;
  t.match(await log.append(vote), /^\d+-\d+$/, 'acknowledged with AOF on');
  t.equal(await redis.xlen('events'), 1);
});

t.test('durability: memory takes Redis at its word', async (t) => {
  const server = await startRedis(t);
  const redis = await connectRedis(t, server.url);
  const log = new RedisEventLog(redis, await connectRedis(t, server.url, 'blocking'), 'events', { ...DEFAULT_DURABILITY, mode: 'memory' });
  t.match(await log.appendBatch([encodeEvent(vote), encodeEvent(vote)]), [/^\d+-\d+$/, /^\d+-\d+$/]);
});

t.test('durability: replicas acknowledges once WAIT counts the replicas, refuses when it cannot', async (t) => {
  const primary = await startRedis(t);
  const redis = await connectRedis(t, primary.url);
  const blocking = await connectRedis(t, primary.url, 'blocking');
  const replicas = (n: number) => new RedisEventLog(redis, blocking, 'events', { mode: 'replicas', replicas: n, waitMs: 200 });
  const alone = await replicas(1).append(vote).then(() => null, (e: unknown) => e);
  t.ok(alone instanceof EventLogNotDurableError, 'no replica: refused');
  t.match((alone as Error).message, /0 of the 1 replicas/);

  const replica = await startRedis(t, { replicaOf: primary.port });
  const follower = await connectRedis(t, replica.url, 'replica');
  await eventually(async () => /^slave0:.*state=online/m.test(await redis.info('replication')), (online) => online, 10_000, 'replica in sync');
  const ids = await replicas(1).appendBatch([encodeEvent(vote), encodeEvent(vote)]);
  t.equal(ids.length, 2, 'one replica has it: acknowledged');
  t.equal((await follower.xrange('events', ids[0]!, ids[1]!)).length, 2, 'and the replica holds the batch');
  t.ok((await replicas(2).append(vote).then(() => null, (e: unknown) => e)) instanceof EventLogNotDurableError, 'asking for two of one: refused');
});
