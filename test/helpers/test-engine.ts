// Starts a real engine in the test process: real uWS sockets on port 0, a folder snapshot store in a
// scratch folder of the test, and the same startEngine() that main.ts uses. Snapshots are published the way
// the syncer publishes them (compile → put → setLatest → notify).

import { join } from 'node:path';
import type { Test } from 'tap';
import type { Clock } from '../../core/runtime/clock.js';
import { systemClock } from '../../core/runtime/clock.js';
import { loadConfig } from '../../core/runtime/config.js';
import { validateFeed } from '../../core/domain/ads/feed.js';
import { startEngine, type Engine } from '../../engine/engine.js';
import { FsSnapshotStore } from '../../core/store/fs-snapshot-store.js';
import { FileEventLog } from '../../core/store/file-event-log.js';
import type { EventLog } from '../../core/store/event-log.js';
import { InProcessNotifier } from '../../core/store/notifier.js';
import { compileAdsSnapshot } from '../../syncer/compile/ads-snapshot.js';
import { publishSnapshot } from '../../syncer/publish/publish-snapshot.js';
import type { FeedRow } from './feed-rows.js';
import { capturingLogger } from './logger.js';
import { scratchDir } from './scratch-dir.js';
import { TEST_BEACON_KEY } from './spawn.js';

export const GAME_KEY = 'test-game-key';
export const ADMIN_KEY = 'test-admin-key';

export interface TestEngine {
  url: string;
  internalUrl: string;
  engine: Engine;
  store: FsSnapshotStore;
  notifier: InProcessNotifier;
  /** The engine's event log (a syncer job in the test may share it, as embedded mode does). */
  events: FileEventLog;
  dir: string;
  /** JSON log lines the engine wrote. */
  logs: Record<string, unknown>[];
  /** Shuts the engine down (teardown does it too); the folder stays. */
  stop(): Promise<void>;
  /** Publishes a snapshot of these rows and waits until the engine has swapped to it. */
  publish(rows: FeedRow[]): Promise<string>;
}

export interface TestEngineOptions {
  ads?: FeedRow[];
  clock?: Clock;
  workers?: number;
  env?: Record<string, string>;
  /** Reuse this folder (snapshots and event log) instead of a fresh one (a restart). */
  dir?: string;
  /** What the engine sees of its event log (a fault injector around the real one). */
  wrapEvents?: (log: FileEventLog) => EventLog;
}

let versionClock = Date.UTC(2030, 0, 1);

export async function startTestEngine(
  t: Test,
  o: TestEngineOptions = {},
): Promise<TestEngine> {
  const dir = o.dir ?? scratchDir(t);
  const store = new FsSnapshotStore(dir);
  const notifier = new InProcessNotifier();
  const publishOnly = async (rows: FeedRow[]): Promise<string> => {
    const { ads } = validateFeed({ ads: rows });
    // Each publish gets a later version, whatever the test's clock says.
    const compiled = compileAdsSnapshot(ads, (versionClock += 1000));
    await publishSnapshot(store, notifier, 'ads', compiled.snapshot.version, compiled.bytes);
    return compiled.snapshot.version;
  };
  if (o.ads !== undefined) await publishOnly(o.ads);

  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    INTERNAL_PORT: '0',
    ENGINE_WORKERS: String(o.workers ?? 1),
    DATA_DIR: dir,
    API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}`,
    BEACON_KEYS: TEST_BEACON_KEY,
    SNAPSHOT_POLL_MS: '50',
    ...o.env,
  }, 'engine');
  const { log, logs } = capturingLogger('debug');
  const events = await FileEventLog.open(join(dir, 'events'));
  const engine = await startEngine({ config, store, notifier, events: o.wrapEvents?.(events) ?? events, log, clock: o.clock ?? systemClock });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await engine.shutdown(0);
    await events.close();
  };
  t.teardown(stop);
  return {
    url: `http://127.0.0.1:${engine.port}`,
    internalUrl: `http://127.0.0.1:${engine.internalPort}`,
    engine,
    store,
    notifier,
    events,
    dir,
    logs,
    stop,
    async publish(rows) {
      const version = await publishOnly(rows);
      await engine.follower.check();
      return version;
    },
  };
}
