// The syncer's stream jobs (compaction, the blacklist feed) on a folder store and a given event log,
// as embedded mode runs them beside an engine, and a way to fill the log with reports.

import { systemClock } from '../../core/runtime/clock.js';
import { loadConfig } from '../../core/runtime/config.js';
import { playerReported } from '../../core/domain/stream/events.js';
import type { EventLog } from '../../core/store/event-log.js';
import { FsSnapshotStore } from '../../core/store/fs-snapshot-store.js';
import { soleLeader } from '../../syncer/leader/leader-lock.js';
import { SyncerMetrics } from '../../syncer/metrics.js';
import { createStreamJobs } from '../../syncer/stream/stream-jobs.js';
import { quietLogger } from './logger.js';

/** Stream jobs of a sole-leader syncer on `dir`; retention 0 unless env says otherwise. */
export function streamJobs(dir: string, events: EventLog, env: Record<string, string> = {}) {
  const metrics = new SyncerMetrics();
  const config = loadConfig({ DATA_DIR: dir, EVENT_RETENTION_SECONDS: '0', ...env }, 'embedded');
  const store = new FsSnapshotStore(dir);
  return { metrics, store, ...createStreamJobs({ config, events, store, notifier: null, leadership: soleLeader, metrics, log: quietLogger(), clock: systemClock }) };
}

/** n reports for game 1 over 37 players (p0…p36@example.com), two reasons; `from` shifts the players. */
export async function reportMany(events: EventLog, n: number, from = 0): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      events.append(playerReported({ game_id: 1, email: `p${(from + i) % 37}@example.com`, reason: i % 3 ? 'cheating' : 'spam', reported_at: Date.now() })),
    ),
  );
}
