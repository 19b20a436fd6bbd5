// The shared skeleton of a process entry: run start-up, print config errors as one line each and
// exit 78, log process warnings as JSON lines, turn SIGTERM/SIGINT into one orderly shutdown
// bounded in time, exit 0 when done.

import { ArcadeError, ConfigError } from '../errors.js';
import { createLogger, redactUrls, type Logger } from './logger.js';

export interface ProcessHooks {
  /** Hands over the process's logger (LOG_LEVEL, bindings) as soon as start-up has one. */
  useLogger(log: Logger): void;
  /** Registers the shutdown routine and the time it promises to finish in; signals run it once. */
  onShutdown(fn: () => Promise<void>, boundMs: number): void;
}

/** Extra time beyond a shutdown routine's own bound before the process is forced out. */
const HARD_EXIT_MARGIN_MS = 20_000;

export function runProcess(name: string, start: (hooks: ProcessHooks) => Promise<void>): void {
  let shutdown: (() => Promise<void>) | null = null;
  let shutdownBoundMs = 0;
  let stopping = false;
  // Until start-up hands over its own logger (useLogger: LOG_LEVEL and bindings), errors still log
  // as JSON, warnings included.
  let log: Logger = createLogger('warn', { service: name });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      log.error('shutdown did not finish in time; forcing exit', { signal, exit_code: 1 });
      process.exit(1);
    }, shutdownBoundMs + HARD_EXIT_MARGIN_MS).unref();
    (shutdown ?? (async () => {}))().then(
      () => process.exit(0),
      (err: Error) => {
        log.error('shutdown failed; exiting', { signal, err, exit_code: 1 });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  logProcessWarnings(() => log);

  start({
    useLogger: (started) => {
      log = started;
    },
    onShutdown: (fn, boundMs) => {
      shutdown = fn;
      shutdownBoundMs = boundMs;
    },
  }).then(
    () => {
      process.on('uncaughtException', (err) => {
        // A bug, not an operator's problem: keep the stack, which error fields otherwise leave out.
        log.error('uncaught exception; exiting', { err, stack: err.stack });
        process.exit(1);
      });
    },
    (err: Error) => {
      // Start-up failed before (or while) the process had a logger of its own: say it twice, as
      // one JSON line on stdout for the log pipeline and as plain lines on stderr for the person
      // at the terminal. Errors pass every LOG_LEVEL, and LOG_LEVEL itself may be what is wrong.
      if (err instanceof ConfigError) {
        log.error('config invalid; not starting', { problems: err.problems, exit_code: 78 });
        for (const p of err.problems) process.stderr.write(`${name}: config: ${redactUrls(p)}\n`);
        process.exit(78);
      }
      log.error('start-up failed; exiting', { err, exit_code: 1 });
      // Our typed errors are expected failures with a message written for operators: no stack.
      const text = err instanceof ArcadeError ? `${err.code}: ${err.message}` : (err.stack ?? err.message);
      process.stderr.write(`${name}: failed: ${text}\n`);
      process.exit(1);
    },
  );
}

/**
 * Node prints a warning (a deprecation, the AWS SDK's notice that it is dropping this Node version)
 * as several plain lines on stderr, through a 'warning' listener of its own. Replaced by one warn
 * line on the current logger, so stdout stays JSON lines and stderr keeps only what README "Logs"
 * puts there. Entries get it from runProcess; engine server processes call it themselves.
 */
export function logProcessWarnings(current: () => Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => current().warn('process warning', { warning }));
}
