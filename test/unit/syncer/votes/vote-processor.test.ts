// The vote processor on real Redis: events a consumer that died was holding are claimed by another
// after VOTE_CLAIM_IDLE_MS and counted once. Through real processes, with SIGKILL mid-stream:
// test/e2e/votes-crash.test.ts.

import t from 'tap';
import { systemClock } from '../../../../core/runtime/clock.js';
import { voteCast } from '../../../../core/domain/stream/events.js';
import { SyncerMetrics } from '../../../../syncer/metrics.js';
import { RedisVoteCounter } from '../../../../syncer/votes/redis-vote-counter.js';
import { VOTES_GROUP, VoteProcessor } from '../../../../syncer/votes/vote-processor.js';
import { eventually } from '../../../helpers/eventually.js';
import { quietLogger } from '../../../helpers/logger.js';
import { STREAM, TALLIES, countedInStream, redisLog } from '../../../helpers/redis-votes.js';

t.test('events a dead consumer held are claimed after VOTE_CLAIM_IDLE_MS and counted once', async (t) => {
  const { redis, events } = await redisLog(t);
  await events.ensureGroup(VOTES_GROUP, '0-0');
  for (let i = 0; i < 20; i++) await events.append(voteCast({ topic_id: 1, choice_id: 7, queued_at: 1 }));
  const held = await events.readGroup(VOTES_GROUP, 'dead', { count: 8 });
  t.equal(held.length, 8, 'the dead consumer holds 8, never counted');
  const metrics = new SyncerMetrics();
  const processor = new VoteProcessor({
    events,
    counter: new RedisVoteCounter(redis, STREAM, VOTES_GROUP),
    metrics,
    log: quietLogger(),
    clock: systemClock,
    claimIdleMs: 200,
    consumer: 'alive',
  });
  await processor.start();
  t.teardown(() => processor.stop());
  await eventually(() => redis.hget(TALLIES, '7'), (v) => v === '20', 10_000, 'all 20 counted');
  t.equal(Number(((await redis.xpending(STREAM, VOTES_GROUP)) as [number])[0]), 0, 'nothing left pending');
  t.match(await metrics.registry.getSingleMetricAsString('syncer_vote_events_claimed_total'), /syncer_vote_events_claimed_total 8\b/);
  t.equal((await countedInStream(redis)).length, 20);
});
