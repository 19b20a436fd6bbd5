// The Redis event log against the shared contract, on a real redis-server.

import t from 'tap';
import { openRedis, redisReady } from '../../../../core/store/redis-connection.js';
import { RedisEventLog } from '../../../../core/store/redis-event-log.js';
import { runEventLogContract } from '../../../contract/event-log.js';
import { startRedis } from '../../../helpers/redis.js';

t.test('RedisEventLog', async (t) => {
  const server = await startRedis(t);
  let n = 0;
  runEventLogContract(t, 'RedisEventLog', async (t) => {
    const redis = openRedis(server.url, 'events');
    const blocking = openRedis(server.url, 'events-blocking');
    await Promise.all([redisReady(redis, 5_000), redisReady(blocking, 5_000)]);
    const log = new RedisEventLog(redis, blocking, `events:${++n}`);
    t.teardown(async () => {
      await log.close();
      redis.disconnect();
    });
    return log;
  });
});
