// Process entry of a standalone engine: config, stores, start, and SIGTERM → drain → exit 0.
// Embedded mode (syncer and engine in one process, what `npm start` runs) is embedded/main.ts.
// Exit codes: 0 clean shutdown, 78 bad configuration (EX_CONFIG), 1 anything else.

import { loadConfig } from './core/config.js';
import { createLogger } from './core/logger.js';
import { runProcess } from './core/process.js';
import { startEngine } from './engine.js';
import { FsSnapshotStore } from './store/fs-snapshot-store.js';

runProcess('engine', async ({ onShutdown }) => {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { service: 'engine' });
  for (const w of config.warnings) log.warn(w);
  if (config.mode === 'production') {
    // Production stores (S3, Redis) arrive with issue 3; until then refuse rather than pretend.
    throw new Error('REDIS_URL / S3_BUCKET are not supported by this build yet; unset them to read DATA_DIR');
  }
  const store = new FsSnapshotStore(config.dataDir);
  const engine = await startEngine({ config, store, notifier: null, log, onFatal: () => process.exit(1) });
  onShutdown(async () => {
    log.info('SIGTERM: draining', { timeout_ms: config.shutdownTimeoutMs });
    await engine.shutdown(config.shutdownTimeoutMs);
    log.info('drained; exiting');
  });
  return log;
});
