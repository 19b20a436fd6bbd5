// Votes sent with an Idempotency-Key (README "Safe retries") on both counters (count-votes.lua on a
// real Redis, the file log's counter): a vote whose key already counted a vote within 24 h is
// acknowledged and not counted, whichever of the two the consumer group delivers first, and a
// batch delivered again counts nothing; the engines' fold then shows one vote, the first's receipt
// counted.

import { join } from 'node:path';
import t from 'tap';
import { foldEvent, topicCreated, voteCast } from '../../../../core/domain/stream/events.js';
import { StreamState } from '../../../../core/domain/stream/stream-state.js';
import { START } from '../../../../core/domain/stream/event.js';
import { IDEMPOTENCY_TTL_MS } from '../../../../core/domain/stream/idempotency.js';
import type { EventLog } from '../../../../core/store/event-log.js';
import { FileEventLog } from '../../../../core/store/file-event-log.js';
import { RedisVoteCounter } from '../../../../syncer/votes/redis-vote-counter.js';
import { FileVoteCounter } from '../../../../syncer/votes/file-vote-counter.js';
import { countsForKey, type VoteCounter } from '../../../../syncer/votes/vote-counter.js';
import { VOTES_GROUP } from '../../../../syncer/votes/vote-processor.js';
import { STREAM, redisLog } from '../../../helpers/redis-votes.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

type Teardown = Parameters<typeof scratchDir>[0];
const counters: [string, (t: Teardown) => Promise<{ events: EventLog; counter: () => VoteCounter }>][] = [
  [
    'redis (count-votes.lua)',
    async (t) => {
      const { redis, events } = await redisLog(t);
      return { events, counter: () => new RedisVoteCounter(redis, STREAM, VOTES_GROUP) };
    },
  ],
  [
    'file log',
    async (t) => {
      const events = await FileEventLog.open(join(scratchDir(t), 'events'));
      t.teardown(() => events.close());
      // A new counter each time: the second rebuilds its record from the log, as after a restart.
      return { events, counter: () => new FileVoteCounter(events, VOTES_GROUP) };
    },
  ],
];

const topic = { title: 'T', is_active: true, choices: [{ description: 'a' }, { description: 'b' }] };
const vote = (choice: number, key?: string) => voteCast({ topic_id: 1, choice_id: choice, queued_at: 1, ...(key === undefined ? {} : { idem: { key, digest: 'd' } }) });

for (const [name, open] of counters) {
  t.test(`${name}: one vote per Idempotency-Key, whichever comes first; the fold marks the first counted`, async (t) => {
    const { events, counter } = await open(t);
    await events.ensureGroup(VOTES_GROUP, START);
    await events.append(topicCreated({ topic, at: 1 }));
    const first = await events.append(vote(1, 'k'));
    const retry = await events.append(vote(1, 'k')); // a concurrent retry on another engine
    const other = await events.append(vote(2, 'j'));
    const plain = await events.append(vote(2));
    const all = await events.read(START, { count: 100 });
    const byId = (id: string) => all.find((e) => e.id === id)!;
    await events.readGroup(VOTES_GROUP, 'p1', { count: 100 }); // delivered; counted below in another order

    // The retry's batch is counted before the first's (two consumers, the first one slower).
    const c1 = counter();
    t.equal((await c1.count([byId(retry)], 1_000)).votes, 1, 'the key counts the vote it meets first');
    t.equal((await c1.count([byId(first), byId(other), byId(plain)], 2_000)).votes, 2, 'the first is the same key: not counted; the others are');
    t.equal((await counter().count([byId(retry), byId(first)], 3_000)).votes, 0, 'delivered again, to a restarted counter: nothing');

    const state = StreamState.empty(100);
    for (const e of await events.read(START, { count: 100 })) foldEvent(state, e);
    t.equal(state.topics.votes(1), 1, 'choice 1: one vote for the key');
    t.equal(state.topics.votes(2), 2, 'choice 2: the other key and the vote without one');
    t.ok(state.votes.get(first)!.countedMs > 0, 'the first vote (the one both requests were answered with) is counted');
    t.equal(state.votes.get(retry), undefined, 'the retry has no receipt');
  });
}

t.test('countsForKey: a key counts again only more than 24 h from the vote it counted, either way', async (t) => {
  const ms = 1_800_000_000_000;
  t.ok(countsForKey(`${ms}-0`, undefined));
  t.notOk(countsForKey(`${ms + IDEMPOTENCY_TTL_MS}-0`, ms));
  t.notOk(countsForKey(`${ms - IDEMPOTENCY_TTL_MS}-0`, ms), 'an earlier vote delivered late');
  t.ok(countsForKey(`${ms + IDEMPOTENCY_TTL_MS + 1}-0`, ms));
});
