// The Redis snapshot store against the shared contract on a real redis-server, pruning, and what a
// Redis that is down does to callers: fail at once, never hang.

import t from 'tap';
import { redisReady } from '../../../../core/store/redis-connection.js';
import { RedisSnapshotStore } from '../../../../core/store/redis-snapshot-store.js';
import { runSnapshotStoreContract } from '../../../contract/snapshot-store.js';
import { connectRedis, startRedis } from '../../../helpers/redis.js';
import { redisKeys } from '../../../../core/store/redis-keys.js';

t.test('RedisSnapshotStore', async (t) => {
  const server = await startRedis(t);
  const redis = await connectRedis(t, server.url);
  let n = 0;
  runSnapshotStoreContract(t, 'RedisSnapshotStore', async () => ({
    store: new RedisSnapshotStore(redis, redisKeys(`case${++n}`)),
    cleanup: async () => {},
  }));

  t.test('keepNewest drops old versions but never the one the pointer names', async (t) => {
    const store = new RedisSnapshotStore(redis, redisKeys('prune'));
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) await store.put('ads', v, Buffer.from(v));
    await store.setLatest('ads', 'v1'); // a rollback to the oldest
    t.same(await store.keepNewest('ads', 2), ['v2', 'v3']);
    t.same(await store.list('ads'), ['v1', 'v4', 'v5']);
    t.same(Buffer.from(await store.get('ads', 'v1')), Buffer.from('v1'));
  });

  t.test('bytes survive exactly (binary, not text)', async (t) => {
    const store = new RedisSnapshotStore(redis, redisKeys('binary'));
    const bytes = Buffer.from([0, 255, 10, 13, 0x80, 0xc3, 0x28]);
    await store.put('ads', 'v1', bytes);
    t.same(Buffer.from(await store.get('ads', 'v1')), bytes);
  });
});

t.test('Redis down: commands fail at once instead of queueing, and work again after it returns', async (t) => {
  const server = await startRedis(t);
  const redis = await connectRedis(t, server.url);
  const store = new RedisSnapshotStore(redis);
  await store.put('ads', 'v1', Buffer.from('one'));
  await store.setLatest('ads', 'v1');
  await server.stop();
  await t.rejects(store.latest('ads'));
  await t.rejects(store.get('ads', 'v1'));
  await server.start();
  t.ok(await redisReady(redis, 10_000), 'reconnected');
  t.equal(await store.latest('ads'), null, 'a restarted Redis without persistence is empty, and says so');
});
