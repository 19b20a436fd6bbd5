// The topics contract (README "Topics and votes") on the folded index and
// the body rules. Ids in creation order; PUT replaces title, is_active and choices, and a choice
// resent with its id keeps its id and votes while one without an id is new; include_votes fills
// integers (0 when none), otherwise votes are null. Polls: one vote per player and an end, decided
// when a vote_cast is folded, and carried by the index's snapshot state.

import t, { type Test } from 'tap';
import { InputError } from '../../../../../core/errors.js';
import { parsePlayerId, parseTopicBody } from '../../../../../core/domain/stream/topic-rules.js';
import { TopicsIndex, isClosed, topicJson } from '../../../../../core/domain/stream/topics-index.js';

/** Each input is refused by parseTopicBody with a bad_body naming its problem. */
function refusesAll(t: Test, bad: [unknown, RegExp][]): void {
  for (const [input, message] of bad) {
    let thrown: unknown = null;
    try {
      parseTopicBody(input);
    } catch (err) {
      thrown = err;
    }
    t.ok(thrown instanceof InputError && thrown.code === 'bad_body' && message.test(thrown.message), `${JSON.stringify(input).slice(0, 80)}: ${String(thrown)}`);
  }
}

const T0 = Date.UTC(2030, 0, 1);
const body = (title: string, ...choices: (string | [number, string])[]) =>
  parseTopicBody({ title, choices: choices.map((c) => (typeof c === 'string' ? { description: c } : { id: c[0], description: c[1] })) });

t.test('create: topic ids in order, choice ids from one sequence, the wire shape', async (t) => {
  const index = new TopicsIndex();
  const a = index.create(body('Best map?', 'Dust', 'Nuke'), T0);
  const b = index.create(body('Best mode?', 'Ranked'), T0 + 1);
  t.same([a.id, b.id], [1, 2]);
  t.same(a.choices.map((c) => c.id), [1, 2]);
  t.same(b.choices.map((c) => c.id), [3]);
  t.same(topicJson(index, a, false), {
    id: 1,
    created: '2030-01-01T00:00:00.000Z',
    last_upd: '2030-01-01T00:00:00.000Z',
    is_active: true,
    title: 'Best map?',
    choices: [
      { id: 1, description: 'Dust', votes: null },
      { id: 2, description: 'Nuke', votes: null },
    ],
    votes_per_player: 'unlimited',
    ends_at: null,
  });
  t.same(topicJson(index, a, true).choices, [
    { id: 1, description: 'Dust', votes: 0 },
    { id: 2, description: 'Nuke', votes: 0 },
  ], 'include_votes: 0 when none');
  t.equal(index.topicOf(3)?.id, 2);
});

t.test('update: a choice resent with its id keeps id and votes; without an id it is new; dropped ones go', async (t) => {
  const index = new TopicsIndex();
  index.create(body('Best map?', 'Dust', 'Nuke', 'Inferno'), T0);
  index.addVotes(1, 5);
  index.addVotes(2, 3);
  const u = index.update(1, { ...body('Best map ever?', [1, 'Dust II'], 'Mirage'), is_active: false }, T0 + 60_000)!;
  t.same(u.choices, [{ id: 1, description: 'Dust II' }, { id: 4, description: 'Mirage' }]);
  t.same(topicJson(index, u, true), {
    id: 1,
    created: '2030-01-01T00:00:00.000Z',
    last_upd: '2030-01-01T00:01:00.000Z',
    is_active: false,
    title: 'Best map ever?',
    choices: [
      { id: 1, description: 'Dust II', votes: 5 },
      { id: 4, description: 'Mirage', votes: 0 },
    ],
    votes_per_player: 'unlimited',
    ends_at: null,
  });
  t.equal(index.topicOf(2), undefined, 'a dropped choice belongs to no topic (votes for it are refused)');
  t.equal(index.update(9, body('x', 'y'), T0), null, 'unknown topic');
  const other = index.create(body('Other', 'A'), T0);
  const foreign = index.update(1, body('Best map?', [other.choices[0]!.id, 'stolen']), T0)!;
  t.not(foreign.choices[0]!.id, other.choices[0]!.id, "another topic's choice id is not taken over: the choice is new");
});

