// The votes crash test: 10,000 votes in flight through real engine and syncer processes on real
// Redis, the syncer killed with SIGKILL mid-stream and restarted, and every tally equal to the
// number of votes answered 202 — none lost, none doubled.

import { Redis } from 'ioredis';
import t from 'tap';
import { VOTES_GROUP } from '../../syncer/votes/vote-processor.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf } from '../helpers/feed-rows.js';
import { startEngineProc, startStack, startSyncer } from '../helpers/production.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { STREAM, TALLIES, countedInStream, tallySum } from '../helpers/redis-votes.js';

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
