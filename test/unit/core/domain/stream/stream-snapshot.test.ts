// The stream snapshot (core/domain/stream/stream-snapshot.ts): the fold state at a stream offset.
// What it must prove: an engine that loads it and folds the rest of the stream answers exactly like
// one that folded every event from the start (ban checks with the tie rule, topics with their
// tallies, vote receipts), and bytes that do not describe a valid state are refused whole.

import t from 'tap';
import { decodeStreamSnapshot, encodeStreamSnapshot } from '../../../../../core/domain/stream/stream-snapshot.js';
import { foldEvent, gameCreated, playerReported, topicCreated, topicUpdated, voteCast, votesCounted } from '../../../../../core/domain/stream/events.js';
import { SnapshotCorruptError } from '../../../../../core/errors.js';
import { BlacklistIndex } from '../../../../../core/domain/stream/blacklist-index.js';
import { StreamState } from '../../../../../core/domain/stream/stream-state.js';
import { topicJson } from '../../../../../core/domain/stream/topics-index.js';
import { VoteReceipts } from '../../../../../core/domain/stream/vote-receipts.js';
import type { LoggedEvent, NewEvent } from '../../../../../core/domain/stream/event.js';

const RECEIPTS = 1_000;

const DAY = 86_400_000;
const NOW = Date.UTC(2030, 5, 1, 12);
const reasons = ['cheating', 'harassment', 'spam', 'offensive_language'];

/**
 * A stream: 3 games, then 3,000 pseudo-random reports over 400 players, out of time order, feed
 * rows among them; topics created and updated (a choice kept, one dropped), and votes cast and
 * counted in batches, some counted long after they were cast. More receipts than are kept.
 */
function stream(): LoggedEvent[] {
  const events: NewEvent[] = [gameCreated({ name: 'a' }), gameCreated({ name: 'b' }), gameCreated({ name: 'a' }), gameCreated({ name: 'c' })];
  const topic = (title: string, ...choices: (string | [number, string])[]) => ({
    title,
    is_active: true,
    choices: choices.map((c) => (typeof c === 'string' ? { description: c } : { id: c[0], description: c[1] })),
  });
  let x = 7;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 3_000; i++) {
    const data = { game_id: 1 + (next() % 4), email: `p${next() % 400}@example.com`, reason: reasons[next() % 4]!, reported_at: NOW - (next() % 120) * DAY };
    // Every 50th is a feed row, and every 100th repeats the row before it: it must fold once.
    events.push(playerReported(i % 50 === 0 ? { ...data, feed_key: `k${i - (i % 100 === 0 ? 50 : 0)}` } : data));
    if (i === 10) events.push(topicCreated({ topic: topic('Best map?', 'Dust', 'Nuke', 'Inferno'), at: NOW }));
    if (i === 20) events.push(topicCreated({ topic: topic('Best mode?', 'Ranked'), at: NOW, feed_key: 'feed-1' }));
    if (i === 1_400) events.push(topicUpdated({ id: 1, topic: topic('Best map!', [1, 'Dust 2'], 'Vertigo'), at: NOW + 1 }));
  }
  // Votes: one per 2nd report slot from event 100 on, counted in batches of 7, oldest first.
  const withIds = events.map((e, i) => ({ id: `${1_000 + i}-0`, ...e }));
  const out: LoggedEvent[] = [];
  let queued: [string, number][] = [];
  let seq = 0;
  for (const e of withIds) {
    out.push(e);
    if (out.length < 100 || out.length % 2 !== 0) continue;
    const choice = 1 + (next() % 4); // 1-3: topic 1's (3 dropped at the update), 4: topic 2's
    const vote = { id: `${e.id.split('-')[0]}-${++seq}`, ...voteCast({ topic_id: choice === 4 ? 2 : 1, choice_id: choice, queued_at: NOW }) };
    out.push(vote);
    queued.push([vote.id, choice]);
    if (queued.length === 7) {
      out.push({ id: `${e.id.split('-')[0]}-${++seq}`, ...votesCounted({ at: NOW + out.length, votes: queued }) });
      queued = [];
    }
  }
  return out;
}

function fold(state: StreamState, events: LoggedEvent[]): StreamState {
  for (const e of events) foldEvent(state, e);
  return state;
}