t.test('bodies: what a topic is, with the problem named', async (t) => {
  t.same(parseTopicBody({ title: '  Best map? ', is_active: false, choices: [{ description: ' Dust ' }] }), {
    title: 'Best map?',
    is_active: false,
    choices: [{ description: 'Dust' }],
  });
  t.equal(parseTopicBody({ title: 'x', choices: [{ description: 'y' }] }).is_active, true, 'active unless said otherwise');
  t.same(parseTopicBody({ title: 'x', choices: [{ id: '7', description: 'y' }] }).choices, [{ id: 7, description: 'y' }], 'numeric string ids');
  const bad: [unknown, RegExp][] = [
    [null, /JSON object/],
    [[], /JSON object/],
    [{ choices: [{ description: 'y' }] }, /title/],
    [{ title: '   ', choices: [{ description: 'y' }] }, /title/],
    [{ title: 'x'.repeat(201), choices: [{ description: 'y' }] }, /title/],
    [{ title: 'x', is_active: 'yes', choices: [{ description: 'y' }] }, /is_active/],
    [{ title: 'x' }, /choices/],
    [{ title: 'x', choices: [] }, /choices/],
    [{ title: 'x', choices: Array.from({ length: 51 }, () => ({ description: 'y' })) }, /choices/],
    [{ title: 'x', choices: [{ description: '' }] }, /choices\[0\]\.description/],
    [{ title: 'x', choices: ['y'] }, /choices\[0\]\.description/],
    [{ title: 'x', choices: [{ id: 0, description: 'y' }] }, /choices\[0\]\.id/],
    [{ title: 'x', choices: [{ description: 'y' }, { id: '007', description: 'z' }] }, /choices\[1\]\.id must be a positive integer/],
    [{ title: 'x', choices: [{ id: 10_000_000_000, description: 'y' }] }, /choices\[0\]\.id/],
    [{ title: 'x', choices: [{ id: 1, description: 'y' }, { id: 1, description: 'z' }] }, /choices\[1\]\.id 1 is listed twice/],
  ];
  refusesAll(t, bad);
});

t.test('poll bodies: votes_per_player and ends_at, absent stays absent; player_id', async (t) => {
  const base = { title: 'x', choices: [{ description: 'y' }] };
  t.same(parseTopicBody(base), { title: 'x', is_active: true, choices: [{ description: 'y' }] }, 'absent: left to the creation defaults or the PUT keeping');
  t.same(parseTopicBody({ ...base, votes_per_player: 'one', ends_at: '2026-12-01T18:00:00+01:00' }), {
    ...parseTopicBody(base),
    votes_per_player: 'one',
    ends_at: Date.UTC(2026, 11, 1, 17),
  });
  t.equal(parseTopicBody({ ...base, ends_at: null }).ends_at, null, 'null: no end');
  t.equal(parseTopicBody({ ...base, ends_at: '2026-12-01T18:00Z' }).ends_at, Date.UTC(2026, 11, 1, 18), 'seconds optional');
  t.equal(parseTopicBody({ ...base, votes_per_player: 'unlimited' }).votes_per_player, 'unlimited');
  const bad: [unknown, RegExp][] = [
    [{ ...base, votes_per_player: 'two' }, /^votes_per_player must be "unlimited" or "one"/],
    [{ ...base, votes_per_player: 1 }, /^votes_per_player/],
    [{ ...base, votes_per_player: null }, /^votes_per_player/],
    [{ ...base, ends_at: '2026-12-01T18:00:00' }, /^ends_at must be an ISO-8601 instant with its offset/],
    [{ ...base, ends_at: '2026-02-30T18:00:00Z' }, /^ends_at/],
    [{ ...base, ends_at: 'tomorrow' }, /^ends_at/],
    [{ ...base, ends_at: 1_800_000_000_000 }, /^ends_at/],
    [{ ...base, ends_at: '' }, /^ends_at/],
  ];
  refusesAll(t, bad);

  t.equal(parsePlayerId({}), undefined, 'absent');
  t.equal(parsePlayerId({ player_id: null }), undefined, 'null is absent');
  for (const ok of ['p', 'player 42', '~', 'x'.repeat(128)]) t.equal(parsePlayerId({ player_id: ok }), ok, JSON.stringify(ok).slice(0, 20));
  for (const no of ['', 'x'.repeat(129), 'jos\u00e9', 'a\tb', 'a\u007f', 42, true, ['p']]) {
    t.throws(() => parsePlayerId({ player_id: no }), { code: 'bad_body', message: /^player_id must be a string of 1 to 128 printable ASCII characters/ }, JSON.stringify(no).slice(0, 20));
  }
});

