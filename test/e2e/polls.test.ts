// Polls one can trust, over real HTTP (README "Topics and votes"): one vote per player on a
// `votes_per_player: "one"` topic (a second is 409 already_voted, the first stands), an `ends_at`
// after which votes are 409 topic_closed while a vote queued before it is counted whenever the
// processor gets to it (the engine's clock is a ManualClock), two votes of one player that reached
// the log at once (as through two engines) with only the first counted and the second's receipt
// refused, the end moved by PUT, and all of it kept through a stream snapshot and a restart.

import t from 'tap';
import { voteCast } from '../../core/domain/stream/events.js';
import { ManualClock } from '../../core/runtime/clock.js';
import { eventually } from '../helpers/eventually.js';
import { httpClient, type TestClient } from '../helpers/http.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';
import { row } from '../helpers/feed-rows.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { streamJobs } from '../helpers/stream-jobs.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const json = (key: string): Record<string, string> => ({ 'content-type': 'application/json', 'x-api-key': key });

function api(http: TestClient, url: string) {
  return {
    create: (body: unknown) => http.send('POST', `${url}/topics`, JSON.stringify(body), json(ADMIN_KEY)),
    update: (id: number, body: unknown) => http.send('PUT', `${url}/topics/${id}`, JSON.stringify(body), json(ADMIN_KEY)),
    one: (id: number) => http.get(`${url}/topics/${id}?include_votes=true`, { 'x-api-key': GAME_KEY }),
    vote: (body: unknown) => http.send('POST', `${url}/votes`, JSON.stringify(body), json(GAME_KEY)),
    receipt: (id: string) => http.get(`${url}/votes/${id}?api_key=${GAME_KEY}`),
  };
}

const votesOf = (r: { body: unknown }): number[] => (r.body as { choices: { votes: number }[] }).choices.map((c) => c.votes);
const idOf = (r: { body: unknown }): string => (r.body as { id: string }).id;

