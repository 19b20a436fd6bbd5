// Stream compaction on real files: a snapshot at the stream's end, nothing when nothing came,
// trimming only behind the newest snapshot and outside the retention window, and catch-ups asked
// for at once folding every event once. Engines booting from what it writes:
// test/e2e/stream-snapshot-boot.test.ts.

import { join } from 'node:path';
import t from 'tap';
import { gameCreated } from '../../../../core/domain/stream/events.js';
import { START } from '../../../../core/domain/stream/event.js';
import { FileEventLog } from '../../../../core/store/file-event-log.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';
import { reportMany, streamJobs } from '../../../helpers/stream-jobs.js';

t.test('compaction: a snapshot at the stream end, none when nothing came, trim only behind it', async (t) => {
  const dir = scratchDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  const j = streamJobs(dir, events);
  t.same(await j.compact.run(), { outcome: 'unchanged', version: null, trimmed: 0, removed: 0 }, 'an empty stream: nothing to snapshot');

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

  t.same(await j.compact.run(), { outcome: 'unchanged', version: first.version, trimmed: 0, removed: 0 }, 'nothing new: no snapshot');
  await reportMany(events, 5);
  const second = await j.compact.run();
  t.equal(second.outcome, 'published');
  t.not(second.version, first.version);
  t.equal(second.trimmed, 5);
  t.match(await j.metrics.registry.getSingleMetricAsString('syncer_stream_compactions_total'), /outcome="published"} 2/);
  t.match(await j.metrics.registry.getSingleMetricAsString('syncer_events_trimmed_total'), /syncer_events_trimmed_total 106/);
});

t.test('catch-ups asked for at once run one after the other: every event folds once', async (t) => {
  const dir = scratchDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  await events.append(gameCreated({ name: 'g' }));
  await reportMany(events, 60);
  const j = streamJobs(dir, events);
  // Compaction and a feed job on their own schedules may both catch the replica up at once.
  const folded = await Promise.all([j.replica.catchUp(), j.replica.catchUp(), j.replica.catchUp()]);
  t.same(folded, [61, 0, 0], 'the first folds everything, the others find nothing new');
  t.equal(j.replica.state.blacklist.reports, 60);
  t.equal(j.replica.state.blacklist.gameCount, 1);
});

t.test('trimming keeps the retention window even behind a snapshot', async (t) => {
  const dir = scratchDir(t);
  const events = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => events.close());
  const j = streamJobs(dir, events, { EVENT_RETENTION_SECONDS: '3600' });
  await events.append(gameCreated({ name: 'g' }));
  await reportMany(events, 10);
  t.match(await j.compact.run(), { outcome: 'published', trimmed: 0 });
  t.equal((await events.read(START, { count: 100 })).length, 11, 'all younger than an hour: all kept');
});
