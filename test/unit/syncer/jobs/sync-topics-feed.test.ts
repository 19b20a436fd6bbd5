// The topics feed job (TOPICS_FEED_URL) on a real event log file, snapshot folder and HTTP feed: a
// first pull creates the feed's topics, an identical pull appends nothing, a changed one updates
// keeping the ids (and votes) of the choices it still lists, API topics and topics gone from the
// feed are left alone, a feed that is not JSON is refused whole, and the feed keys survive
// compaction. The parser alone: test/unit/syncer/feed/topics-feed.test.ts.

import { join } from 'node:path';
import t, { type Test } from 'tap';
import { systemClock } from '../../../../core/runtime/clock.js';
import { foldEvent, topicCreated, votesCounted } from '../../../../core/domain/stream/events.js';
import { StreamState } from '../../../../core/domain/stream/stream-state.js';
import type { EventLog } from '../../../../core/store/event-log.js';
import { START } from '../../../../core/domain/stream/event.js';
import { FileEventLog } from '../../../../core/store/file-event-log.js';
import { FsSnapshotStore } from '../../../../core/store/fs-snapshot-store.js';
import { FeedClient } from '../../../../syncer/feed/feed-client.js';
import { CompactStream } from '../../../../syncer/jobs/compact-stream.js';
import { SyncTopicsFeed } from '../../../../syncer/jobs/sync-topics-feed.js';
import { NotLeaderError } from '../../../../core/errors.js';
import { SyncerMetrics } from '../../../../syncer/metrics.js';
import { StreamReplica } from '../../../../syncer/stream/stream-replica.js';
import { startFeedServer, type FeedServer } from '../../../helpers/feed-server.js';
import { capturingLogger, quietLogger } from '../../../helpers/logger.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

const VOTE_RECEIPTS = 1_000;

interface Rig {
  events: EventLog;
  feed: FeedServer;
  metrics: SyncerMetrics;
  replica: StreamReplica;
  store: FsSnapshotStore;
  job: SyncTopicsFeed;
  logs: Record<string, unknown>[];
}

/** A topics feed job on a real event log file and snapshot folder, pulling from a real local HTTP feed. */
async function rig(t: Test, leader: () => Promise<void> = async () => {}): Promise<Rig> {
  const dir = scratchDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  const feed = await startFeedServer(t, { body: '[]' });
  const store = new FsSnapshotStore(dir);
  const metrics = new SyncerMetrics();
  const replica = new StreamReplica(events, store, () => {}, VOTE_RECEIPTS);
  const { log, logs } = capturingLogger('info');
  const client = new FeedClient(feed.url, { timeoutMs: 5_000, maxBytes: 1 << 20, retries: 0 });
  t.teardown(() => client.close());
  const job = new SyncTopicsFeed({ feed: client, replica, events, assertLeader: leader, metrics, log, clock: systemClock });
  return { events, feed, metrics, replica, store, job, logs };
}

/** The stream folded from its start, as an engine booting without a snapshot would see it. */
async function fold(events: EventLog): Promise<StreamState> {
  const state = StreamState.empty(VOTE_RECEIPTS);
  for (const e of await events.read(START, { count: 10_000 })) foldEvent(state, e);
  return state;
}

const streamLength = async (events: EventLog): Promise<number> => (await events.read(START, { count: 10_000 })).length;

