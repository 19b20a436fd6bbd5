// The syncer's blacklist work on real files and a real engine: compaction (a snapshot at the
// stream's end, nothing when nothing came, trimming only behind the newest snapshot and outside the
// retention window), an engine booting from snapshot + tail, a corrupt newest snapshot, and the
// blacklist feed (BLACKLIST_FEED_URL) merged once however often it is pulled.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../engine/core/clock.js';
import { loadConfig } from '../../engine/core/config.js';
import { gameCreated, playerReported } from '../../engine/core/events.js';
import { createLogger } from '../../engine/core/logger.js';
import { START, type EventLog } from '../../engine/store/event-log.js';
import { FileEventLog } from '../../engine/store/file-event-log.js';
import { FsSnapshotStore } from '../../engine/store/fs-snapshot-store.js';
import { createStreamJobs } from '../../syncer/stream/stream-jobs.js';
import { soleLeader } from '../../syncer/leader/leader-lock.js';
import { SyncerMetrics } from '../../syncer/metrics.js';
import { startFeedServer } from '../helpers/feed-server.js';
import { httpClient } from '../helpers/http.js';
import { GAME_KEY, row, startTestEngine } from '../helpers/test-engine.js';

const quiet = createLogger('error', {}, () => {});

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-edge-compact-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function jobs(dir: string, events: EventLog, env: Record<string, string> = {}) {
  const metrics = new SyncerMetrics();
  const config = loadConfig({ DATA_DIR: dir, EVENT_RETENTION_SECONDS: '0', ...env }, 'embedded');
  const store = new FsSnapshotStore(dir);
  return { metrics, store, ...createStreamJobs({ config, events, store, notifier: null, leadership: soleLeader, metrics, log: quiet, clock: systemClock }) };
}

async function reportMany(events: EventLog, n: number, from = 0): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      events.append(playerReported({ game_id: 1, email: `p${(from + i) % 37}@example.com`, reason: i % 3 ? 'cheating' : 'spam', reported_at: Date.now() })),
    ),
  );
}

t.test('compaction: a snapshot at the stream end, none when nothing came, trim only behind it', async (t) => {
  const dir = await tempDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  const j = jobs(dir, events);
  t.same(await j.compact.run(), { outcome: 'unchanged', version: null, trimmed: 0 }, 'an empty stream: nothing to snapshot');

  await events.append(gameCreated({ name: 'g' }));
  await reportMany(events, 100);
  const last = (await events.read(START, { count: 1_000 })).at(-1)!.id;
  const first = await j.compact.run();
  t.equal(first.outcome, 'published');
  t.equal(first.trimmed, 101, 'every event is covered and outside a zero retention');
  t.same(await events.read(START, { count: 10 }), [], 'the stream is empty');
  const snapshot = JSON.parse(Buffer.from(await j.store.get('stream', first.version!)).toString()) as { streamOffset: string };
  t.equal(snapshot.streamOffset, last, 'the snapshot covers up to the last event');
  t.equal(await j.store.latest('stream'), first.version);

  t.same(await j.compact.run(), { outcome: 'unchanged', version: first.version, trimmed: 0 }, 'nothing new: no snapshot');
  await reportMany(events, 5);
  const second = await j.compact.run();
  t.equal(second.outcome, 'published');
  t.not(second.version, first.version);
  t.equal(second.trimmed, 5);
  t.match(await j.metrics.registry.getSingleMetricAsString('syncer_stream_compactions_total'), /outcome="published"} 2/);
  t.match(await j.metrics.registry.getSingleMetricAsString('syncer_events_trimmed_total'), /syncer_events_trimmed_total 106/);
});

t.test('catch-ups asked for at once run one after the other: every event folds once', async (t) => {
  const dir = await tempDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  await events.append(gameCreated({ name: 'g' }));
  await reportMany(events, 60);
  const j = jobs(dir, events);
  // Compaction and a feed job on their own schedules may both catch the replica up at once.
  const folded = await Promise.all([j.replica.catchUp(), j.replica.catchUp(), j.replica.catchUp()]);
  t.same(folded, [61, 0, 0], 'the first folds everything, the others find nothing new');
  t.equal(j.replica.state.blacklist.reports, 60);
  t.equal(j.replica.state.blacklist.gameCount, 1);
});

t.test('trimming keeps the retention window even behind a snapshot', async (t) => {
  const dir = await tempDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  const j = jobs(dir, events, { EVENT_RETENTION_SECONDS: '3600' });
  await events.append(gameCreated({ name: 'g' }));
  await reportMany(events, 10);
  t.match(await j.compact.run(), { outcome: 'published', trimmed: 0 });
  t.equal((await events.read(START, { count: 100 })).length, 11, 'all younger than an hour: all kept');
});