t.test('one vote per player: the first cast counts, a later one is refused and its count dropped', async (t) => {
  const index = new TopicsIndex();
  const one = index.create({ ...body('MVP?', 'Ana', 'Bo'), votes_per_player: 'one' }, T0);
  const open = index.create(body('Best map?', 'Dust'), T0);
  t.same([one.votesPerPlayer, one.endsMs, open.votesPerPlayer, open.endsMs], ['one', null, 'unlimited', null], 'defaults: unlimited, no end');
  t.match(topicJson(index, one, false), { votes_per_player: 'one', ends_at: null });

  t.equal(index.castVote('1-0', 1, 'p1', T0), null, "p1's first vote counts");
  t.equal(index.castVote('1-1', 1, 'p1', T0), 'already_voted', "p1's second is refused");
  t.equal(index.castVote('1-2', 1, 'p2', T0), null, 'another player');
  t.equal(index.castVote('1-3', 2, 'p1', T0), null, 'p1 on an unlimited topic');
  t.equal(index.castVote('1-4', 2, 'p1', T0), null, 'and again: unlimited counts every vote');
  t.ok(index.hasVoted(1, 'p1'));
  t.notOk(index.hasVoted(1, 'p3'));
  t.notOk(index.hasVoted(2, 'p1'), 'unlimited topics remember no players');
  t.equal(index.votersKept, 2);

  // The processor names every vote, in any order; the refused one is not counted.
  t.equal(index.countVote('1-1', 2), false, 'refused: dropped');
  t.equal(index.countVote('1-0', 1), true);
  t.equal(index.countVote('1-2', 2), true);
  t.equal(index.countVote('1-3', 3), true);
  t.equal(index.countVote('1-4', 3), true);
  t.same([index.votes(1), index.votes(2), index.votes(3)], [1, 1, 2]);
  t.equal(index.votesCounted, 4);

  const updated = index.update(1, { ...body('MVP!', [1, 'Ana'], [2, 'Bo']), votes_per_player: 'unlimited' }, T0 + 1)!;
  t.equal(updated.votesPerPlayer, 'one', 'votes_per_player never changes on update (the door answers 409)');
  t.ok(index.hasVoted(1, 'p1'), 'voters kept across an update');
});

