// Safe retries in the fold (core/domain/stream/idempotency.ts, events.ts): the first event carrying a
// key is applied and its answer recorded; any later one within 24 h (event time) folds as a no-op
// whatever its body; records expire by event time, are capped oldest first, survive a snapshot, and
// an erasure can drop those that mention an email.

import t from 'tap';
import {
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_TTL_MS,
  IdempotencyRecords,
  canonicalJson,
  requestDigest,
  scopedIdemKey,
  type IdemStamp,
} from '../../../../../core/domain/stream/idempotency.js';
import { foldEvent, gameCreated, playerReported, topicCreated, topicUpdated, voteCast, votesCounted } from '../../../../../core/domain/stream/events.js';
import { StreamState } from '../../../../../core/domain/stream/stream-state.js';
import { decodeStreamSnapshot, encodeStreamSnapshot } from '../../../../../core/domain/stream/stream-snapshot.js';
import { SnapshotCorruptError } from '../../../../../core/errors.js';
import type { LoggedEvent, NewEvent } from '../../../../../core/domain/stream/event.js';

const T0 = Date.UTC(2030, 0, 1);
const at = (ms: number, seq = 0) => `${ms}-${seq}`;
const stamp = (key: string, digest = 'd1'): IdemStamp => ({ key, digest });
const fold = (s: StreamState, id: string, e: NewEvent) => foldEvent(s, { id, ...e } as LoggedEvent);
const topic = { title: 'Best map?', is_active: true, choices: [{ description: 'Dust' }, { description: 'Nuke' }] };

t.test('the first event with a key is applied and its answer recorded; a later one is a no-op', async (t) => {
  const s = StreamState.empty(100);
  t.same(fold(s, at(T0), gameCreated({ name: 'Space', idem: stamp('k1') })), { id: 1, name: 'Space' });
  t.same(s.idem.get('k1', T0), { id: at(T0), digest: 'd1', status: '201 Created', body: '{"id":1,"name":"Space"}', at: T0 });
  // Another engine's concurrent retry, and a different request under the key: neither is applied.
  fold(s, at(T0, 1), gameCreated({ name: 'Space', idem: stamp('k1') }));
  fold(s, at(T0 + 5), gameCreated({ name: 'Other', idem: stamp('k1', 'd2') }));
  t.same(s.blacklist.games, [{ id: 1, name: 'Space' }], 'one game, no "Other"');
  t.equal(s.idem.get('k1', T0 + 5)!.digest, 'd1', 'the first request stays the record');

  fold(s, at(T0 + 6), gameCreated({ name: 'Space', idem: stamp('k2') }));
  t.same(s.idem.get('k2', T0 + 6), { id: at(T0 + 6), digest: 'd1', status: '409 Conflict', body: '{"error":"duplicate_game","message":"a game with this name already exists"}', at: T0 + 6 }, 'a 409 is an answer too');

  fold(s, at(T0 + 10), playerReported({ game_id: 1, email: 'p@example.com', reason: 'cheating', reported_at: T0, idem: stamp('r') }));
  fold(s, at(T0 + 11), playerReported({ game_id: 1, email: 'p@example.com', reason: 'cheating', reported_at: T0 + 1, idem: stamp('r') }));
  t.equal(s.blacklist.reports, 1, 'one report');
  t.equal(s.idem.get('r', T0)!.body, '{"game_id":1,"email":"p@example.com","reason":"cheating"}');

  fold(s, at(T0 + 20), topicCreated({ topic, at: T0 + 20, idem: stamp('t') }));
  fold(s, at(T0 + 21), topicCreated({ topic, at: T0 + 21, idem: stamp('t') }));
  t.equal(s.topics.size, 1, 'one topic');
  t.match(s.idem.get('t', T0)!, { status: '201 Created', body: /^\{"id":1,"created":"2030-01-01T00:00:00\.020Z",.*"votes":null\}\],"votes_per_player":"unlimited","ends_at":null\}$/ });
  fold(s, at(T0 + 30), topicUpdated({ id: 1, topic: { ...topic, title: 'Best map!' }, at: T0 + 30, idem: stamp('u') }));
  fold(s, at(T0 + 31), topicUpdated({ id: 1, topic: { ...topic, title: 'Worst map' }, at: T0 + 31, idem: stamp('u') }));
  t.equal(s.topics.byId(1)!.title, 'Best map!', 'the second update is not applied');
  t.match(s.idem.get('u', T0)!, { status: '200 OK', body: /"title":"Best map!"/ });
  fold(s, at(T0 + 32), topicUpdated({ id: 9, topic, at: T0 + 32, idem: stamp('u9') }));
  t.match(s.idem.get('u9', T0)!, { status: '404 Not Found', body: '{"error":"unknown_topic","message":"no topic with this id"}' });

  fold(s, at(T0 + 40), voteCast({ topic_id: 1, choice_id: 1, queued_at: T0 + 40, idem: stamp('v') }));
  fold(s, at(T0 + 41), voteCast({ topic_id: 1, choice_id: 1, queued_at: T0 + 41, idem: stamp('v') }));
  t.equal(s.votes.votesCast, 1, 'one vote queued');
  t.equal(s.votes.get(at(T0 + 41)), undefined, 'no receipt for the duplicate');
  t.same(s.idem.get('v', T0)!, { id: at(T0 + 40), digest: 'd1', status: '202 Accepted', body: `{"id":"${at(T0 + 40)}","topic_id":1,"choice_id":1,"queued_at":"2030-01-01T00:00:00.040Z"}`, at: T0 + 40 });
});