t.test('an engine boots from the stream snapshot + the tail, and answers as before', async (t) => {
  const dir = await tempDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir, workers: 2 });
  const http = httpClient(t, 16);
  const check = (url: string, i: number) => http.get(`${url}/blacklist/check?email=p${i}@example.com&api_key=${GAME_KEY}`).then((r) => r.text);
  const j = jobs(dir, first.events);
  await first.events.append(gameCreated({ name: 'g' }));
  await reportMany(first.events, 500);
  // Compacting and trimming the engine's own log while it follows it, as embedded mode does.
  t.match(await j.compact.run(), { outcome: 'published', trimmed: 501 });
  await reportMany(first.events, 40, 500);
  const before = await Promise.all(Array.from({ length: 38 }, (_, i) => check(first.url, i)));
  await first.stop();

  const second = await startTestEngine(t, { dir, workers: 2 });
  const after = await Promise.all(Array.from({ length: 38 }, (_, i) => check(second.url, i)));
  t.same(after, before, 'every check answers as before');
  t.match(second.logs.find((l) => l.msg === 'stream snapshot loaded'), { version: (await j.store.latest('stream'))!, reports: 500, players: 37 });
  t.equal((await second.events.read(START, { count: 1_000 })).length, 40, 'only the tail is in the log');
});

t.test('an engine booted from a snapshot with no tail reports the snapshot offset as its last event time', async (t) => {
  const dir = await tempDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const j = jobs(dir, first.events);
  await first.events.append(gameCreated({ name: 'g' }));
  await reportMany(first.events, 5);
  t.match(await j.compact.run(), { outcome: 'published' });
  const offset = j.replica.lastSnapshot!.streamOffset;
  await first.stop();

  const second = await startTestEngine(t, { dir });
  const http = httpClient(t);
  let metrics = '';
  // start() waits for the catch-up within a bound; on a slow machine read again until it is done.
  for (let i = 0; i < 100 && !/^engine_event_log_replayed 1$/m.test(metrics); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 50));
    metrics = (await http.get(`${second.internalUrl}/metrics`)).text;
  }
  t.match(metrics, /^engine_events_applied_total 0$/m, 'nothing folded after the snapshot');
  const [, seconds] = /^engine_last_event_timestamp_seconds (\S+)$/m.exec(metrics) ?? [];
  t.equal(Number(seconds), Number(offset.split('-')[0]) / 1000, `the offset ${offset}'s time, not 0`);
});

t.test('a newest snapshot that does not decode: the engine boots from the one before and a longer tail', async (t) => {
  const dir = await tempDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  const j = jobs(dir, events, { EVENT_RETENTION_SECONDS: '3600' });
  await events.append(gameCreated({ name: 'g' }));
  await reportMany(events, 60);
  await j.compact.run();
  await reportMany(events, 60, 60);
  await j.compact.run();
  await events.close();
  await j.store.put('stream', '20991231T000000000Z-broken', Buffer.from('{"kind":"stream","version":"x"'));
  await j.store.setLatest('stream', '20991231T000000000Z-broken');

  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const http = httpClient(t);
  t.match(eng.logs.find((l) => String(l.msg).startsWith('stream snapshot refused')), { version: '20991231T000000000Z-broken', level: 'error' });
  t.match(eng.logs.find((l) => l.msg === 'stream snapshot loaded'), { reports: 120 }, 'the newest good one, in list order');
  const r = await http.get(`${eng.url}/blacklist/check?email=p1@example.com&api_key=${GAME_KEY}`);
  t.match(r, { status: 200, body: { number_of_games_reported: 1 } });
  // A syncer starting now does the same, and publishes a good snapshot over the broken one.
  const fresh = jobs(dir, eng.events, { EVENT_RETENTION_SECONDS: '3600' });
  t.match(await fresh.compact.run(), { outcome: 'published' });
  t.equal(fresh.replica.state.blacklist.reports, 120);
  t.match(await fresh.compact.run(), { outcome: 'unchanged' }, 'and then finds nothing new');
});

t.test('an engine cut off from the log while it was trimmed past its position reloads the snapshot when the log is back', async (t) => {
  const dir = await tempDir(t);
  let down = false;
  // The real file log, with reads failing while `down` (what a Redis partition looks like to an engine).
  const cutOff = (log: FileEventLog): EventLog =>
    new Proxy(log, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          down && (prop === 'read' || prop === 'first') ? Promise.reject(new Error('injected: event log unreachable')) : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir, wrapEvents: cutOff });
  const http = httpClient(t, 16);
  const j = jobs(dir, eng.events);
  const answers = () => Promise.all(Array.from({ length: 38 }, (_, i) => http.get(`${eng.url}/blacklist/check?email=p${i}@example.com&api_key=${GAME_KEY}`).then((r) => r.text)));
  await eng.events.append(gameCreated({ name: 'g' }));
  await reportMany(eng.events, 50);
  await j.compact.run();

  down = true;
  await new Promise((r) => setTimeout(r, 1_500)); // the follower's blocking read ends and fails
  await reportMany(eng.events, 30, 50);
  t.match(await j.compact.run(), { outcome: 'published', trimmed: 30 }, 'the events the engine has not seen are trimmed');
  await reportMany(eng.events, 5, 80);
  down = false;

  const truth = async () => {
    await j.replica.catchUp();
    return Array.from({ length: 38 }, (_, i) => {
      const c = j.replica.state.blacklist.check(`p${i}@example.com`, Date.now());
      return c === null ? null : JSON.stringify(c);
    });
  };
  const expected = await truth();
  let got: (string | null)[] = [];
  for (let i = 0; i < 100 && JSON.stringify(got) !== JSON.stringify(expected); i++) {
    await new Promise((r) => setTimeout(r, 50));
    got = (await answers()).map((text) => (text.startsWith('{"most') ? text : null));
  }
  t.same(got, expected, 'every check answers as the full history says: nothing trimmed was lost');
  t.ok(eng.logs.some((l) => String(l.msg).startsWith('the event log was trimmed past this engine')), 'and the engine said what it did');
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_event_log_gap_reloads_total 1$/m, 'and counted it');
  t.match(metrics, /^engine_event_log_up 1$/m);
  t.match(metrics, /^engine_event_log_replayed 1$/m);
  t.match(metrics, /^engine_events_applied_total (\d+)$/m);
});

