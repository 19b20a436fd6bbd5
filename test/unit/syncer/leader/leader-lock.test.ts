// The leader lock and the publish guard on a real redis-server (and s3rver for the guarded store):
// one leader at a time, a clean hand-over, a leader that cannot renew steps down by its own clock,
// and a leader that lost the lock while busy cannot move the pointer.

import t from 'tap';
import type { Redis } from 'ioredis';
import { redisReady } from '../../../../core/store/redis-connection.js';
import { RedisSnapshotStore } from '../../../../core/store/redis-snapshot-store.js';
import { S3SnapshotStore } from '../../../../core/store/s3-snapshot-store.js';
import { LeaderLock } from '../../../../syncer/leader/leader-lock.js';
import { ReplicatedStore } from '../../../../syncer/publish/replicated-store.js';
import { eventually } from '../../../helpers/eventually.js';
import { quietLogger } from '../../../helpers/logger.js';
import { connectRedis, startRedis } from '../../../helpers/redis.js';
import { startS3 } from '../../../helpers/s3.js';
import { redisKeys } from '../../../../core/store/redis-keys.js';

const KEY = redisKeys().syncerLeader;

function lock(t: { teardown(fn: () => unknown): void }, redis: Redis, ttlMs: number, changes: boolean[] = []): LeaderLock {
  const l = new LeaderLock({ redis, ttlMs, log: quietLogger(), onChange: (leader) => changes.push(leader) });
  t.teardown(() => l.stop().catch(() => {}));
  return l;
}

t.test('one leader at a time; stop() releases and the standby takes over on its next try', async (t) => {
  const server = await startRedis(t);
  const redis = await connectRedis(t, server.url);
  const aChanges: boolean[] = [];
  const a = lock(t, redis, 600, aChanges);
  const b = lock(t, await connectRedis(t, server.url), 600);
  await a.start();
  await b.start();
  t.ok(a.isLeader);
  t.notOk(b.isLeader);
  t.equal(await redis.get(KEY), a.token);
  await new Promise((r) => setTimeout(r, 1_500)); // several renewals: a stays leader past its TTL
  t.ok(a.isLeader, 'renewed');
  t.notOk(b.isLeader);
  await a.stop();
  t.same(aChanges, [true, false]);
  t.ok(await eventually(() => b.isLeader, Boolean, 1_000, 'standby leads', 20), 'standby leads within one try interval (ttl/3)');
  t.equal(await redis.get(KEY), b.token);
});

t.test('a leader that cannot reach Redis steps down by its own clock, before the lock can expire', async (t) => {
  const server = await startRedis(t);
  const a = lock(t, await connectRedis(t, server.url), 600);
  await a.start();
  t.ok(a.isLeader);
  await server.stop();
  t.ok(await eventually(() => !a.isLeader, Boolean, 1_000, 'a steps down', 20), 'not leader once the TTL has run out locally');
});

t.test('a leader that lost the lock while busy cannot move the pointer (S3 or Redis)', async (t) => {
  const server = await startRedis(t);
  const redis = await connectRedis(t, server.url);
  const s3 = await startS3(t, ['snaps']);
  const primary = new S3SnapshotStore({ client: s3.client(), bucket: 'snaps' });
  const replica = new RedisSnapshotStore(redis);
  const stale = lock(t, redis, 5_000);
  await stale.start();
  const store = new ReplicatedStore({ primary, replica, leadership: stale, onReplicaFailure: (err) => t.fail(err.message) });
  await store.put('ads', 'v1', Buffer.from('one'));
  await store.setLatest('ads', 'v1');

  // A long pause: the lock expired and another syncer took it, which this one has not noticed yet.
  await redis.set(KEY, 'the-other-syncer', 'PX', 5_000);
  t.ok(stale.isLeader, 'by its own clock it still leads');
  await store.put('ads', 'v2', Buffer.from('two'));
  await t.rejects(store.setLatest('ads', 'v2'), { code: 'NOT_LEADER' });
  t.equal(await primary.latest('ads'), 'v1', 'S3 pointer unchanged');
  t.equal(await replica.latest('ads'), 'v1', 'Redis pointer unchanged');
  t.notOk(stale.isLeader, 'and it knows it is standby now');
});

t.test('repair() puts Redis back in step with S3 after Redis lost its data', async (t) => {
  const server = await startRedis(t);
  const redis = await connectRedis(t, server.url);
  const s3 = await startS3(t, ['snaps']);
  const primary = new S3SnapshotStore({ client: s3.client(), bucket: 'snaps' });
  const replica = new RedisSnapshotStore(redis);
  const failures: Error[] = [];
  const store = new ReplicatedStore({ primary, replica, leadership: { isLeader: true, assertLeader: async () => {} }, onReplicaFailure: (e) => failures.push(e) });
  await store.put('ads', 'v1', Buffer.from('one'));
  await store.setLatest('ads', 'v1');
  t.equal(await store.repair('ads'), null, 'in step: nothing to do');

  await server.stop();
  await store.put('ads', 'v2', Buffer.from('two'));
  await store.setLatest('ads', 'v2');
  t.equal(await primary.latest('ads'), 'v2', 'S3 published with Redis down');
  t.ok(failures.length >= 2, 'the Redis writes were counted as failures');

  await server.start(); // restarted empty (no persistence)
  await redisReady(redis, 10_000);
  t.equal(await store.repair('ads'), 'v2');
  t.equal(await replica.latest('ads'), 'v2');
  t.same(Buffer.from(await replica.get('ads', 'v2')), Buffer.from('two'));
});
