// Process entry of the syncer daemon (`npm run syncer`) and its one command
// (`npm run syncer -- rollback <version>`). Exit codes: 0 done or clean shutdown, 78 bad
// configuration, 1 anything else (an unknown rollback version included).

import { loadConfig } from '../core/runtime/config.js';
import { createLogger } from '../core/runtime/logger.js';
import { runProcess } from '../core/runtime/process.js';
import { startSyncerDaemon } from './daemon.js';
import { rollback } from './rollback.js';

const [command, ...args] = process.argv.slice(2);

if (command === 'rollback') {
  if (args.length !== 1) {
    process.stderr.write('usage: npm run syncer -- rollback <version>\n');
    process.exit(64);
  }
  // runProcess for its error handling (one line per config problem, exit 78; other errors exit 1).
  runProcess('syncer rollback', async ({ useLogger }) => {
    const config = loadConfig(process.env, 'syncer');
    const log = createLogger(config.logLevel, { service: 'syncer', command: 'rollback' });
    useLogger(log);
    await rollback(config, log, args[0]!);
    process.exit(0);
  });
} else if (command !== undefined) {
  process.stderr.write(`unknown command '${command}'; usage: npm run syncer [-- rollback <version>]\n`);
  process.exit(64);
} else {
  runProcess('syncer', async ({ useLogger, onShutdown }) => {
    const config = loadConfig(process.env, 'syncer');
    const log = createLogger(config.logLevel, { service: 'syncer' });
    useLogger(log);
    for (const w of config.warnings) log.warn(w);
    const daemon = await startSyncerDaemon(config, log);
    onShutdown(async () => {
      log.info('shutting down: releasing the leader lock');
      await daemon.stop();
    }, config.shutdownTimeoutMs);
  });
}
