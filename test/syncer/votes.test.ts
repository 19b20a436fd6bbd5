// Votes counted exactly once on real Redis (issue 5): count-votes.lua counts, records and
// acknowledges a batch in one step, so a batch delivered again counts nothing; a consumer that
// dies holding events has them claimed by another; and the crash test: 10,000 votes in flight
// through real engine and syncer processes, the syncer killed with SIGKILL mid-stream and
// restarted, and every tally equal to the number of votes answered 202 — none lost, none doubled.

import { Redis } from 'ioredis';
import t from 'tap';
import { systemClock } from '../../engine/core/clock.js';
import { topicCreated, voteCast, type VotesCounted } from '../../engine/core/events.js';
import { createLogger } from '../../engine/core/logger.js';
import { RedisEventLog } from '../../engine/store/redis-event-log.js';
import { SyncerMetrics } from '../../syncer/metrics.js';
import { RedisVoteCounter } from '../../syncer/votes/redis-vote-counter.js';
import { VOTES_GROUP, VoteProcessor } from '../../syncer/votes/vote-processor.js';
import { startRedis } from '../helpers/redis.js';
import { eventually, startEngineProc, startStack, startSyncer, feedOf } from '../helpers/production.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';

const STREAM = 'arcade:events';
const TALLIES = `${STREAM}:votes:tallies`;
const PROCESSED = `${STREAM}:votes:processed`;

async function redisLog(t: { teardown(fn: () => unknown): void }) {
  const server = await startRedis(t);
  const redis = new Redis(server.url);
  const blocking = new Redis(server.url);
  t.teardown(() => {
    redis.disconnect();
    blocking.disconnect();
  });
  return { redis, events: new RedisEventLog(redis, blocking, STREAM) };
}

/** Every vote named by a votes_counted event in the stream (doubles show as repeats). */
async function countedInStream(redis: Redis): Promise<string[]> {
  const entries = (await redis.xrange(STREAM, '-', '+')) as [string, string[]][];
  return entries.flatMap(([, f]) => (f[1] === 'votes_counted' ? (JSON.parse(f[3]!) as VotesCounted).votes.map((v) => v[0]) : []));
}

const tallySum = async (redis: Redis) => Object.values(await redis.hgetall(TALLIES)).reduce((a, v) => a + Number(v), 0);