t.test('ends_at: a vote queued at or after it is refused, before it counts whenever it is counted; PUT moves it', async (t) => {
  const index = new TopicsIndex();
  const END = T0 + 60_000;
  const topic = index.create({ ...body('Poll', 'A'), ends_at: END }, T0);
  t.equal(topicJson(index, topic, false).ends_at, '2030-01-01T00:01:00.000Z');
  t.ok(isClosed(topic, END) && isClosed(topic, END + 1) && !isClosed(topic, END - 1), 'closed at ends_at, not a millisecond before');
  t.equal(index.castVote('1-0', 1, undefined, END - 1), null, 'queued a millisecond before the end');
  t.equal(index.castVote('1-1', 1, undefined, END), 'topic_closed', 'queued at the end');
  t.equal(index.countVote('1-1', 1), false);
  t.equal(index.countVote('1-0', 1), true, 'counted after the end, queued before it: counts');
  t.equal(index.votes(1), 1);

  t.equal(index.update(1, body('Poll', [1, 'A']), T0)!.endsMs, END, 'a PUT without ends_at keeps it');
  t.equal(index.update(1, { ...body('Poll', [1, 'A']), ends_at: END + 60_000 }, T0)!.endsMs, END + 60_000, 'moved later: reopened');
  t.equal(index.castVote('1-2', 1, undefined, END), null, 'takes votes again');
  t.equal(index.update(1, { ...body('Poll', [1, 'A']), ends_at: null }, T0)!.endsMs, null, 'null removes it');
  t.equal(index.castVote('1-3', 9, 'p', T0), null, 'an unknown topic refuses nothing (the door does)');
});

t.test('state: poll settings, voters and refused votes round-trip; older rows load as unlimited, no end', async (t) => {
  const index = new TopicsIndex();
  index.create({ ...body('One', 'A', 'B'), votes_per_player: 'one', ends_at: T0 + 5 }, T0);
  index.create(body('Plain', 'C'), T0, 'feed-7');
  index.create({ ...body('Ends', 'D'), ends_at: T0 + 9 }, T0, 'feed-8');
  index.castVote('1-0', 1, 'p1', T0);
  index.castVote('1-1', 1, 'p1', T0);
  index.castVote('1-2', 1, 'p2', T0);
  index.countVote('1-0', 1);
  const state = index.toState();
  t.same(state.topics.map((r) => r.slice(6)), [[null, 'one', T0 + 5], ['feed-7'], ['feed-8', 'unlimited', T0 + 9]], 'poll fields written only when set');
  t.same(state.voters, [[1, ['p1', 'p2']]]);
  t.same(state.refused, ['1-1']);
  const back = TopicsIndex.fromState(JSON.parse(JSON.stringify(state)));
  t.same(back.toState(), state, 'the same state after a JSON round trip');
  t.same(back.all.map((x) => topicJson(back, x, true)), index.all.map((x) => topicJson(index, x, true)));
  t.ok(back.hasVoted(1, 'p2'));
  t.equal(back.castVote('1-3', 1, 'p2', T0), 'already_voted', 'the voters survive');
  t.equal(back.countVote('1-1', 2), false, 'the refused vote counted after the snapshot is still dropped');
  t.equal(back.votes(2), 0);

  // A snapshot written before polls: rows of 6 or 7 entries, no voters, no refused.
  const old = TopicsIndex.fromState({ topics: [[1, 'Old', true, T0, T0, [[1, 'A']]], [2, 'Feed', true, T0, T0, [[2, 'B']], 'k']], nextChoiceId: 3, tallies: [[1, 4]] });
  t.same(old.all.map((x) => [x.votesPerPlayer, x.endsMs, x.feedKey]), [['unlimited', null, undefined], ['unlimited', null, 'k']]);
  t.equal(old.votes(1), 4);

  const bad: [string, unknown][] = [
    ['votes_per_player', { topics: [[1, 'x', true, T0, T0, [], null, 'two', null]], nextChoiceId: 1, tallies: [] }],
    ['ends_at', { topics: [[1, 'x', true, T0, T0, [], null, 'one', 'soon']], nextChoiceId: 1, tallies: [] }],
    ['voters of an unlimited topic', { topics: [[1, 'x', true, T0, T0, []]], nextChoiceId: 1, tallies: [], voters: [[1, ['p']]] }],
    ['voters not strings', { topics: [[1, 'x', true, T0, T0, [], null, 'one', null]], nextChoiceId: 1, tallies: [], voters: [[1, [5]]] }],
    ['refused not strings', { topics: [], nextChoiceId: 1, tallies: [], refused: [5] }],
  ];
  for (const [what, s] of bad) t.throws(() => TopicsIndex.fromState(s as never), { code: 'STATE_INVALID' }, what);
});