const checks = (index: BlacklistIndex) => Array.from({ length: 401 }, (_, i) => index.check(`p${i}@example.com`, NOW));
const answers = (s: StreamState) => ({
  checks: checks(s.blacklist),
  topics: s.topics.all.map((topic) => topicJson(s.topics, topic, true)),
  receipts: s.votes.toState(),
  counted: s.topics.votesCounted,
});

t.test('snapshot at any offset + the rest of the stream = the whole stream folded', async (t) => {
  const events = stream();
  const whole = fold(StreamState.empty(RECEIPTS), events);
  t.ok(whole.votes.votesCast > RECEIPTS, 'more votes than receipts kept');
  t.equal(whole.votes.size, RECEIPTS);
  t.ok(whole.topics.votesCounted > 0 && whole.topics.votesCounted < whole.votes.votesCast, 'some votes still queued');
  for (const cut of [0, 1, 4, 1_500, 3_001, events.length]) {
    const head = fold(StreamState.empty(RECEIPTS), events.slice(0, cut));
    const offset = cut === 0 ? '0-0' : events[cut - 1]!.id;
    const { version, bytes } = encodeStreamSnapshot(head, offset, NOW);
    const loaded = decodeStreamSnapshot(bytes, RECEIPTS);
    t.equal(loaded.version, version);
    t.equal(loaded.streamOffset, offset);
    fold(loaded.state, events.slice(cut));
    t.same(answers(loaded.state), answers(whole), `cut at ${cut}: checks, topics, tallies and receipts answer the same`);
    t.same(loaded.state.blacklist.games, whole.blacklist.games);
    t.equal(loaded.state.blacklist.reports, whole.blacklist.reports);
  }
  const kept = decodeStreamSnapshot(encodeStreamSnapshot(whole, '1-0', NOW).bytes, 10).state.votes;
  t.same(kept.toState().receipts, whole.votes.toState().receipts.slice(-10), 'an engine keeping fewer receipts keeps the newest');
});

t.test('the tie rule survives a snapshot: the reason that reached the top first keeps it', async (t) => {
  const index = new BlacklistIndex();
  index.createGame('g');
  const report = (reason: string) => index.addReport({ gameId: 1, email: 'p@example.com', reason, reportedAtMs: NOW });
  report('spam');
  report('cheating');
  report('cheating');
  report('spam'); // 2-2: cheating reached 2 first
  const loaded = decodeStreamSnapshot(encodeStreamSnapshot(new StreamState(index), '5-0', NOW).bytes, RECEIPTS).state.blacklist;
  t.equal(loaded.check('p@example.com', NOW)!.most_common_reason, 'cheating');
  loaded.addReport({ gameId: 1, email: 'p@example.com', reason: 'spam', reportedAtMs: NOW });
  t.equal(loaded.check('p@example.com', NOW)!.most_common_reason, 'spam', 'spam goes strictly above');
});

t.test('reports stored under an older, looser email rule fold and survive a snapshot (folding is not validation)', async (t) => {
  const old = ['jos\u00e9@example.com', 'a\u0000b@example.com', `${'a'.repeat(70)}@example.com`];
  const events: LoggedEvent[] = [gameCreated({ name: 'g' }), ...old.map((email) => playerReported({ game_id: 1, email, reason: 'cheating', reported_at: NOW }))].map(
    (e, i) => ({ id: `${i + 1}-0`, ...e }),
  );
  const state = fold(StreamState.empty(RECEIPTS), events);
  t.equal(state.blacklist.reports, old.length);
  const loaded = decodeStreamSnapshot(encodeStreamSnapshot(state, '4-0', NOW).bytes, RECEIPTS).state.blacklist;
  for (const email of old) t.match(loaded.check(email, NOW), { number_of_games_reported: 1 }, JSON.stringify(email));
});