t.test('a counted duplicate vote stands for the first: its receipt is marked counted, the tally counts one', async (t) => {
  const s = StreamState.empty(100);
  fold(s, at(T0), topicCreated({ topic, at: T0 }));
  fold(s, at(T0 + 1), voteCast({ topic_id: 1, choice_id: 2, queued_at: T0, idem: stamp('v') }));
  fold(s, at(T0 + 2), voteCast({ topic_id: 1, choice_id: 2, queued_at: T0, idem: stamp('v') }));
  // The counter counts one vote per key; here it met the duplicate first (another consumer's batch).
  fold(s, at(T0 + 3), votesCounted({ at: T0 + 3, votes: [[at(T0 + 2), 2]] }));
  t.equal(s.topics.votes(2), 1);
  t.equal(s.votes.get(at(T0 + 1))!.countedMs, T0 + 3, 'the first vote is counted');
  t.same(s.idem.toState().twins, [], 'the twin is forgotten once counted');
});

t.test('records expire 24 h after their event, by event time; the key then writes again', async (t) => {
  const s = StreamState.empty(100);
  fold(s, at(T0), gameCreated({ name: 'a', idem: stamp('k') }));
  fold(s, at(T0 + IDEMPOTENCY_TTL_MS), gameCreated({ name: 'b', idem: stamp('k', 'd2') }));
  t.equal(s.blacklist.gameCount, 1, 'at exactly 24 h the key still holds');
  t.equal(s.idem.get('k', T0 + IDEMPOTENCY_TTL_MS + 1), undefined, 'a reader past 24 h does not see it');
  fold(s, at(T0 + IDEMPOTENCY_TTL_MS + 1), gameCreated({ name: 'b', idem: stamp('k', 'd2') }));
  t.equal(s.blacklist.gameCount, 2, 'past 24 h the key is new');
  t.equal(s.idem.get('k', T0 + IDEMPOTENCY_TTL_MS + 1)!.digest, 'd2');
  t.equal(s.idem.size, 1, 'the old record was dropped while folding');
});

t.test('the cap drops the oldest first and counts what it dropped before its 24 h', async (t) => {
  const r = new IdempotencyRecords(3);
  const rec = (ms: number) => ({ id: at(ms), digest: 'd', status: '201 Created', body: '{}', at: ms });
  for (let i = 0; i < 2_000; i++) r.record(`k${i}`, rec(T0 + i));
  t.equal(r.size, 3);
  t.equal(r.droppedEarly, 1_997);
  t.same(r.toState().records.map((x) => x[0]), ['k1997', 'k1998', 'k1999'], 'the newest three, oldest first');
  r.expire(T0 + 1_998 + IDEMPOTENCY_TTL_MS);
  t.same(r.toState().records.map((x) => x[0]), ['k1998', 'k1999'], 'expiry is not counted as dropped early');
  t.equal(r.droppedEarly, 1_997);
});