t.test('one vote per player, an end, and the door answering both', async (t) => {
  const start = Date.UTC(2030, 0, 1, 12);
  const clock = new ManualClock(start);
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], clock });
  const a = api(httpClient(t), eng.url);
  const END = start + 60_000;

  const poll = await a.create({ title: 'MVP?', votes_per_player: 'one', ends_at: new Date(END).toISOString().replace('Z', '+00:00'), choices: [{ description: 'Ana' }, { description: 'Bo' }] });
  t.match(poll, { status: 201, body: { id: 1, votes_per_player: 'one', ends_at: '2030-01-01T12:01:00.000Z' } });
  t.same(Object.keys(poll.body as object), ['id', 'created', 'last_upd', 'is_active', 'title', 'choices', 'votes_per_player', 'ends_at'], 'the contract keys, then the poll settings');
  t.match(await a.create({ title: 'Map?', choices: [{ description: 'Dust' }] }), { status: 201, body: { id: 2, votes_per_player: 'unlimited', ends_at: null } }, 'the defaults');
  t.match(await a.create({ title: 'x', votes_per_player: 'two', choices: [{ description: 'a' }] }), { status: 400, body: { error: 'bad_body', message: /^votes_per_player must be "unlimited" or "one"/ } });
  t.match(await a.create({ title: 'x', ends_at: '2030-01-01T12:00:00', choices: [{ description: 'a' }] }), { status: 400, body: { error: 'bad_body', message: /^ends_at must be an ISO-8601 instant with its offset/ } });

  // One vote per player.
  const first = await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p1' });
  t.match(first, { status: 202, body: { topic_id: 1, choice_id: 1, player_id: 'p1', queued_at: new Date(start).toISOString() } });
  t.same(await a.vote({ topic_id: 1, choice_id: 2, player_id: 'p1' }).then((r) => [r.status, r.body]), [
    409,
    { error: 'already_voted', message: 'this player has already voted on this topic (votes_per_player is "one"); the first vote stands' },
  ], "p1's second vote, before any fold has the first: refused at the door");
  t.match(await a.vote({ topic_id: 1, choice_id: 2 }), { status: 400, body: { error: 'bad_body', message: /^player_id is required/ } }, 'no player_id on a one-vote topic');
  t.match(await a.vote({ topic_id: 1, choice_id: 2, player_id: '' }), { status: 400, body: { error: 'bad_body', message: /^player_id must be a string of 1 to 128/ } });
  t.match(await a.vote({ topic_id: 2, choice_id: 3, player_id: 'x'.repeat(129) }), { status: 400, body: { error: 'bad_body', message: /^player_id/ } }, 'checked on any topic');
  t.match(await a.vote({ topic_id: 1, choice_id: 2, player_id: 'p2' }), { status: 202 });

  // Unlimited: a player's every vote counts.
  t.match(await a.vote({ topic_id: 2, choice_id: 3, player_id: 'p1' }), { status: 202, body: { player_id: 'p1' } });
  t.match(await a.vote({ topic_id: 2, choice_id: 3, player_id: 'p1' }), { status: 202 }, 'again on the unlimited topic');

  // The end: a millisecond before it a vote is queued; at it, refused. Counted only after the end.
  clock.set(END - 1);
  const late = await a.vote({ topic_id: 1, choice_id: 2, player_id: 'p3' });
  t.match(late, { status: 202, body: { queued_at: new Date(END - 1).toISOString() } });
  clock.set(END);
  t.same(await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p4' }).then((r) => [r.status, r.body]), [
    409,
    { error: 'topic_closed', message: 'this topic has ended (ends_at has passed): it takes no votes and its tallies are final' },
  ]);
  t.match(await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p1' }), { status: 409, body: { error: 'topic_closed' } }, 'the end is checked first');

  await startVoteProcessor(t, eng.events);
  const tallied = await eventually(() => a.one(1), (r) => votesOf(r).join() === '1,2', 10_000, 'p1 for Ana; p2 and p3 (queued before the end) for Bo', 25);
  t.same(votesOf(tallied), [1, 2]);
  t.same(votesOf(await eventually(() => a.one(2), (r) => votesOf(r)[0] === 2, 10_000, 'both votes of p1 on the unlimited topic', 25)), [2]);
  t.match(await a.receipt(idOf(late)), { status: 200, body: { id: idOf(late), topic_id: 1, choice_id: 2, created: /^\d{4}-/ } }, 'counted after the end');
  t.match(await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p1' }), { status: 409, body: { error: 'topic_closed' } });

  // PUT: votes_per_player is fixed, ends_at kept when absent, moved, removed.
  const choices = [{ id: 1, description: 'Ana' }, { id: 2, description: 'Bo' }];
  t.same(await a.update(1, { title: 'MVP?', votes_per_player: 'unlimited', choices }).then((r) => [r.status, r.body]), [
    409,
    { error: 'votes_per_player_fixed', message: 'votes_per_player is set when a topic is created and cannot change' },
  ]);
  t.match(await a.update(1, { title: 'MVP?', votes_per_player: 'one', choices }), { status: 200, body: { votes_per_player: 'one', ends_at: '2030-01-01T12:01:00.000Z' } }, 'the same value, and ends_at kept when absent');
  t.match(await a.update(1, { title: 'MVP?', ends_at: 'soon', choices }), { status: 400, body: { error: 'bad_body', message: /^ends_at/ } });
  t.match(await a.update(1, { title: 'MVP?', ends_at: '2030-01-01T13:02:00+01:00', choices }), { status: 200, body: { ends_at: '2030-01-01T12:02:00.000Z' } }, 'moved later: reopened');
  t.match(await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p4' }), { status: 202 }, 'reopened: takes votes');
  t.match(await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p1' }), { status: 409, body: { error: 'already_voted' } }, 'and still one per player');
  t.match(await a.update(1, { title: 'MVP?', ends_at: null, choices }), { status: 200, body: { ends_at: null } }, 'null: no end');
  clock.set(END + 3_600_000);
  t.match(await a.vote({ topic_id: 1, choice_id: 2, player_id: 'p5' }), { status: 202 }, 'no end: takes votes at any time');
  await eventually(() => a.one(1), (r) => votesOf(r).join() === '2,3', 10_000, 'p4 and p5 counted', 25);
});

t.test('two votes of one player reaching the log at once (two engines): the first counts, the second is refused', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const a = api(httpClient(t), eng.url);
  t.match(await a.create({ title: 'MVP?', votes_per_player: 'one', choices: [{ description: 'Ana' }, { description: 'Bo' }] }), { status: 201 });
  // Straight into the log, as two engines that had not folded each other's vote would append them.
  const now = Date.now();
  const [firstId, secondId] = await Promise.all([
    eng.events.append(voteCast({ topic_id: 1, choice_id: 1, queued_at: now, player_id: 'p1' })),
    eng.events.append(voteCast({ topic_id: 1, choice_id: 2, queued_at: now, player_id: 'p1' })),
  ]);
  const refused = await eventually(() => a.receipt(secondId), (r) => r.status === 200, 10_000, 'the second folded', 25);
  t.same(refused.body, { id: secondId, status: 'refused', reason: 'already_voted', topic_id: 1, choice_id: 2, queued_at: new Date(now).toISOString() }, 'refused for good, before the processor ran');
  t.match(await a.vote({ topic_id: 1, choice_id: 2, player_id: 'p1' }), { status: 409, body: { error: 'already_voted' } }, 'the door knows from the fold');

  await startVoteProcessor(t, eng.events);
  await eventually(() => a.receipt(firstId), (r) => r.status === 200, 10_000, 'the first counted', 25);
  const tally = await eventually(() => a.one(1), (r) => votesOf(r)[0] === 1, 10_000, 'the first vote counted', 25);
  t.same(votesOf(tally), [1, 0], 'only the first counted: the processor named both, the fold dropped the second');
  t.same((await a.receipt(secondId)).body, refused.body, 'still refused once the processor has named it');
});

t.test('a stream snapshot and a restart keep the poll settings, the voters and the refused receipts', async (t) => {
  const dir = scratchDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const http = httpClient(t);
  const a = api(http, first.url);
  const END = Date.UTC(2099, 0, 1);
  t.match(await a.create({ title: 'MVP?', votes_per_player: 'one', ends_at: new Date(END).toISOString(), choices: [{ description: 'Ana' }] }), { status: 201 });
  t.match(await a.vote({ topic_id: 1, choice_id: 1, player_id: 'p1' }), { status: 202 });
  const secondId = await first.events.append(voteCast({ topic_id: 1, choice_id: 1, queued_at: Date.now(), player_id: 'p1' }));
  const processor = await startVoteProcessor(t, first.events);
  await eventually(() => a.one(1), (r) => votesOf(r)[0] === 1, 10_000, 'the first vote counted', 25);
  await processor.stop();
  const before = (await a.one(1)).body;
  const j = streamJobs(dir, first.events);
  t.match(await j.compact.run(), { outcome: 'published' });
  await first.stop();

  const second = await startTestEngine(t, { dir });
  const b = api(http, second.url);
  t.match(second.logs.find((l) => l.msg === 'stream snapshot loaded'), { version: (await j.store.latest('stream'))! }, 'booted from the snapshot');
  t.same((await b.one(1)).body, before, 'the topic with its settings and tally');
  t.match(before, { votes_per_player: 'one', ends_at: '2099-01-01T00:00:00.000Z', choices: [{ votes: 1 }] });
  t.match(await b.vote({ topic_id: 1, choice_id: 1, player_id: 'p1' }), { status: 409, body: { error: 'already_voted' } }, 'the voters came with the snapshot');
  t.match(await b.receipt(secondId), { status: 200, body: { status: 'refused', reason: 'already_voted' } });
  t.match(await b.vote({ topic_id: 1, choice_id: 1, player_id: 'p2' }), { status: 202 }, 'another player still votes');
});
