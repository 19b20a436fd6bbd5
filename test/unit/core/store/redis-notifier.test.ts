// The Redis pub/sub notifier on a real redis-server: every subscriber hears every publish.

import t from 'tap';
import { RedisNotifier } from '../../../../core/store/redis-notifier.js';
import { eventually } from '../../../helpers/eventually.js';
import { connectRedis, startRedis } from '../../../helpers/redis.js';

t.test('RedisNotifier: every subscriber hears each publish as (kind, version)', async (t) => {
  const server = await startRedis(t);
  const publisher = new RedisNotifier(await connectRedis(t, server.url), null);
  const heard: string[][] = [[], []];
  for (const list of heard) {
    const sub = new RedisNotifier(await connectRedis(t, server.url), await connectRedis(t, server.url, 'sub'));
    sub.subscribe((kind, version) => list.push(`${kind}/${version}`));
  }
  // SUBSCRIBE is asynchronous: publish until both have heard, then check what they hear next.
  await eventually(
    async () => {
      await publisher.publish('ads', 'v-probe');
      return heard.every((h) => h.length > 0);
    },
    (both) => both,
    5_000,
    'both subscribers hear a probe',
    20,
  );
  await publisher.publish('ads', 'v2');
  await eventually(() => heard.map((h) => h.at(-1)), (last) => last.every((l) => l === 'ads/v2'), 5_000, 'both hear v2');
  for (const list of heard) t.equal(list.at(-1), 'ads/v2');
  t.throws(() => publisher.subscribe(() => {}), /without a subscriber/);
});
