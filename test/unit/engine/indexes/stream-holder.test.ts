// A vote or report is answered once durable, before the fold reaches it: until then the holder
// answers reads from its own writes (OwnWrites), and once the fold passes the event's id the fold's
// answer is the only one — never both, never counted twice, in stream order on every engine.

import t from 'tap';
import { encodeEvent, type LoggedEvent, type NewEvent } from '../../../../core/domain/stream/event.js';
import { gameCreated, playerReported, topicCreated, voteCast } from '../../../../core/domain/stream/events.js';
import { StreamHolder } from '../../../../engine/indexes/stream-holder.js';

const NOW = Date.UTC(2026, 10, 24);
const logged = (id: string, e: NewEvent): LoggedEvent => ({ id, ...e });
const report = (email: string, reason: string, game = 1) => playerReported({ game_id: game, email, reason, reported_at: NOW - 1000 });

function holderWithGames(): StreamHolder {
  const h = new StreamHolder(100);
  h.apply([logged('1-0', gameCreated({ name: 'a' })), logged('1-1', gameCreated({ name: 'b' }))]);
  return h;
}

t.test('a report of our own counts in checks at once, and once the fold has it, once', async (t) => {
  const h = holderWithGames();
  t.equal(h.check('p@example.com', NOW), null, 'never reported');
  const mine = report('p@example.com', 'cheating');
  h.recordOwn('5-0', mine);
  t.same(h.check('p@example.com', NOW), { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 1 }, 'seen before the fold');

  // The fold brings another engine's report first (an earlier id), then ours.
  h.apply([logged('4-0', report('p@example.com', 'spam', 2))]);
  t.same(h.check('p@example.com', NOW), { most_common_reason: 'spam', number_of_games_reported: 2, times_reported_last_90_days: 2 }, 'folded + own');
  h.apply([logged('5-0', mine)]);
  t.same(h.check('p@example.com', NOW), { most_common_reason: 'spam', number_of_games_reported: 2, times_reported_last_90_days: 2 }, 'folded: counted once');
  t.same(h.check('p@example.com', NOW), h.state.blacklist.check('p@example.com', NOW), 'the fold alone answers now');
});

t.test('an own write the fold already passed is not recorded; one behind a loaded snapshot is dropped', async (t) => {
  const h = holderWithGames();
  h.apply([logged('7-0', report('q@example.com', 'cheating'))]);
  h.recordOwn('7-0', report('q@example.com', 'cheating'));
  t.equal(h.check('q@example.com', NOW)!.times_reported_last_90_days, 1, 'the late reply of a folded write does not count twice');

  const v = voteCast({ topic_id: 1, choice_id: 1, queued_at: NOW });
  h.recordOwn('9-0', v);
  t.ok(h.vote('9-0'), 'an own vote is known');
  h.apply([logged('10-0', topicCreated({ topic: { title: 't', description: '', choices: [{ label: 'x' }], active: true } as never, at: NOW }))]);
  t.equal(h.vote('9-0'), undefined, 'the fold passed it without it (another reader trimmed it away): forgotten, not kept forever');
});

t.test('GET /votes/{id} sees an own vote queued, then the folded receipt', async (t) => {
  const h = new StreamHolder(100);
  const v = voteCast({ topic_id: 3, choice_id: 4, queued_at: NOW });
  h.recordOwn('2-0', v);
  t.same(h.vote('2-0'), { topicId: 3, choiceId: 4, queuedMs: NOW, countedMs: 0 });
  h.apply([logged('2-0', v)]);
  t.same(h.vote('2-0'), { topicId: 3, choiceId: 4, queuedMs: NOW, countedMs: 0 }, 'now from the fold');
  t.equal(h.state.votes.votesCast, 1, 'folded once');
});

t.test("another server process's writes are seen like our own; only votes and reports are kept", async (t) => {
  const h = holderWithGames();
  h.recordWritten(['3-0', '3-1'], [encodeEvent(report('r@example.com', 'spam')), encodeEvent(gameCreated({ name: 'c' }))]);
  t.equal(h.check('r@example.com', NOW)!.most_common_reason, 'spam');
  t.equal(h.state.blacklist.gameByName('c'), undefined, 'a game waits for the fold: its id is decided there');
});

t.test('checkWith applies pending reports after the folded ones, tie rule included, without changing the index', async (t) => {
  const h = holderWithGames();
  h.apply([logged('2-0', report('s@example.com', 'cheating')), logged('2-1', report('s@example.com', 'spam', 2))]);
  const index = h.state.blacklist;
  const pending = [report('s@example.com', 'spam')].map((e) => {
    const r = e.data as { game_id: number; email: string; reason: string; reported_at: number };
    return { gameId: r.game_id, email: r.email, reason: r.reason, reportedAtMs: r.reported_at };
  });
  t.same(index.checkWith('s@example.com', NOW, pending), { most_common_reason: 'spam', number_of_games_reported: 2, times_reported_last_90_days: 3 });
  t.same(index.check('s@example.com', NOW), { most_common_reason: 'cheating', number_of_games_reported: 2, times_reported_last_90_days: 2 }, 'index unchanged (tie: the first stays top)');
  t.same(index.checkWith('new@example.com', NOW, [{ ...pending[0]!, email: 'new@example.com' }]), { most_common_reason: 'spam', number_of_games_reported: 1, times_reported_last_90_days: 1 });
  t.equal(index.checkWith('x@example.com', NOW, [{ ...pending[0]!, gameId: 99 }]), null, 'a report of an unknown game counts for nothing, as in the fold');
});

t.test('a player on a one-vote topic: known to have voted from an own vote on its way, then from the fold', async (t) => {
  const h = new StreamHolder(100);
  h.apply([logged('1-0', topicCreated({ topic: { title: 'MVP?', is_active: true, choices: [{ description: 'A' }], votes_per_player: 'one' }, at: NOW }))]);
  t.notOk(h.hasVoted(1, 'p1'));
  const v = voteCast({ topic_id: 1, choice_id: 1, queued_at: NOW, player_id: 'p1' });
  h.recordOwn('2-0', v);
  t.ok(h.hasVoted(1, 'p1'), 'our own vote, durable, not folded yet');
  t.notOk(h.hasVoted(1, 'p2'), 'another player');
  t.notOk(h.hasVoted(2, 'p1'), 'another topic');
  h.apply([logged('2-0', v)]);
  t.ok(h.hasVoted(1, 'p1'), 'now from the fold');
  h.recordWritten(['3-0'], [encodeEvent(voteCast({ topic_id: 1, choice_id: 1, queued_at: NOW, player_id: 'p2' }))]);
  t.ok(h.hasVoted(1, 'p2'), "another server process's vote on its way");
  h.apply([logged('3-0', voteCast({ topic_id: 1, choice_id: 1, queued_at: NOW, player_id: 'p2' }))]);
  t.ok(h.hasVoted(1, 'p2'));
  t.equal(h.state.topics.votersKept, 2);
});
