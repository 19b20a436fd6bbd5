// Embedded mode, what `npm start` runs: the syncer and the engine in one process, sharing a folder
// snapshot store (DATA_DIR) and an in-process notifier instead of S3 and Redis (docs/architecture.md
// "Two programs and embedded mode"). This is the only module that imports both syncer/ and engine/.

import cron from 'node-cron';
import { systemClock } from '../core/runtime/clock.js';
import { loadConfig, localOrigin, type Config } from '../core/runtime/config.js';
import { createLogger, redactUrls } from '../core/runtime/logger.js';
import { runProcess } from '../core/runtime/process.js';
import { startEngine } from '../engine/engine.js';
import { FsSnapshotStore } from '../core/store/fs-snapshot-store.js';
import { FileEventLog } from '../core/store/file-event-log.js';
import { join } from 'node:path';
import { InProcessNotifier } from '../core/store/notifier.js';
import { FeedClient } from '../syncer/feed/feed-client.js';
import { SyncCampaigns } from '../syncer/jobs/sync-campaigns.js';
import { SyncerMetrics, type SyncOutcome } from '../syncer/metrics.js';
import { createStreamJobs } from '../syncer/stream/stream-jobs.js';
import { soleLeader } from '../syncer/leader/leader-lock.js';
import { FileVoteCounter } from '../syncer/votes/file-vote-counter.js';
import { VOTES_GROUP, VoteProcessor } from '../syncer/votes/vote-processor.js';

runProcess('arcade-edge', async ({ useLogger, onShutdown }) => {
  const config = loadConfig(process.env, 'embedded');
  const log = createLogger(config.logLevel, { service: 'arcade-edge', mode: 'embedded' });
  useLogger(log);
  for (const w of config.warnings) log.warn(w);
  if (config.devKeys) log.warn('API_KEYS unset: using the DEV-ONLY keys dev-admin-key and dev-game-key');
  if (config.devBeaconKey) log.warn('BEACON_KEYS unset: tracking URLs are signed with the DEV-ONLY beacon key, which anyone can read in this repository');

  const store = new FsSnapshotStore(config.dataDir);
  const notifier = new InProcessNotifier();
  const syncerMetrics = new SyncerMetrics();
  const feed = new FeedClient(config.feedUrl, { timeoutMs: config.feedTimeoutMs, maxBytes: config.feedMaxBytes });
  const sync = new SyncCampaigns({ feed, store, notifier, metrics: syncerMetrics, log: log.child({ job: 'sync-campaigns' }), clock: systemClock });

  // Publish before the engine starts, so it is ready on its first look at the store and boots
  // its stream state from a fresh snapshot. The syncer's jobs and the engine share one event log.
  const firstSync = await sync.run();
  const events = await FileEventLog.open(join(config.dataDir, 'events'));
  const streamJobs = createStreamJobs({ config, events, store, notifier, leadership: soleLeader, metrics: syncerMetrics, log, clock: systemClock });
  await streamJobs.runFeeds();
  await streamJobs.compact.run();
  const votes = new VoteProcessor({
    events,
    counter: new FileVoteCounter(events, VOTES_GROUP),
    metrics: syncerMetrics,
    log: log.child({ component: 'vote-processor' }),
    clock: systemClock,
    claimIdleMs: config.voteClaimIdleMs,
  });
  await votes.start();
  const engine = await startEngine({
    config,
    store,
    notifier,
    events,
    log: log.child({ component: 'engine' }),
    extraRegistries: [syncerMetrics.registry],
    onFatal: () => process.exit(1),
  });
  const task = cron.schedule(
    config.syncSchedule,
    async () => {
      await sync.run();
      await streamJobs.runFeeds();
    },
    { noOverlap: true },
  );
  const compactTask = cron.schedule(config.compactSchedule, () => void streamJobs.compact.run(), { noOverlap: true });

  const url = localOrigin(config.host, engine.port);
  const internalUrl = localOrigin(config.host, engine.internalPort);
  const notReady = engine.follower.version === null ? whyNoIndex(firstSync.outcome) : null;
  log.info(notReady === null ? 'embedded mode serving' : 'embedded mode listening, not ready', {
    url,
    internal_url: internalUrl,
    feed: config.feedUrl,
    data_dir: config.dataDir,
    dev_keys: config.devKeys,
    version: engine.follower.version,
    ...(notReady === null ? {} : { not_ready: notReady }),
  });
  printBanner(config, url, internalUrl, notReady, firstSync.outcome);
  onShutdown(async () => {
    log.info('shutting down: draining', { timeout_ms: config.shutdownTimeoutMs });
    await task.stop();
    await compactTask.stop();
    await engine.shutdown(config.shutdownTimeoutMs);
    await votes.stop();
    await events.close();
    await feed.close();
    await streamJobs.close();
    log.info('drained; exiting');
  }, config.shutdownTimeoutMs);
});

/**
 * The human welcome for `npm start`, on stderr: stdout carries only JSON log lines, so a log
 * pipeline never meets this text, while a person at the terminal sees both.
 */
function printBanner(config: Config, base: string, internal: string, notReady: string | null, firstSync: SyncOutcome): void {
  const lines = [
    '',
    notReady === null ? `arcade-edge (embedded mode) serving ${base}` : `arcade-edge (embedded mode) listening on ${base}, not ready: ${notReady}`,
    `  feed:     ${redactUrls(config.feedUrl)}${feedNote(firstSync, notReady === null)}`,
    `  data:     ${config.dataDir}`,
    `  metrics:  ${internal}/metrics   health: /healthz   ready: /readyz`,
  ];
  if (config.devKeys) {
    lines.push(
      '',
      '  !!! DEV-ONLY API KEYS (API_KEYS is unset) — never use these outside your machine !!!',
      '      game scope:  dev-game-key',
      '      admin scope: dev-admin-key',
      `      so both listeners are on loopback only (${config.host}, ${config.internalHost}): set API_KEYS (and HOST) to serve other machines`,
      '',
      `  try:  curl -s '${base}/ad_request?country=us&lang=eng' -H 'x-api-key: dev-game-key'`,
    );
  } else {
    lines.push('', `  try:  curl -s '${base}/ad_request?country=us&lang=eng' -H 'x-api-key: <your game key>'`);
  }
  process.stderr.write(lines.join('\n') + '\n\n');
}

/** Why no ad index is loaded after the first pull, for the banner and the start-up line. */
function whyNoIndex(outcome: SyncOutcome): string {
  switch (outcome) {
    case 'fetch_failed':
      return 'the campaign feed could not be fetched (the error line on stdout says why); the next pull is on SYNC_SCHEDULE';
    case 'feed_rejected':
      return 'the campaign feed has no valid row (the error line on stdout says why); the next pull is on SYNC_SCHEDULE';
    default:
      return `no ad index loaded (first pull: ${outcome}); the next pull is on SYNC_SCHEDULE`;
  }
}

/** After the feed line: a first pull that failed while an older snapshot serves says so. */
function feedNote(outcome: SyncOutcome, serving: boolean): string {
  if (!serving || (outcome !== 'fetch_failed' && outcome !== 'feed_rejected' && outcome !== 'publish_failed')) return '';
  return `   (first pull: ${outcome}; serving the last good snapshot in the data folder)`;
}