t.test('job: creates, leaves alone what did not change, updates keeping choice ids and votes', async (t) => {
  const r = await rig(t);
  // An API topic first (no feed key): topic 1. Its title is also in the feed: titles are not keys.
  await r.events.append(topicCreated({ topic: { title: 'Best summer game', is_active: true, choices: [{ description: 'Kart Chaos' }] }, at: Date.now() }));
  const feedV1 = [
    { id: 'summer', title: 'Best summer game', choices: [{ description: 'Kart Chaos' }, { description: 'Space Raiders' }, { description: 'Tetris' }] },
    { id: 42, title: 'Best boss', choices: [{ description: 'Dragon' }, { description: 'Robot' }] },
  ];
  r.feed.respond = { body: JSON.stringify(feedV1) };

  t.same(await r.job.run(), { outcome: 'merged', created: 2, updated: 0 });
  let state = await fold(r.events);
  t.same(
    state.topics.all.map((x) => ({ id: x.id, title: x.title, feedKey: x.feedKey, choices: x.choices })),
    [
      { id: 1, title: 'Best summer game', feedKey: undefined, choices: [{ id: 1, description: 'Kart Chaos' }] },
      {
        id: 2,
        title: 'Best summer game',
        feedKey: 'summer',
        choices: [
          { id: 2, description: 'Kart Chaos' },
          { id: 3, description: 'Space Raiders' },
          { id: 4, description: 'Tetris' },
        ],
      },
      {
        id: 3,
        title: 'Best boss',
        feedKey: '42',
        choices: [
          { id: 5, description: 'Dragon' },
          { id: 6, description: 'Robot' },
        ],
      },
    ],
    'feed topics get the next ids in feed order and their feed keys; the API topic is topic 1',
  );
  t.equal(state.topics.byFeed('42')?.id, 3, 'a numeric feed id is keyed as its string');
  t.match(r.logs.find((l) => l.msg === 'topics feed merged'), { rows: 2, created: 2, updated: 0, unchanged: 0, rejected: 0 });

  t.same(await r.job.run(), { outcome: 'unchanged', created: 0, updated: 0 }, 'the same feed again: nothing to append');
  t.equal(await streamLength(r.events), 3, 'one API topic and two feed topics, nothing twice');

  // Votes on the summer topic: 2 for Kart Chaos (choice 2), 1 for Space Raiders (3), 1 for Tetris (4).
  await r.events.append(
    votesCounted({
      at: Date.now(),
      votes: [
        ['v1', 2],
        ['v2', 2],
        ['v3', 3],
        ['v4', 4],
      ],
    }),
  );
  // Renamed, reordered, Tetris dropped, Pong added; topic 42 is gone from the feed; a new one arrives.
  const feedV2 = [
    { id: 'winter', title: 'Best winter game', is_active: false, choices: [{ description: 'Ski Jump' }] },
    { id: 'summer', title: 'Best summer game ever', choices: [{ description: 'Space Raiders' }, { description: 'Pong' }, { description: 'Kart Chaos' }] },
  ];
  r.feed.respond = { body: feedV2.map((x) => JSON.stringify(x)).join('\n') };
  t.same(await r.job.run(), { outcome: 'merged', created: 1, updated: 1 });
  state = await fold(r.events);
  const summer = state.topics.byFeed('summer')!;
  t.equal(summer.id, 2, 'updated in place');
  t.equal(summer.title, 'Best summer game ever');
  t.same(
    summer.choices.map((c) => [c.id, c.description, state.topics.votes(c.id)]),
    [
      [3, 'Space Raiders', 1],
      [8, 'Pong', 0],
      [2, 'Kart Chaos', 2],
    ],
    'a choice the feed still lists keeps its id and votes; a new one gets a new id',
  );
  t.equal(state.topics.topicOf(4), undefined, 'the dropped choice is gone from the topic');
  t.same(
    state.topics.byFeed('42')?.choices.map((c) => c.description),
    ['Dragon', 'Robot'],
    'a topic gone from the feed is left as it is: the feed cannot delete',
  );
  t.match(state.topics.byFeed('winter'), { id: 4, title: 'Best winter game', isActive: false, choices: [{ id: 7, description: 'Ski Jump' }] }, 'created before the update: the feed lists it first');
  t.same(state.topics.byId(1)?.choices, [{ id: 1, description: 'Kart Chaos' }], 'the API topic is untouched');

  t.same(await r.job.run(), { outcome: 'unchanged', created: 0, updated: 0 }, 'the changed feed again: nothing to append');

  // Only is_active changes: that alone is an update, and every choice keeps its id.
  r.feed.respond = { body: JSON.stringify([{ ...feedV2[0], is_active: true }, feedV2[1]]) };
  t.same(await r.job.run(), { outcome: 'merged', created: 0, updated: 1 });
  state = await fold(r.events);
  t.match(state.topics.byFeed('winter'), { isActive: true, choices: [{ id: 7, description: 'Ski Jump' }] });

  const syncs = await r.metrics.registry.getSingleMetricAsString('syncer_topics_feed_syncs_total');
  for (const [outcome, n] of Object.entries({ merged: 3, unchanged: 2, not_modified: 0, feed_rejected: 0, failed: 0 })) {
    t.match(syncs, new RegExp(`outcome="${outcome}"} ${n}\\b`), `${outcome}: ${n}`);
  }
  const rows = await r.metrics.registry.getSingleMetricAsString('syncer_topics_feed_rows_total');
  for (const [result, n] of Object.entries({ created: 3, updated: 2, unchanged: 5, not_json: 0, duplicate_id: 0 })) {
    t.match(rows, new RegExp(`result="${result}"} ${n}\\b`), `${result}: ${n}`);
  }
});

