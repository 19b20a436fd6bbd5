// The topics contract (README "Topics and votes") on the folded index and
// the body rules. Ids in creation order; PUT replaces title, is_active and choices, and a choice
// resent with its id keeps its id and votes while one without an id is new; include_votes fills
// integers (0 when none), otherwise votes are null.

import t from 'tap';
import { InputError } from '../../../../../core/errors.js';
import { parseTopicBody } from '../../../../../core/domain/stream/topic-rules.js';
import { TopicsIndex, topicJson } from '../../../../../core/domain/stream/topics-index.js';

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
  for (const [input, message] of bad) {
    let thrown: unknown = null;
    try {
      parseTopicBody(input);
    } catch (err) {
      thrown = err;
    }
    t.ok(thrown instanceof InputError && thrown.code === 'bad_body' && message.test(thrown.message), `${JSON.stringify(input).slice(0, 60)}: ${String(thrown)}`);
  }
});