t.test('bytes that do not describe a valid index are refused as corrupt', async (t) => {
  const envelope = (data: unknown, kind = 'stream') =>
    Buffer.from(JSON.stringify({ kind, version: 'v1', createdAt: '2030-01-01T00:00:00.000Z', streamOffset: '1-0', data }));
  const blacklist = { games: [[1, 'g']], players: [['p@example.com', 1, NOW, 'cheating']], reports: 1, feedKeys: [] };
  const topics = { topics: [[1, 'T', true, NOW, NOW, [[1, 'a'], [2, 'b']]]], nextChoiceId: 3, tallies: [[1, 5]] };
  const votes = { cast: 5, receipts: [['9-0', 1, 1, NOW, NOW]] };
  const good = { blacklist, topics, votes };
  const decoded = decodeStreamSnapshot(envelope(good), RECEIPTS).state;
  t.equal(decoded.blacklist.check('p@example.com', NOW)!.number_of_games_reported, 1);
  t.equal(decoded.topics.votes(1), 5);
  t.equal(decoded.votes.get('9-0')!.countedMs, NOW);
  const bad: [string, Buffer][] = [
    ['not JSON', Buffer.from('{"kind":"stream"')],
    ['another kind', envelope(good, 'ads')],
    ['no data', envelope(null)],
    ['no blacklist', envelope({ topics, votes })],
    ['game ids out of order', envelope({ ...good, blacklist: { ...blacklist, games: [[2, 'g']] } })],
    ['duplicate game name', envelope({ ...good, blacklist: { ...blacklist, games: [[1, 'g'], [2, 'g']] } })],
    ['a report of an unknown game', envelope({ ...good, blacklist: { ...blacklist, players: [['p@example.com', 9, NOW, 'cheating']] } })],
    ['times out of order', envelope({ ...good, blacklist: { ...blacklist, players: [['p@example.com', 'cheating', 2, [1], [NOW, NOW - 1], ['cheating', 2]]] } })],
    ['top that is not the top', envelope({ ...good, blacklist: { ...blacklist, players: [['p@example.com', 'spam', 1, [1], [NOW, NOW], ['spam', 1, 'cheating', 2]]] } })],
    ['a record of the wrong length', envelope({ ...good, blacklist: { ...blacklist, players: [['p@example.com', 1]] } })],
    ['reports not a number', envelope({ ...good, blacklist: { ...blacklist, reports: 'many' } })],
    ['no topics', envelope({ blacklist, votes })],
    ['topic ids out of order', envelope({ ...good, topics: { ...topics, topics: [[2, 'T', true, NOW, NOW, []]] } })],
    ['a choice id past the sequence', envelope({ ...good, topics: { ...topics, nextChoiceId: 2 } })],
    ['a choice in two topics', envelope({ ...good, topics: { ...topics, topics: [...topics.topics, [2, 'U', true, NOW, NOW, [[1, 'x']]]] } })],
    ['a negative tally', envelope({ ...good, topics: { ...topics, tallies: [[1, -1]] } })],
    ['no votes', envelope({ blacklist, topics })],
    ['a receipt without a time', envelope({ ...good, votes: { cast: 1, receipts: [['9-0', 1, 1]] } })],
    ['a receipt listed twice', envelope({ ...good, votes: { cast: 2, receipts: [['9-0', 1, 1, NOW, 0], ['9-0', 1, 1, NOW, 0]] } })],
  ];
  for (const [what, bytes] of bad) t.throws(() => decodeStreamSnapshot(bytes, RECEIPTS), SnapshotCorruptError, what);
});

t.test('receipts past the cap: the oldest go first, over many turns of the ring', async (t) => {
  const receipts = new VoteReceipts(3);
  for (let i = 1; i <= 10; i++) receipts.queued(`${i}-0`, 1, 1, NOW);
  t.same(receipts.toState().receipts.map((r) => r[0]), ['8-0', '9-0', '10-0'], 'the newest 3, oldest first');
  t.equal(receipts.votesCast, 10);
  receipts.counted('2-0', NOW + 1); // dropped: stays dropped
  receipts.counted('9-0', NOW + 1);
  t.equal(receipts.get('2-0'), undefined);
  t.equal(receipts.get('9-0')!.countedMs, NOW + 1);
  const reloaded = VoteReceipts.fromState(receipts.toState(), 3);
  reloaded.queued('11-0', 1, 1, NOW);
  t.same(reloaded.toState().receipts.map((r) => r[0]), ['9-0', '10-0', '11-0'], 'a reloaded ring drops in the same order');
});