t.test('job: a feed that is not JSON is refused whole; dropped rows are counted and logged', async (t) => {
  const r = await rig(t);
  r.feed.respond = { body: 'this is not a feed' };
  t.same(await r.job.run(), { outcome: 'feed_rejected', created: 0, updated: 0 });
  t.equal(await streamLength(r.events), 0, 'nothing appended');
  t.match(await r.metrics.registry.getSingleMetricAsString('syncer_topics_feed_syncs_total'), /outcome="feed_rejected"} 1\b/);

  r.feed.respond = {
    body: JSON.stringify([{ id: 'ok', title: 'Fine', choices: [{ description: 'x' }] }, { id: 'ok', title: 'Again', choices: [{ description: 'y' }] }, { title: 'No id' }, 5]),
  };
  t.same(await r.job.run(), { outcome: 'merged', created: 1, updated: 0 });
  t.equal((await fold(r.events)).topics.byFeed('ok')?.title, 'Fine', 'the first row of a repeated feed id wins');
  const rows = await r.metrics.registry.getSingleMetricAsString('syncer_topics_feed_rows_total');
  for (const [result, n] of Object.entries({ created: 1, duplicate_id: 1, missing_id: 1, not_an_object: 1 })) {
    t.match(rows, new RegExp(`result="${result}"} ${n}\\b`), `${result}: ${n}`);
  }
  t.same(
    r.logs.filter((l) => l.msg === 'topics feed row dropped').map((l) => [l.row, l.reason]),
    [
      [1, 'duplicate_id'],
      [2, 'missing_id'],
      [3, 'not_an_object'],
    ],
  );
});

t.test('job: appends nothing when this syncer is not the leader, and offers the feed again next time', async (t) => {
  let leader = false;
  const r = await rig(t, async () => {
    if (!leader) throw new NotLeaderError('standby');
  });
  r.feed.respond = { body: JSON.stringify([{ id: 1, title: 'T', choices: [{ description: 'x' }] }]), headers: { etag: '"v1"' } };
  t.same(await r.job.run(), { outcome: 'not_leader', created: 0, updated: 0 });
  t.equal(await streamLength(r.events), 0);
  t.equal(r.feed.requests[0]?.['if-none-match'], undefined);
  leader = true;
  // Had the validators of the pull not merged been kept, the feed could answer 304 and the topic
  // would wait for the feed's next change: the run that failed forgot them.
  t.same(await r.job.run(), { outcome: 'merged', created: 1, updated: 0 });
  t.equal(r.feed.requests[1]?.['if-none-match'], undefined, 'no validators sent after a run that merged nothing');
  r.feed.next = [{ status: 304 }];
  t.same(await r.job.run(), { outcome: 'not_modified', created: 0, updated: 0 }, 'after a merge the validators stand');
  t.equal(r.feed.requests[2]?.['if-none-match'], '"v1"');
  t.equal(await streamLength(r.events), 1);
});