t.test('forget(email) drops every record whose answer mentions the email, and nothing else', async (t) => {
  const s = StreamState.empty(100);
  fold(s, at(T0), gameCreated({ name: 'g', idem: stamp('g') }));
  fold(s, at(T0 + 1), playerReported({ game_id: 1, email: 'p@example.com', reason: 'cheating', reported_at: T0, idem: stamp('r1') }));
  fold(s, at(T0 + 2), playerReported({ game_id: 1, email: 'q@example.com', reason: 'cheating', reported_at: T0, idem: stamp('r2') }));
  fold(s, at(T0 + 3), playerReported({ game_id: 1, email: 'p@example.com', reason: 'spam', reported_at: T0, idem: stamp('r3') }));
  t.equal(s.idem.forget('p@example.com'), 2);
  t.same(s.idem.toState().records.map((x) => x[0]), ['g', 'r2']);
  const snapshot = decodeStreamSnapshot(encodeStreamSnapshot(s, at(T0 + 3), T0).bytes, 100).state;
  t.notOk(JSON.stringify(snapshot.idem.toState()).includes('p@example.com'), 'gone from the next snapshot');
  // A record forgotten and its key used again: the new record stands, the old entry is skipped.
  fold(s, at(T0 + 4), playerReported({ game_id: 1, email: 'r@example.com', reason: 'spam', reported_at: T0, idem: stamp('r1') }));
  t.equal(s.idem.get('r1', T0 + 4)!.id, at(T0 + 4));
});

t.test('records travel in the stream snapshot; a snapshot written before safe retries loads with none', async (t) => {
  const s = StreamState.empty(100);
  fold(s, at(T0), topicCreated({ topic, at: T0 }));
  fold(s, at(T0 + 1), gameCreated({ name: 'g', idem: stamp('g') }));
  fold(s, at(T0 + 2), voteCast({ topic_id: 1, choice_id: 1, queued_at: T0, idem: stamp('v') }));
  fold(s, at(T0 + 3), voteCast({ topic_id: 1, choice_id: 1, queued_at: T0, idem: stamp('v') }));
  const loaded = decodeStreamSnapshot(encodeStreamSnapshot(s, at(T0 + 3), T0).bytes, 100).state;
  t.same(loaded.idem.toState(), s.idem.toState());
  t.equal(loaded.idem.toState().twins.length, 1);
  // A retry folded after the load is still a no-op.
  fold(loaded, at(T0 + 4), gameCreated({ name: 'h', idem: stamp('g') }));
  t.equal(loaded.blacklist.gameCount, 1);

  const old = { ...s.toState() } as Record<string, unknown>;
  delete old.idem;
  const envelope = (data: unknown) => Buffer.from(JSON.stringify({ kind: 'stream', version: 'v1', createdAt: '2030-01-01T00:00:00.000Z', streamOffset: '1-0', data }));
  t.equal(decodeStreamSnapshot(envelope(old), 100).state.idem.size, 0);
  const bad: [string, unknown][] = [
    ['not an object', 'x'],
    ['a record of the wrong length', { records: [['k', '1-0', 'd', '201 Created', '{}']], twins: [] }],
    ['records out of time order', { records: [['k', '2-0', 'd', '201 Created', '{}', 2], ['j', '1-0', 'd', '201 Created', '{}', 1]], twins: [] }],
    ['a key twice', { records: [['k', '1-0', 'd', '201 Created', '{}', 1], ['k', '2-0', 'd', '201 Created', '{}', 2]], twins: [] }],
    ['a bad twin', { records: [], twins: [[1, 2]] }],
  ];
  for (const [what, idem] of bad) t.throws(() => decodeStreamSnapshot(envelope({ ...old, idem }), 100), SnapshotCorruptError, what);
});

t.test('keys are scoped by caller, method and path; the digest ignores key order and spacing', async (t) => {
  const a = scopedIdemKey('admin-key-1', 'POST', '/games', 'abc');
  t.not(a, scopedIdemKey('admin-key-2', 'POST', '/games', 'abc'), 'another caller');
  t.not(a, scopedIdemKey('admin-key-1', 'POST', '/topics', 'abc'), 'another path');
  t.not(scopedIdemKey('k', 'PUT', '/topics/1', 'abc'), scopedIdemKey('k', 'PUT', '/topics/2', 'abc'), 'another id');
  t.notMatch(a, /admin-key-1/, 'never the API key in clear');
  t.equal(canonicalJson({ b: [1, { d: 1, c: 'x' }], a: null }), '{"a":null,"b":[1,{"c":"x","d":1}]}');
  t.equal(requestDigest('POST', '/games', JSON.parse('{"name":"x","z":1}')), requestDigest('POST', '/games', JSON.parse('{ "z": 1, "name": "x" }')));
  t.not(requestDigest('POST', '/games', { name: 'x' }), requestDigest('POST', '/games', { name: 'y' }));
  t.ok(IDEMPOTENCY_KEY.test('a'.repeat(255)));
  for (const bad of ['', 'a'.repeat(256), 'a b', 'é', 'a\tb']) t.notOk(IDEMPOTENCY_KEY.test(bad), JSON.stringify(bad));
});
