// The topics feed parser (TOPICS_FEED_URL): JSON array or JSON lines, each reason a row is dropped,
// first of a repeated feed id wins, choice ids in the feed ignored. The job that applies it:
// test/unit/syncer/jobs/sync-topics-feed.test.ts.

import t from 'tap';
import { FeedRejectedError } from '../../../../core/errors.js';
import { MAX_FEED_ID, parseTopicsFeed } from '../../../../syncer/feed/topics-feed.js';

t.test('parser: a JSON array, validated row by row, every drop reason counted', async (t) => {
  const rows = [
    { id: 'summer-poll', title: ' Best summer game ', choices: [{ description: 'Kart Chaos' }, { description: ' Space Raiders ', id: 99 }] },
    { id: 7, title: 'Inactive one', is_active: false, choices: [{ id: 'not even a number', description: 'A' }] },
    { id: '7', title: 'Same feed id as 7, as a string', choices: [{ description: 'B' }] },
    { id: 'summer-poll', title: 'A later duplicate', choices: [{ description: 'C' }] },
    { title: 'No id', choices: [{ description: 'D' }] },
    { id: '   ', title: 'Blank id', choices: [{ description: 'D' }] },
    { id: 0, title: 'Zero id', choices: [{ description: 'D' }] },
    { id: 1.5, title: 'Fractional id', choices: [{ description: 'D' }] },
    { id: 'x'.repeat(MAX_FEED_ID + 1), title: 'Id too long', choices: [{ description: 'D' }] },
    { id: 'no-title', choices: [{ description: 'D' }] },
    { id: 'no-choices', title: 'No choices', choices: [] },
    { id: 'bad-active', title: 'Bad is_active', is_active: 'yes', choices: [{ description: 'D' }] },
    { id: 'blank-choice', title: 'Blank choice', choices: [{ description: '  ' }] },
    'just a string',
    [1, 2],
    null,
  ];
  const v = parseTopicsFeed(JSON.stringify(rows));
  t.same(v.topics, [
    { key: 'summer-poll', topic: { title: 'Best summer game', is_active: true, choices: [{ description: 'Kart Chaos' }, { description: 'Space Raiders' }] } },
    { key: '7', topic: { title: 'Inactive one', is_active: false, choices: [{ description: 'A' }] } },
  ]);
  t.notOk(
    v.topics.some((f) => f.topic.choices.some((c) => 'id' in c && c.id !== undefined)),
    'choice ids in the feed are ignored, even ones parseTopicBody would refuse',
  );
  t.same(v.rejectedByReason, { not_json: 0, not_an_object: 3, missing_id: 2, bad_id: 3, bad_topic: 4, duplicate_id: 2 });
  t.equal(v.rejectedTotal, 14);
  t.same(
    v.rejectedSamples.filter((s) => s.reason === 'duplicate_id'),
    [
      { row: 2, reason: 'duplicate_id', key: '7' },
      { row: 3, reason: 'duplicate_id', key: 'summer-poll' },
    ],
    'the first row of a feed id wins; 7 and "7" are one feed id',
  );
  t.match(v.rejectedSamples.find((s) => s.row === 9), { reason: 'bad_topic', key: 'no-title', problem: /title is required/ }, 'a bad topic says why');
});

t.test('parser: JSON lines, a line that is not JSON is one dropped row; a body that is neither is refused', async (t) => {
  const lines = [
    JSON.stringify({ id: 1, title: 'One', choices: [{ description: 'yes' }, { description: 'no' }] }),
    '{broken',
    '',
    JSON.stringify({ id: 2, title: 'Two', choices: [{ description: 'maybe' }] }),
    '42',
  ].join('\n');
  const v = parseTopicsFeed(lines);
  t.same(
    v.topics.map((f) => [f.key, f.topic.title]),
    [
      ['1', 'One'],
      ['2', 'Two'],
    ],
  );
  t.same(v.rejectedSamples, [
    { row: 1, reason: 'not_json' },
    { row: 3, reason: 'not_an_object' },
  ]);
  t.same(parseTopicsFeed('  \n').topics, [], 'an empty feed is no rows, not an error');
  t.same(parseTopicsFeed('[]').rejectedTotal, 0);
  t.throws(() => parseTopicsFeed('this is not a feed'), FeedRejectedError);
  t.throws(() => parseTopicsFeed('<html>\n<body>oops</body>\n</html>'), FeedRejectedError);
});