t.test('count-votes.lua: a batch counts once, acks with the count, and tells the engines once', async (t) => {
  const { redis, events } = await redisLog(t);
  await events.append(topicCreated({ topic: { title: 'T', is_active: true, choices: [{ description: 'a' }, { description: 'b' }] }, at: 1 }));
  const votes: string[] = [];
  for (let i = 0; i < 5; i++) votes.push(await events.append(voteCast({ topic_id: 1, choice_id: 1 + (i % 2), queued_at: 1 })));
  await events.ensureGroup(VOTES_GROUP, '0-0');
  const batch = await events.readGroup(VOTES_GROUP, 'p1', { count: 100 });
  t.equal(batch.length, 6, 'the topic and five votes');
  const counter = new RedisVoteCounter(redis, STREAM, VOTES_GROUP);
  t.equal(await counter.count(batch, 1_000), 5);
  t.same(await redis.hgetall(TALLIES), { '1': '3', '2': '2' });
  t.equal(Number(((await redis.xpending(STREAM, VOTES_GROUP)) as [number])[0]), 0, 'the whole batch acknowledged in the same step');
  // Delivered again (a lost ack, a group recreated): nothing counts twice.
  t.equal(await counter.count(batch, 2_000), 0);
  t.same(await redis.hgetall(TALLIES), { '1': '3', '2': '2' });
  t.same((await countedInStream(redis)).sort(), [...votes].sort(), 'one votes_counted entry per vote, once');
  const [, fields] = ((await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]!;
  t.same(JSON.parse(fields[3]!), { at: 1_000, votes: votes.map((id, i) => [id, 1 + (i % 2)]) }, 'the event engines fold');
  // Forgetting: processed ids older than the stream's oldest event go.
  t.equal(await redis.zcard(PROCESSED), 5);
  await counter.forgetBefore(`${Number(votes[4]!.split('-')[0]) + 1}-0`);
  t.equal(await redis.zcard(PROCESSED), 0);
});

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
    log: createLogger('error', {}, () => {}),
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

t.test('crash test: 10,000 votes in flight, the processor SIGKILLed and restarted; tallies = votes answered 202', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  const keys = { API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}` };
  const engine = await startEngineProc(t, stack, { ...keys, ENGINE_WORKERS: '2' });
  const syncerEnv = { ...keys, VOTE_CLAIM_IDLE_MS: '500' };
  let syncer = await startSyncer(t, stack, syncerEnv);
  const http = stack.http;
  const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });
  const topic = await http.send('POST', `${engine.base}/topics`, JSON.stringify({ title: 'Crash', choices: [{ description: 'a' }, { description: 'b' }, { description: 'c' }] }), json(ADMIN_KEY));
  t.equal(topic.status, 201);
  const redis = new Redis(stack.redis.url);
  t.teardown(() => redis.disconnect());

  const TOTAL = 10_000;
  const CONCURRENCY = 32;
  const accepted: string[] = [];
  const refused: number[] = [];
  let next = 0;
  const client = async () => {
    while (next < TOTAL) {
      const i = next++;
      const r = await http.send('POST', `${engine.base}/votes`, JSON.stringify({ topic_id: 1, choice_id: 1 + (i % 3) }), json(GAME_KEY));
      if (r.status === 202) accepted.push((r.body as { id: string }).id);
      else refused.push(r.status);
    }
  };
  const load = Promise.all(Array.from({ length: CONCURRENCY }, client));

  // Kill the processor mid-stream, twice, once the count is moving.
  for (const after of [1_500, 5_000]) {
    await eventually(() => tallySum(redis), (n) => n >= after, 60_000, `${after} votes counted`);
    syncer.proc.child.kill('SIGKILL');
    await syncer.proc.exited;
    syncer = await startSyncer(t, stack, syncerEnv);
  }
  await load;
  t.same(refused, [], 'every vote answered 202');
  t.equal(accepted.length, TOTAL);

  await eventually(() => tallySum(redis), (n) => n >= accepted.length, 60_000, 'every accepted vote counted');
  await eventually(async () => Number(((await redis.xpending(STREAM, VOTES_GROUP)) as [number])[0]), (n) => n === 0, 10_000, 'nothing pending');
  t.equal(await tallySum(redis), TOTAL, 'Redis tallies: exactly the votes answered 202');
  const counted = await countedInStream(redis);
  t.equal(counted.length, TOTAL, 'one votes_counted mention per vote');
  t.equal(new Set(counted).size, TOTAL, 'no vote mentioned twice');
  t.same(new Set(counted), new Set(accepted), 'the very votes answered 202');
  const perChoice = await redis.hgetall(TALLIES);
  t.same(perChoice, { '1': String(Math.ceil(TOTAL / 3)), '2': String(Math.floor((TOTAL + 1) / 3)), '3': String(Math.floor(TOTAL / 3)) }, 'per choice');

  const shown = await eventually(
    async () => (await http.get(`${engine.base}/topics/1?include_votes=true`, { 'x-api-key': GAME_KEY })).body as { choices: { votes: number }[] },
    (b) => b.choices.reduce((a, c) => a + c.votes, 0) === TOTAL,
    10_000,
    'the engine shows every vote',
  );
  t.same(shown.choices.map((c) => String(c.votes)), [perChoice['1'], perChoice['2'], perChoice['3']], 'the engine agrees with Redis');
  let receipts = 0;
  for (const id of accepted.slice(0, 500)) if ((await http.get(`${engine.base}/votes/${id}?api_key=${GAME_KEY}`)).status === 200) receipts++;
  t.equal(receipts, 500, 'receipts say counted (first 500 checked)');
  t.match(syncer.proc.stdout(), /claimed events a stopped vote processor left pending|vote processor started/);
});