t.test('job: feed keys travel in the stream snapshot, so a fresh syncer after compaction appends nothing', async (t) => {
  const r = await rig(t);
  r.feed.respond = { body: JSON.stringify([{ id: 'a', title: 'A', choices: [{ description: 'x' }, { description: 'y' }] }]) };
  t.same(await r.job.run(), { outcome: 'merged', created: 1, updated: 0 });
  const compact = new CompactStream({ replica: r.replica, events: r.events, store: r.store, notifier: null, metrics: r.metrics, log: quietLogger(), clock: systemClock, retentionMs: 0 });
  t.match(await compact.run(), { outcome: 'published', trimmed: 1 });
  t.equal(await streamLength(r.events), 0, 'the stream is trimmed: only the snapshot knows the topic');

  const replica = new StreamReplica(r.events, r.store, () => {}, VOTE_RECEIPTS);
  const client = new FeedClient(r.feed.url, { timeoutMs: 5_000, maxBytes: 1 << 20, retries: 0 });
  t.teardown(() => client.close());
  const fresh = new SyncTopicsFeed({ feed: client, replica, events: r.events, assertLeader: async () => {}, metrics: new SyncerMetrics(), log: quietLogger(), clock: systemClock });
  t.same(await fresh.run(), { outcome: 'unchanged', created: 0, updated: 0 });
  r.feed.respond = { body: JSON.stringify([{ id: 'a', title: 'A', choices: [{ description: 'y' }] }]) };
  t.same(await fresh.run(), { outcome: 'merged', created: 0, updated: 1 });
  t.same(replica.state.topics.byFeed('a')?.choices, [{ id: 1, description: 'x' }, { id: 2, description: 'y' }], 'not folded yet by the replica');
  await replica.catchUp();
  t.same(replica.state.topics.byFeed('a')?.choices, [{ id: 2, description: 'y' }], 'the kept choice keeps its id across the snapshot');
});

t.test('job: poll settings from the feed: created with both, ends_at merged when it changes, votes_per_player kept', async (t) => {
  const r = await rig(t);
  const row = (o: Record<string, unknown>) => ({ id: 'mvp', title: 'MVP?', choices: [{ description: 'Ana' }], ...o });
  r.feed.respond = { body: JSON.stringify([row({ votes_per_player: 'one', ends_at: '2030-01-01T12:00:00Z' })]) };
  t.same(await r.job.run(), { outcome: 'merged', created: 1, updated: 0 });
  const topic = () => fold(r.events).then((s) => s.topics.byFeed('mvp')!);
  t.match(await topic(), { votesPerPlayer: 'one', endsMs: Date.UTC(2030, 0, 1, 12) });
  r.feed.respond = { body: JSON.stringify([row({ votes_per_player: 'one', ends_at: '2030-01-01T13:00:00+01:00' })]) };
  t.same(await r.job.run(), { outcome: 'unchanged', created: 0, updated: 0 }, 'the same instant written another way: nothing to merge');
  r.feed.respond = { body: JSON.stringify([row({})]) };
  t.same(await r.job.run(), { outcome: 'unchanged', created: 0, updated: 0 }, 'a row without ends_at or votes_per_player leaves them');
  r.feed.respond = { body: JSON.stringify([row({ votes_per_player: 'unlimited', ends_at: '2030-01-02T12:00:00Z' })]) };
  t.same(await r.job.run(), { outcome: 'merged', created: 0, updated: 1 });
  t.match(await topic(), { votesPerPlayer: 'one', endsMs: Date.UTC(2030, 0, 2, 12) }, 'the end moved; votes_per_player is taken at creation only');
  r.feed.respond = { body: JSON.stringify([row({ ends_at: 'soon' })]) };
  t.match(await r.job.run(), { outcome: 'unchanged' }, 'a row with a bad ends_at is dropped');
  t.match(r.logs.find((l) => l.msg === 'topics feed row dropped'), { reason: 'bad_topic', problem: /^ends_at/ });
});
