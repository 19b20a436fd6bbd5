// One vote per player across engines, on real parts (README "Topics and votes"): redis-server,
// s3rver, a syncer whose vote processor counts, and two engine processes. Each player votes through
// both engines at the same moment; whichever answers 202, exactly one vote per player is counted,
// on both engines, and a vote that is not counted has a receipt saying it was refused. Two votes
// of one player put straight into the Redis stream (two engines that had not folded each other's)
// are decided the same way: the first in the stream counts.

import { Redis } from 'ioredis';
import t from 'tap';
import { redisKeys } from '../../core/store/redis-keys.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf } from '../helpers/feed-rows.js';
import { startEngineProc, startStack, startSyncer } from '../helpers/production.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';

const PLAYERS = 20;

t.test('two engines, one player voting through both at once: one vote counted, the other 409 or refused', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  const keys = { API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}` };
  const engines = [await startEngineProc(t, stack, keys), await startEngineProc(t, stack, keys)];
  await startSyncer(t, stack, keys);
  const http = stack.http;
  const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });
  const created = await http.send('POST', `${engines[0]!.base}/topics`, JSON.stringify({ title: 'MVP?', votes_per_player: 'one', choices: [{ description: 'Ana' }, { description: 'Bo' }] }), json(ADMIN_KEY));
  t.match(created, { status: 201, body: { id: 1, votes_per_player: 'one' } });
  await eventually(() => http.get(`${engines[1]!.base}/topics/1`, { 'x-api-key': GAME_KEY }), (r) => r.status === 200, 10_000, 'the second engine has the topic');

  // Each player votes for Ana through one engine and for Bo through the other, at the same moment.
  const answers = await Promise.all(
    Array.from({ length: PLAYERS }, (_, i) =>
      Promise.all(
        engines.map((e, k) => http.send('POST', `${e.base}/votes`, JSON.stringify({ topic_id: 1, choice_id: 1 + k, player_id: `p${i}` }), json(GAME_KEY))),
      ),
    ),
  );
  const accepted: string[] = [];
  for (const [i, pair] of answers.entries()) {
    for (const r of pair) {
      t.ok(r.status === 202 || (r.status === 409 && (r.body as { error: string }).error === 'already_voted'), `p${i}: 202 or 409 already_voted (${r.status} ${r.text})`);
      if (r.status === 202) accepted.push((r.body as { id: string }).id);
    }
    t.ok(pair.some((r) => r.status === 202), `p${i}: at least one vote accepted`);
  }

  t.comment(`${accepted.length} of ${PLAYERS * 2} votes through the engines answered 202 (the others 409 at the door)`);

  // Two votes of one player straight into the stream, as two engines append them.
  const redis = new Redis(stack.redis.url);
  t.teardown(() => redis.disconnect());
  const stream = redisKeys().events;
  const cast = (choice: number) => JSON.stringify({ topic_id: 1, choice_id: choice, queued_at: Date.now(), player_id: 'direct' });
  const firstDirect = (await redis.xadd(stream, '*', 'type', 'vote_cast', 'data', cast(2)))!;
  const secondDirect = (await redis.xadd(stream, '*', 'type', 'vote_cast', 'data', cast(1)))!;
  accepted.push(firstDirect, secondDirect);

  const total = PLAYERS + 1;
  const tallies = async (base: string) => ((await http.get(`${base}/topics/1?include_votes=true`, { 'x-api-key': GAME_KEY })).body as { choices: { votes: number }[] }).choices.map((c) => c.votes);
  const receipt = (id: string) => http.get(`${engines[0]!.base}/votes/${id}?api_key=${GAME_KEY}`);
  // Every accepted vote processed: counted (200 with created) or refused (200 with status refused).
  const receipts = await eventually(
    () => Promise.all(accepted.map(receipt)),
    (rs) => rs.every((r) => r.status === 200 && ((r.body as { created?: string }).created !== undefined || (r.body as { status?: string }).status === 'refused')),
    30_000,
    'every accepted vote counted or refused',
  );
  const counted = receipts.filter((r) => (r.body as { created?: string }).created !== undefined);
  const refused = receipts.filter((r) => (r.body as { status?: string }).status === 'refused');
  t.equal(counted.length, total, `one vote counted per player (${accepted.length} accepted)`);
  t.equal(refused.length, accepted.length - total, 'every other accepted vote refused');
  t.ok(refused.every((r) => (r.body as { reason: string }).reason === 'already_voted'), 'refused: already_voted');
  t.match((await receipt(firstDirect)).body, { id: firstDirect, choice_id: 2, created: /^\d{4}-/ }, 'straight into the stream: the first counts');
  t.match((await receipt(secondDirect)).body, { id: secondDirect, status: 'refused', reason: 'already_voted', choice_id: 1 }, 'the second is refused');
  for (const e of engines) {
    const shown = await eventually(() => tallies(e.base), (v) => v[0]! + v[1]! === total, 10_000, 'the engine shows one vote per player');
    t.equal(shown[0]! + shown[1]!, total, `${e.base}: ${total} votes, one per player`);
  }
  t.same(await tallies(engines[0]!.base), await tallies(engines[1]!.base), 'both engines agree');
  for (const e of engines) {
    const again = await http.send('POST', `${e.base}/votes`, JSON.stringify({ topic_id: 1, choice_id: 1, player_id: 'p0' }), json(GAME_KEY));
    t.match(again, { status: 409, body: { error: 'already_voted' } }, 'a later vote of a player is refused at either door');
  }
});
