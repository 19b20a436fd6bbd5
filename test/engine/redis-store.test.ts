// The Redis snapshot store against the shared contract on a real redis-server, the pub/sub notifier,
// pruning, and what a Redis that is down does to callers: fail at once, never hang.

import t from 'tap';
import type { Redis } from 'ioredis';
import { openRedis, redisReady } from '../../engine/store/redis-connection.js';
import { RedisNotifier } from '../../engine/store/redis-notifier.js';
import { RedisSnapshotStore } from '../../engine/store/redis-snapshot-store.js';
import { runSnapshotStoreContract } from '../contract/snapshot-store.js';
import { startRedis } from '../helpers/redis.js';

async function connect(t: { teardown(fn: () => unknown): void }, url: string, name = 'test'): Promise<Redis> {
  const redis = openRedis(url, name);
  t.teardown(() => redis.disconnect());
  if (!(await redisReady(redis, 5_000))) throw new Error('redis not ready');
  return redis;
}

t.test('RedisSnapshotStore', async (t) => {
  const server = await startRedis(t);
  const redis = await connect(t, server.url);
  let n = 0;
  runSnapshotStoreContract(t, 'RedisSnapshotStore', async () => ({
    store: new RedisSnapshotStore(redis, `case${++n}:`),
    cleanup: async () => {},
  }));

  t.test('keepNewest drops old versions but never the one the pointer names', async (t) => {
    const store = new RedisSnapshotStore(redis, 'prune:');
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) await store.put('ads', v, Buffer.from(v));
    await store.setLatest('ads', 'v1'); // a rollback to the oldest
    t.same(await store.keepNewest('ads', 2), ['v2', 'v3']);
    t.same(await store.list('ads'), ['v1', 'v4', 'v5']);
    t.same(Buffer.from(await store.get('ads', 'v1')), Buffer.from('v1'));
  });

  t.test('bytes survive exactly (binary, not text)', async (t) => {
    const store = new RedisSnapshotStore(redis, 'binary:');
    const bytes = Buffer.from([0, 255, 10, 13, 0x80, 0xc3, 0x28]);
    await store.put('ads', 'v1', bytes);
    t.same(Buffer.from(await store.get('ads', 'v1')), bytes);
  });
});

t.test('RedisNotifier: every subscriber hears each publish as (kind, version)', async (t) => {
  const server = await startRedis(t);
  const publisher = new RedisNotifier(await connect(t, server.url), null);
  const heard: string[][] = [[], []];
  for (const list of heard) {
    const sub = new RedisNotifier(await connect(t, server.url), await connect(t, server.url, 'sub'));
    sub.subscribe((kind, version) => list.push(`${kind}/${version}`));
  }
  // SUBSCRIBE is asynchronous: publish until both have heard, then check what they heard.
  for (let i = 0; i < 100 && heard.some((h) => h.length === 0); i++) {
    await publisher.publish('ads', 'v-probe');
    await new Promise((r) => setTimeout(r, 20));
  }
  await publisher.publish('ads', 'v2');
  await new Promise((r) => setTimeout(r, 100));
  for (const list of heard) t.equal(list.at(-1), 'ads/v2');
  t.throws(() => publisher.subscribe(() => {}), /without a subscriber/);
});

t.test('Redis down: commands fail at once instead of queueing, and work again after it returns', async (t) => {
  const server = await startRedis(t);
  const redis = await connect(t, server.url);
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
