// The stream snapshot (engine/core/stream-snapshot.ts): the fold state at a stream offset.
// What it must prove: an engine that loads it and folds the rest of the stream answers exactly like
// one that folded every event from the start (the tie rule included), and bytes that do not describe
// a valid index are refused whole.

import t from 'tap';
import { decodeStreamSnapshot, encodeStreamSnapshot } from '../../engine/core/stream-snapshot.js';
import { foldEvent, gameCreated, playerReported } from '../../engine/core/events.js';
import { SnapshotCorruptError } from '../../engine/core/errors.js';
import { BlacklistIndex } from '../../engine/indexes/blacklist-index.js';
import type { LoggedEvent } from '../../engine/store/event-log.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2030, 5, 1, 12);
const reasons = ['cheating', 'harassment', 'spam', 'offensive_language'];

/** A stream: 3 games, then 3,000 pseudo-random reports over 400 players, out of time order, feed rows among them. */
function stream(): LoggedEvent[] {
  const events = [gameCreated({ name: 'a' }), gameCreated({ name: 'b' }), gameCreated({ name: 'a' }), gameCreated({ name: 'c' })];
  let x = 7;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < 3_000; i++) {
    const data = { game_id: 1 + (next() % 4), email: `p${next() % 400}@example.com`, reason: reasons[next() % 4]!, reported_at: NOW - (next() % 120) * DAY };
    // Every 50th is a feed row, and every 100th repeats the row before it: it must fold once.
    events.push(playerReported(i % 50 === 0 ? { ...data, feed_key: `k${i - (i % 100 === 0 ? 50 : 0)}` } : data));
  }
  return events.map((e, i) => ({ id: `${1_000 + i}-0`, ...e }));
}

function fold(index: BlacklistIndex, events: LoggedEvent[]): BlacklistIndex {
  for (const e of events) foldEvent(index, e);
  return index;
}

const answers = (index: BlacklistIndex) => Array.from({ length: 401 }, (_, i) => index.check(`p${i}@example.com`, NOW));

t.test('snapshot at any offset + the rest of the stream = the whole stream folded', async (t) => {
  const events = stream();
  const whole = fold(new BlacklistIndex(), events);
  for (const cut of [0, 1, 4, 1_500, events.length]) {
    const head = fold(new BlacklistIndex(), events.slice(0, cut));
    const offset = cut === 0 ? '0-0' : events[cut - 1]!.id;
    const { version, bytes } = encodeStreamSnapshot(head, offset, NOW);
    const loaded = decodeStreamSnapshot(bytes);
    t.equal(loaded.version, version);
    t.equal(loaded.streamOffset, offset);
    fold(loaded.index, events.slice(cut));
    t.same(answers(loaded.index), answers(whole), `cut at ${cut}: every check answers the same`);
    t.same(loaded.index.games, whole.games);
    t.equal(loaded.index.reports, whole.reports);
  }
});

t.test('the tie rule survives a snapshot: the reason that reached the top first keeps it', async (t) => {
  const index = new BlacklistIndex();
  index.createGame('g');
  const report = (reason: string) => index.addReport({ gameId: 1, email: 'p@example.com', reason, reportedAtMs: NOW });
  report('spam');
  report('cheating');
  report('cheating');
  report('spam'); // 2-2: cheating reached 2 first
  const loaded = decodeStreamSnapshot(encodeStreamSnapshot(index, '5-0', NOW).bytes).index;
  t.equal(loaded.check('p@example.com', NOW)!.most_common_reason, 'cheating');
  loaded.addReport({ gameId: 1, email: 'p@example.com', reason: 'spam', reportedAtMs: NOW });
  t.equal(loaded.check('p@example.com', NOW)!.most_common_reason, 'spam', 'spam goes strictly above');
});

t.test('bytes that do not describe a valid index are refused as corrupt', async (t) => {
  const envelope = (data: unknown, kind = 'stream') =>
    Buffer.from(JSON.stringify({ kind, version: 'v1', createdAt: '2030-01-01T00:00:00.000Z', streamOffset: '1-0', data }));
  const good = { games: [[1, 'g']], players: [['p@example.com', 1, NOW, 'cheating']], reports: 1, feedKeys: [] };
  t.equal(decodeStreamSnapshot(envelope(good)).index.check('p@example.com', NOW)!.number_of_games_reported, 1);
  const bad: [string, Buffer][] = [
    ['not JSON', Buffer.from('{"kind":"stream"')],
    ['another kind', envelope(good, 'ads')],
    ['no data', envelope(null)],
    ['game ids out of order', envelope({ ...good, games: [[2, 'g']] })],
    ['duplicate game name', envelope({ ...good, games: [[1, 'g'], [2, 'g']] })],
    ['a report of an unknown game', envelope({ ...good, players: [['p@example.com', 9, NOW, 'cheating']] })],
    ['times out of order', envelope({ ...good, players: [['p@example.com', 'cheating', 2, [1], [NOW, NOW - 1], ['cheating', 2]]] })],
    ['top that is not the top', envelope({ ...good, players: [['p@example.com', 'spam', 1, [1], [NOW, NOW], ['spam', 1, 'cheating', 2]]] })],
    ['a record of the wrong length', envelope({ ...good, players: [['p@example.com', 1]] })],
    ['reports not a number', envelope({ ...good, reports: 'many' })],
  ];
  for (const [what, bytes] of bad) t.throws(() => decodeStreamSnapshot(bytes), SnapshotCorruptError, what);
});