t.test('blacklist feed: JSON array or JSON lines, validated row by row, merged once however often pulled', async (t) => {
  const dir = await tempDir(t);
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const http = httpClient(t);
  const check = async (email: string) => (await http.get(`${eng.url}/blacklist/check?email=${encodeURIComponent(email)}&api_key=${GAME_KEY}`)).body;
  await eng.events.append(gameCreated({ name: 'Space Raiders' }));
  await eng.events.append(gameCreated({ name: 'Kart Chaos' }));
  const day = new Date(Date.now() - 86_400_000).toISOString();
  const rows = [
    { game_id: 1, email: ' Cheater@Example.com ', reason: 'Cheating', reported_at: day },
    { game_name: 'Kart Chaos', email: 'cheater@example.com', reason: 'cheating', reported_at: Date.now() - 1000 },
    { game_name: 'Kart Chaos', email: 'cheater@example.com', reason: 'cheating', reported_at: Date.now() - 1000 }, // same row twice
    { game_name: 'No Such Game', email: 'x@example.com', reason: 'spam', reported_at: day },
    { game_id: 1, email: 'not-an-email', reason: 'spam', reported_at: day },
    // The email rule of POST /blacklist: nothing a check could not name.
    { game_id: 1, email: 'jos\u00e9@example.com', reason: 'spam', reported_at: day },
    { game_id: 1, email: 'a\u0000b@example.com', reason: 'spam', reported_at: day },
    { game_id: 1, email: 'y@example.com', reason: 'spam', reported_at: 'yesterday' },
    { game_id: 1, email: 'y@example.com', reason: 'spam', reported_at: new Date(Date.now() + 86_400_000).toISOString() },
    { email: 'y@example.com', reason: 'spam', reported_at: day },
    'just a string',
  ];
  const feed = await startFeedServer(t, { body: JSON.stringify(rows) });
  const j = jobs(dir, eng.events, { BLACKLIST_FEED_URL: feed.url });
  t.same(await j.feed!.run(), { outcome: 'merged', merged: 2 });
  await eng.engine.follower.check();
  const seen = async () => {
    for (let i = 0; i < 100; i++) {
      const body = (await check('cheater@example.com')) as { number_of_games_reported?: number };
      if (body.number_of_games_reported === 2) return body;
      await new Promise((r) => setTimeout(r, 20));
    }
    return check('cheater@example.com');
  };
  t.same(await seen(), { most_common_reason: 'cheating', number_of_games_reported: 2, times_reported_last_90_days: 2 });
  const metrics = await j.metrics.registry.getSingleMetricAsString('syncer_blacklist_feed_rows_total');
  for (const [result, n] of Object.entries({ merged: 2, duplicate_row: 1, unknown_game: 1, bad_email: 3, bad_reported_at: 1, reported_at_in_future: 1, missing_game: 1, not_an_object: 1 })) {
    t.match(metrics, new RegExp(`result="${result}"} ${n}\\b`), `${result}: ${n}`);
  }

  t.same(await j.feed!.run(), { outcome: 'unchanged', merged: 0 }, 'pulled again: every row is known');
  const streamLength = (await eng.events.read(START, { count: 100 })).length;
  t.equal(streamLength, 4, 'two games and two reports: nothing appended twice');

  feed.respond = { body: [JSON.stringify({ game_id: 2, email: 'new@example.com', reason: 'spam', reported_at: day }), '{broken', ''].join('\n') };
  t.same(await j.feed!.run(), { outcome: 'merged', merged: 1 }, 'JSON lines; a line that is not JSON is one dropped row');
  feed.respond = { body: 'this is not a feed' };
  t.match(await j.feed!.run(), { outcome: 'feed_rejected', merged: 0 });
  t.equal((await eng.events.read(START, { count: 100 })).length, 5);
  // The compaction snapshot carries the merged rows' keys: a fresh syncer does not merge them again.
  await j.compact.run();
  feed.respond = { body: JSON.stringify(rows) };
  const fresh = jobs(dir, eng.events, { BLACKLIST_FEED_URL: feed.url, EVENT_RETENTION_SECONDS: '3600' });
  t.same(await fresh.feed!.run(), { outcome: 'unchanged', merged: 0 });
});
