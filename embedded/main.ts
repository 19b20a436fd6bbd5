// Embedded mode, what `npm start` runs: the syncer and the engine in one process, sharing a folder
// snapshot store (DATA_DIR) and an in-process notifier instead of S3 and Redis (DESIGN.md
// "Embedded mode"). This is the only module that imports both syncer/ and engine/.

import cron from 'node-cron';
import { systemClock } from '../engine/core/clock.js';
import { loadConfig, type Config } from '../engine/core/config.js';
import { createLogger, redactUrls } from '../engine/core/logger.js';
import { runProcess } from '../engine/core/process.js';
import { startEngine } from '../engine/engine.js';
import { FsSnapshotStore } from '../engine/store/fs-snapshot-store.js';
import { FileEventLog } from '../engine/store/file-event-log.js';
import { join } from 'node:path';
import { InProcessNotifier } from '../engine/store/notifier.js';
import { FeedClient } from '../syncer/feed/feed-client.js';
import { SyncCampaigns } from '../syncer/jobs/sync-campaigns.js';
import { SyncerMetrics } from '../syncer/metrics.js';
import { createStreamJobs } from '../syncer/stream/stream-jobs.js';
import { soleLeader } from '../syncer/leader/leader-lock.js';
import { FileVoteCounter } from '../syncer/votes/file-vote-counter.js';
import { VOTES_GROUP, VoteProcessor } from '../syncer/votes/vote-processor.js';

runProcess('arcade-edge', async ({ useLogger, onShutdown }) => {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { service: 'arcade-edge', mode: 'embedded' });
  useLogger(log);
  if (config.mode !== 'embedded') {
    throw new Error('REDIS_URL or S3_BUCKET is set: run the engine and the syncer as separate processes');
  }
  for (const w of config.warnings) log.warn(w);
  if (config.devKeys) log.warn('API_KEYS unset: using the DEV-ONLY keys dev-admin-key and dev-game-key');

  const store = new FsSnapshotStore(config.dataDir);
  const notifier = new InProcessNotifier();
  const syncerMetrics = new SyncerMetrics();
  const feed = new FeedClient(config.feedUrl, { timeoutMs: config.feedTimeoutMs, maxBytes: config.feedMaxBytes });
  const sync = new SyncCampaigns({ feed, store, notifier, metrics: syncerMetrics, log: log.child({ job: 'sync-campaigns' }), clock: systemClock });

  // Publish before the engine starts, so it is ready on its first look at the store and boots
  // its stream state from a fresh snapshot. The syncer's jobs and the engine share one event log.
  await sync.run();
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

  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${engine.port}`;
  log.info('embedded mode serving', { url, internal_url: `http://${host}:${engine.internalPort}`, feed: config.feedUrl, data_dir: config.dataDir, dev_keys: config.devKeys });
  printBanner(config, url, `http://${host}:${engine.internalPort}`);
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
function printBanner(config: Config, base: string, internal: string): void {
  const lines = [
    '',
    `arcade-edge (embedded mode) serving ${base}`,
    `  feed:     ${redactUrls(config.feedUrl)}`,
    `  data:     ${config.dataDir}`,
    `  metrics:  ${internal}/metrics   health: /healthz   ready: /readyz`,
  ];
  if (config.devKeys) {
    lines.push(
      '',
      '  !!! DEV-ONLY API KEYS (API_KEYS is unset) — never use these outside your machine !!!',
      '      game scope:  dev-game-key',
      '      admin scope: dev-admin-key',
      '',
      `  try:  curl -s '${base}/ad_request?country=us&lang=eng' -H 'x-api-key: dev-game-key'`,
    );
  } else {
    lines.push('', `  try:  curl -s '${base}/ad_request?country=us&lang=eng' -H 'x-api-key: <your game key>'`);
  }
  process.stderr.write(lines.join('\n') + '\n\n');
}
