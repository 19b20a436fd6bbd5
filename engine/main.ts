// Process entry of a standalone engine: config, stores, start, and SIGTERM → drain → exit 0.
// Embedded mode (syncer and engine in one process, what `npm start` runs) is embedded/main.ts.
// Exit codes: 0 clean shutdown, 78 bad configuration (EX_CONFIG), 1 anything else.

import { loadConfig } from '../core/runtime/config.js';
import { createLogger } from '../core/runtime/logger.js';
import { runProcess } from '../core/runtime/process.js';
import { startEngine } from './engine.js';
import { FsSnapshotStore } from '../core/store/fs-snapshot-store.js';
import { openProductionStores } from '../core/runtime/production-stores.js';
import { ReadThroughStore } from '../core/store/read-through-store.js';
import type { SnapshotStore } from '../core/store/snapshot-store.js';
import type { EventLog } from '../core/store/event-log.js';
import { FileEventLog } from '../core/store/file-event-log.js';
import { openRedis } from '../core/store/redis-connection.js';
import { RedisEventLog } from '../core/store/redis-event-log.js';
import { join } from 'node:path';

/** How long start-up waits for Redis before going on with S3 alone. */
const REDIS_WAIT_MS = 3_000;

runProcess('engine', async ({ useLogger, onShutdown }) => {
  const config = loadConfig(process.env, 'engine');
  const log = createLogger(config.logLevel, { service: 'engine' });
  useLogger(log);
  for (const w of config.warnings) log.warn(w);
  // Production: Redis first, S3 when Redis has nothing or is down, notifications over Redis.
  // Otherwise the folder under DATA_DIR that an embedded syncer (or a copy) writes.
  const production = config.mode === 'production' ? openProductionStores(config, 'engine', { subscribe: true }) : null;
  let store: SnapshotStore = new FsSnapshotStore(config.dataDir);
  if (production !== null) {
    if (!(await production.redisReady(REDIS_WAIT_MS))) log.warn('Redis not reachable at start-up; reading snapshots from S3 until it is');
    const { redis, s3 } = production;
    store = redis !== null && s3 !== null ? new ReadThroughStore(redis, s3) : (redis ?? s3)!;
  }
  // The write path: the Redis stream in production (none without Redis: writes answer 503), the
  // event file under DATA_DIR otherwise.
  let events: EventLog | null = null;
  if (production === null) events = await FileEventLog.open(join(config.dataDir, 'events'));
  else if (production.redisConnection !== null) events = new RedisEventLog(production.redisConnection, openRedis(config.redisUrl!, 'engine-events'), undefined, config.durability);
  else log.warn('no REDIS_URL: no event log, so POST /games and POST /blacklist answer 503');
  const engine = await startEngine({ config, store, notifier: production?.notifier ?? null, events, log, onFatal: () => process.exit(1) });
  onShutdown(async () => {
    log.info('SIGTERM: draining', { timeout_ms: config.shutdownTimeoutMs });
    await engine.shutdown(config.shutdownTimeoutMs);
    await events?.close();
    production?.close();
    log.info('drained; exiting');
  }, config.shutdownTimeoutMs);
});
