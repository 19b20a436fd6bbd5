// Engines booting from a stream snapshot the syncer's compaction wrote, on real files: from snapshot +
// tail answering as before, with no tail reporting the snapshot's time, past a newest snapshot that
// does not decode, and reloading the snapshot when the log was trimmed past an engine cut off from it.

import { join } from 'node:path';
import t from 'tap';
import { gameCreated } from '../../core/domain/stream/events.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START } from '../../core/domain/stream/event.js';
import { FileEventLog } from '../../core/store/file-event-log.js';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { eventually } from '../helpers/eventually.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { reportMany, streamJobs } from '../helpers/stream-jobs.js';

t.test('an engine boots from the stream snapshot + the tail, and answers as before', async (t) => {
  const dir = scratchDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir, workers: 2 });
  const http = httpClient(t, 16);
  const check = (url: string, i: number) => http.get(`${url}/blacklist/check?email=p${i}@example.com&api_key=${GAME_KEY}`).then((r) => r.text);
  const j = streamJobs(dir, first.events);
  await first.events.append(gameCreated({ name: 'g' }));
  await reportMany(first.events, 500);
  // Compacting and trimming the engine's own log while it follows it, as embedded mode does.
  t.match(await j.compact.run(), { outcome: 'published', trimmed: 501 });
  await reportMany(first.events, 40, 500);
  // The reports went straight into the log: the checks below are the fold's once it has all 541 events.
  const applied = async () => Number(/^engine_events_applied_total (\d+)$/m.exec((await http.get(`${first.internalUrl}/metrics`)).text)?.[1]);
  await eventually(applied, (n) => n === 541, 10_000, 'the first engine folded every event');
  const before = await Promise.all(Array.from({ length: 38 }, (_, i) => check(first.url, i)));
  await first.stop();

  const second = await startTestEngine(t, { dir, workers: 2 });
  const after = await Promise.all(Array.from({ length: 38 }, (_, i) => check(second.url, i)));
  t.same(after, before, 'every check answers as before');
  t.match(second.logs.find((l) => l.msg === 'stream snapshot loaded'), { version: (await j.store.latest('stream'))!, reports: 500, players: 37 });
  t.equal((await second.events.read(START, { count: 1_000 })).length, 40, 'only the tail is in the log');
});

t.test('an engine booted from a snapshot with no tail reports the snapshot offset as its last event time', async (t) => {
  const dir = scratchDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const j = streamJobs(dir, first.events);
  await first.events.append(gameCreated({ name: 'g' }));
  await reportMany(first.events, 5);
  t.match(await j.compact.run(), { outcome: 'published' });
  const offset = j.replica.lastSnapshot!.streamOffset;
  await first.stop();

  const second = await startTestEngine(t, { dir });
  const http = httpClient(t);
  // start() waits for the catch-up within a bound; on a slow machine read again until it is done.
  const metrics = await eventually(async () => (await http.get(`${second.internalUrl}/metrics`)).text, (m) => /^engine_event_log_replayed 1$/m.test(m), 5_000, 'the log replayed');
  t.match(metrics, /^engine_events_applied_total 0$/m, 'nothing folded after the snapshot');
  const [, seconds] = /^engine_last_event_timestamp_seconds (\S+)$/m.exec(metrics) ?? [];
  t.equal(Number(seconds), Number(offset.split('-')[0]) / 1000, `the offset ${offset}'s time, not 0`);
});

t.test('a newest snapshot that does not decode: the engine boots from the one before and a longer tail', async (t) => {
  const dir = scratchDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  const j = streamJobs(dir, events, { EVENT_RETENTION_SECONDS: '3600' });
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
  const fresh = streamJobs(dir, eng.events, { EVENT_RETENTION_SECONDS: '3600' });
  t.match(await fresh.compact.run(), { outcome: 'published' });
  t.equal(fresh.replica.state.blacklist.reports, 120);
  t.match(await fresh.compact.run(), { outcome: 'unchanged' }, 'and then finds nothing new');
});

t.test('an engine cut off from the log while it was trimmed past its position reloads the snapshot when the log is back', async (t) => {
  const dir = scratchDir(t);
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
  const j = streamJobs(dir, eng.events);
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
  const got = await eventually(
    async () => (await answers()).map((text) => (text.startsWith('{"most') ? text : null)),
    (g) => JSON.stringify(g) === JSON.stringify(expected),
    5_000,
    'checks as the full history says',
  );
  t.same(got, expected, 'every check answers as the full history says: nothing trimmed was lost');
  t.ok(eng.logs.some((l) => String(l.msg).startsWith('the event log was trimmed past this engine')), 'and the engine said what it did');
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_event_log_gap_reloads_total 1$/m, 'and counted it');
  t.match(metrics, /^engine_event_log_up 1$/m);
  t.match(metrics, /^engine_event_log_replayed 1$/m);
  t.match(metrics, /^engine_events_applied_total (\d+)$/m);
});
