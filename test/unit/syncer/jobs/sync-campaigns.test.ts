// The campaign sync job end to end against a real HTTP feed server and a folder store: publish on
// change, skip when unchanged, keep the last good snapshot on every kind of failure.

import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ManualClock } from '../../../../core/runtime/clock.js';
import { decodeAdsSnapshot } from '../../../../core/domain/ads/snapshot.js';
import { FsSnapshotStore } from '../../../../core/store/fs-snapshot-store.js';
import { InProcessNotifier } from '../../../../core/store/notifier.js';
import { FeedClient } from '../../../../syncer/feed/feed-client.js';
import { SyncCampaigns } from '../../../../syncer/jobs/sync-campaigns.js';
import { SyncerMetrics } from '../../../../syncer/metrics.js';
import { startFeedServer } from '../../../helpers/feed-server.js';
import { feedOf, row } from '../../../helpers/feed-rows.js';
import { capturingLogger } from '../../../helpers/logger.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

async function setup(t: Test) {
  const dir = scratchDir(t);
  const feed = await startFeedServer(t, { body: feedOf('a') });
  const store = new FsSnapshotStore(dir);
  const notifier = new InProcessNotifier();
  const notified: string[] = [];
  notifier.subscribe((_, version) => notified.push(version));
  const metrics = new SyncerMetrics();
  const client = new FeedClient(feed.url, { maxBytes: 4096, timeoutMs: 300 });
  t.teardown(() => client.close());
  const clock = new ManualClock(Date.UTC(2031, 5, 1));
  const { log, logs } = capturingLogger('debug');
  const newJob = (servedFrom: FsSnapshotStore | null = null) => new SyncCampaigns({ feed: client, store, notifier, metrics, clock, log, servedFrom });
  const job = newJob();
  const metric = async (name: string) => (await metrics.registry.getSingleMetricAsString(name)) + '\n';
  return { dir, feed, store, notified, job, newJob, logs, clock, metric };
}

t.test('publishes on change, not on an unchanged feed', async (t) => {
  const s = await setup(t);
  const first = await s.job.run();
  t.equal(first.outcome, 'published');
  t.equal(await s.store.latest('ads'), first.version);
  t.same(s.notified, [first.version]);
  const snapshot = decodeAdsSnapshot(await s.store.get('ads', first.version!));
  t.same(snapshot.ads.map((a) => a.id), ['a']);

  s.clock.advance(60_000);
  t.same(await s.job.run(), { outcome: 'unchanged', version: first.version }, 'same content, no new version');
  s.feed.respond = { body: JSON.stringify({ ads: [row('a', 'us', 'eng')] }, null, 2) };
  t.equal((await s.job.run()).outcome, 'unchanged', 'formatting alone is not a change');

  s.feed.respond = { body: feedOf('a', 'b') };
  const second = await s.job.run();
  t.equal(second.outcome, 'published');
  t.not(second.version, first.version);
  t.same(await s.store.list('ads'), [first.version, second.version]);
  t.match(await s.metric('syncer_feed_syncs_total'), 'syncer_feed_syncs_total{outcome="published"} 2\n');
  t.match(await s.metric('syncer_feed_syncs_total'), 'syncer_feed_syncs_total{outcome="unchanged"} 2\n');
});

t.test('every failure keeps the last good snapshot published', async (t) => {
  const s = await setup(t);
  const good = (await s.job.run()).version;
  const failures: [string, object, string][] = [
    ['HTTP 500', { status: 500, body: 'oops' }, 'fetch_failed'],
    ['invalid JSON', { body: '{"ads": [' }, 'feed_rejected'],
    ['every row invalid', { body: feedOf(row('x', 'usa', 'eng'), row('y', 'us', 'eng', 25)) }, 'feed_rejected'],
    ['too large', { body: feedOf(...Array.from({ length: 100 }, (_, i) => `big-${i}`)) }, 'fetch_failed'],
    ['hangs', { hang: true }, 'fetch_failed'],
  ];
  for (const [name, respond, outcome] of failures) {
    s.feed.respond = respond;
    t.same(await s.job.run(), { outcome, version: good }, name);
    t.equal(await s.store.latest('ads'), good, `${name}: pointer unchanged`);
  }
  t.equal((await s.store.list('ads')).length, 1, 'nothing half-published');
  t.ok(s.logs.some((l) => l.msg === 'campaign sync failed; last good snapshot stays published' && l.outcome === 'feed_rejected'));
});

t.test('a store that cannot be read: the failure names the version that stays published, not null', async (t) => {
  const s = await setup(t);
  const good = (await s.job.run()).version!;
  // The copy engines read meanwhile (Redis, in production), holding the same pointer.
  const copyDir = scratchDir(t);
  const copy = new FsSnapshotStore(copyDir);
  await copy.put('ads', good, await s.store.get('ads', good));
  await copy.setLatest('ads', good);
  // The folder turns into a file: every read fails (ENOTDIR), the way S3 does when it is down.
  await rm(join(s.dir, 'snapshots'), { recursive: true });
  await writeFile(join(s.dir, 'snapshots'), '');
  const failed = () => s.logs.filter((l) => l.msg === 'campaign sync failed; last good snapshot stays published').at(-1);

  t.same(await s.job.run(), { outcome: 'publish_failed', version: good }, 'the job remembers what it published');
  t.match(failed(), { outcome: 'publish_failed', kept: good });
  t.same(await s.newJob(copy).run(), { outcome: 'publish_failed', version: good }, 'a fresh job asks the copy engines read');
  t.match(failed(), { kept: good });
  t.same(await s.newJob().run(), { outcome: 'publish_failed', version: null }, 'nothing to ask and nothing seen: unknown');
});

t.test('dropped rows are logged with id and reason, and counted', async (t) => {
  const s = await setup(t);
  s.feed.respond = { body: feedOf('ok', row('bad-lang', 'us', 'english'), 'ok') };
  t.equal((await s.job.run()).outcome, 'published');
  const dropped = s.logs.filter((l) => l.msg === 'feed row dropped');
  t.same(dropped.map((l) => [l.row, l.id, l.reason]), [[1, 'bad-lang', 'bad_lang'], [0, 'ok', 'duplicate_id']]);
  const text = await s.metric('feed_rows_rejected_total');
  t.match(text, 'feed_rows_rejected_total{reason="bad_lang"} 1\n');
  t.match(text, 'feed_rows_rejected_total{reason="duplicate_id"} 1\n');
  t.match(await s.metric('feed_rows_accepted'), 'feed_rows_accepted 1\n');
});

t.test('304 Not Modified is a success that publishes nothing', async (t) => {
  const s = await setup(t);
  s.feed.respond = { body: feedOf('a'), headers: { etag: '"1"' } };
  const first = await s.job.run();
  s.feed.respond = { status: 304 };
  t.same(await s.job.run(), { outcome: 'not_modified', version: first.version });
  t.equal(s.feed.requests.at(-1)?.['if-none-match'], '"1"');
});
