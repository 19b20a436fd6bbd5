// The fold of votes on polls (README "Topics and votes"): two engines may each accept a vote of
// one player at the same moment; the fold decides in stream order, the same on every engine and in
// the syncer's snapshots: the first vote_cast of (topic, player) counts, a later one is refused
// (its receipt says why) and the processor's votes_counted mention of it is dropped, whatever order
// the processor named them in and wherever a stream snapshot cut the stream.

import t from 'tap';
import { decodeStreamSnapshot, encodeStreamSnapshot } from '../../../../../core/domain/stream/stream-snapshot.js';
import { foldEvent, topicCreated, topicUpdated, voteCast, votesCounted } from '../../../../../core/domain/stream/events.js';
import { StreamState } from '../../../../../core/domain/stream/stream-state.js';
import { topicJson } from '../../../../../core/domain/stream/topics-index.js';
import type { LoggedEvent, NewEvent } from '../../../../../core/domain/stream/event.js';

const NOW = Date.UTC(2030, 5, 1, 12);
const END = NOW + 60_000;
let seq = 0;
const at = (e: NewEvent): LoggedEvent => ({ id: `${NOW}-${seq++}`, ...e });
const choices = [{ description: 'Ana' }, { description: 'Bo' }];

/**
 * Topic 1 takes one vote per player and ends at END; topic 2 is unlimited. p1 votes on topic 1
 * through two engines (both accepted: neither had folded the other's), p2 once before the end and
 * once after (an engine with a slow clock); on topic 2 p1 votes twice. The processor then names
 * the votes in an order of its own (a claimed batch after a later one), the refused ones included.
 */
function stream(): LoggedEvent[] {
  seq = 0;
  const events = [
    at(topicCreated({ topic: { title: 'MVP?', is_active: true, choices, votes_per_player: 'one', ends_at: END }, at: NOW })),
    at(topicCreated({ topic: { title: 'Map?', is_active: true, choices: [{ description: 'Dust' }] }, at: NOW })),
  ];
  const a = at(voteCast({ topic_id: 1, choice_id: 1, queued_at: NOW + 1, player_id: 'p1' }));
  const b = at(voteCast({ topic_id: 1, choice_id: 2, queued_at: NOW + 1, player_id: 'p1' }));
  const c = at(voteCast({ topic_id: 1, choice_id: 2, queued_at: END - 1, player_id: 'p2' }));
  const d = at(voteCast({ topic_id: 1, choice_id: 2, queued_at: END, player_id: 'p3' }));
  const e = at(voteCast({ topic_id: 2, choice_id: 3, queued_at: NOW, player_id: 'p1' }));
  const f = at(voteCast({ topic_id: 2, choice_id: 3, queued_at: NOW, player_id: 'p1' }));
  events.push(a, b, c, d, e, f);
  events.push(at(votesCounted({ at: END + 5, votes: [[b.id, 2], [d.id, 2], [f.id, 3]] })));
  events.push(at(votesCounted({ at: END + 9, votes: [[a.id, 1], [c.id, 2], [e.id, 3]] })));
  return events;
}

const fold = (state: StreamState, events: LoggedEvent[]): StreamState => {
  for (const e of events) foldEvent(state, e);
  return state;
};

t.test('one player, two votes through two engines: the first in the stream counts, the second is refused', async (t) => {
  const events = stream();
  const [, , a, b, c, d, e, f] = events;
  const s = fold(StreamState.empty(100), events);
  t.same(topicJson(s.topics, s.topics.byId(1)!, true).choices, [
    { id: 1, description: 'Ana', votes: 1 },
    { id: 2, description: 'Bo', votes: 1 },
  ], "topic 1: p1's first vote (Ana) and p2's vote before the end; p1's second and p3's after the end are not counted");
  t.equal(s.topics.votes(3), 2, 'topic 2 is unlimited: both of p1 votes count');
  t.equal(s.topics.votesCounted, 4);
  t.same(s.votes.get(a!.id), { topicId: 1, choiceId: 1, queuedMs: NOW + 1, countedMs: END + 9 });
  t.same(s.votes.get(b!.id), { topicId: 1, choiceId: 2, queuedMs: NOW + 1, countedMs: 0, refused: 'already_voted' }, 'the second: refused for good, never counted');
  t.equal(s.votes.get(c!.id)!.countedMs, END + 9, 'queued a millisecond before the end, counted after it: counts');
  t.equal(s.votes.get(d!.id)!.refused, 'topic_closed', 'queued at the end');
  t.same([s.votes.get(e!.id)!.countedMs, s.votes.get(f!.id)!.countedMs], [END + 9, END + 5], 'on the unlimited topic both count, in the order the processor named them');
  t.same(s.topics.toState().refused, [], 'every refused vote named by the processor is forgotten');
});

t.test('a stream snapshot at any offset + the rest = the whole stream: voters and refused votes travel in it', async (t) => {
  const events = stream();
  const whole = fold(StreamState.empty(100), events);
  const answers = (s: StreamState) => ({ topics: s.topics.all.map((x) => topicJson(s.topics, x, true)), receipts: s.votes.toState(), topicsState: s.topics.toState() });
  for (let cut = 0; cut <= events.length; cut++) {
    const head = fold(StreamState.empty(100), events.slice(0, cut));
    const loaded = decodeStreamSnapshot(encodeStreamSnapshot(head, cut === 0 ? '0-0' : events[cut - 1]!.id, NOW).bytes, 100).state;
    fold(loaded, events.slice(cut));
    t.same(answers(loaded), answers(whole), `cut at ${cut}`);
  }
});

t.test('a PUT in the stream moves the end for the votes folded after it, in stream order', async (t) => {
  seq = 0;
  const s = fold(StreamState.empty(100), [
    at(topicCreated({ topic: { title: 'Poll', is_active: true, choices, ends_at: END }, at: NOW })),
    at(voteCast({ topic_id: 1, choice_id: 1, queued_at: END + 1 })),
    at(topicUpdated({ id: 1, topic: { title: 'Poll', is_active: true, choices: [{ id: 1, description: 'Ana' }], ends_at: END + 10 }, at: NOW })),
    at(voteCast({ topic_id: 1, choice_id: 1, queued_at: END + 1 })),
    at(topicUpdated({ id: 1, topic: { title: 'Poll', is_active: true, choices: [{ id: 1, description: 'Ana' }] }, at: NOW })),
  ]);
  t.equal(s.votes.get(`${NOW}-1`)!.refused, 'topic_closed', 'before the PUT: past the end');
  t.equal(s.votes.get(`${NOW}-3`)!.refused, undefined, 'after the PUT reopened it: counts');
  t.equal(s.topics.byId(1)!.endsMs, END + 10, 'a PUT without ends_at keeps it');
});
