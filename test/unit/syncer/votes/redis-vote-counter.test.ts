// Votes counted exactly once on real Redis: count-votes.lua counts, records and acknowledges a batch
// in one step, so a batch delivered again counts nothing, and tells the engines once.

import t from 'tap';
import { topicCreated, voteCast } from '../../../../core/domain/stream/events.js';
import { RedisVoteCounter } from '../../../../syncer/votes/redis-vote-counter.js';
import { VOTES_GROUP } from '../../../../syncer/votes/vote-processor.js';
import { PROCESSED, STREAM, TALLIES, countedInStream, redisLog } from '../../../helpers/redis-votes.js';

t.test('count-votes.lua: a batch counts once, acks with the count, and tells the engines once', async (t) => {
  const { redis, events } = await redisLog(t);
  await events.append(topicCreated({ topic: { title: 'T', is_active: true, choices: [{ description: 'a' }, { description: 'b' }] }, at: 1 }));
  const votes: string[] = [];
  for (let i = 0; i < 5; i++) votes.push(await events.append(voteCast({ topic_id: 1, choice_id: 1 + (i % 2), queued_at: 1 })));
  await events.ensureGroup(VOTES_GROUP, '0-0');
  const batch = await events.readGroup(VOTES_GROUP, 'p1', { count: 100 });
  t.equal(batch.length, 6, 'the topic and five votes');
  const counter = new RedisVoteCounter(redis, STREAM, VOTES_GROUP);
  t.equal((await counter.count(batch, 1_000)).votes, 5);
  t.same(await redis.hgetall(TALLIES), { '1': '3', '2': '2' });
  t.equal(Number(((await redis.xpending(STREAM, VOTES_GROUP)) as [number])[0]), 0, 'the whole batch acknowledged in the same step');
  // Delivered again (a lost ack, a group recreated): nothing counts twice.
  t.equal((await counter.count(batch, 2_000)).votes, 0);
  t.same(await redis.hgetall(TALLIES), { '1': '3', '2': '2' });
  t.same((await countedInStream(redis)).sort(), [...votes].sort(), 'one votes_counted entry per vote, once');
  const [, fields] = ((await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]!;
  t.same(JSON.parse(fields[3]!), { at: 1_000, votes: votes.map((id, i) => [id, 1 + (i % 2)]) }, 'the event engines fold');
  // Forgetting: processed ids older than the stream's oldest event go.
  t.equal(await redis.zcard(PROCESSED), 5);
  await counter.forgetBefore(`${Number(votes[4]!.split('-')[0]) + 1}-0`);
  t.equal(await redis.zcard(PROCESSED), 0);
});
