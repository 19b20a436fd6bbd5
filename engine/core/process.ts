// The shared skeleton of a process entry: run start-up, print config errors as one line each and
// exit 78, turn SIGTERM/SIGINT into one orderly shutdown bounded in time, exit 0 when done.

import { ArcadeError, ConfigError } from './errors.js';
import type { Logger } from './logger.js';

export interface ProcessHooks {
  /** Registers the shutdown routine; signals run it once. */
  onShutdown(fn: () => Promise<void>): void;
}

/** Extra time beyond a shutdown routine's own bound before the process is forced out. */
const HARD_EXIT_MS = 30_000;

export function runProcess(name: string, start: (hooks: ProcessHooks) => Promise<Logger>): void {
  let shutdown: (() => Promise<void>) | null = null;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      process.stderr.write(`${name}: shutdown did not finish in time after ${signal}; forcing exit\n`);
      process.exit(1);
    }, HARD_EXIT_MS).unref();
    (shutdown ?? (async () => {}))().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`${name}: shutdown failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  start({ onShutdown: (fn) => (shutdown = fn) }).then(
    (log) => {
      process.on('uncaughtException', (err) => {
        log.error('uncaught exception; exiting', { err });
        process.exit(1);
      });
    },
    (err: Error) => {
      if (err instanceof ConfigError) {
        for (const p of err.problems) process.stderr.write(`${name}: config: ${p}\n`);
        process.exit(78);
      }
      // Our typed errors are expected failures with a message written for operators: no stack.
      const text = err instanceof ArcadeError ? `${err.code}: ${err.message}` : (err.stack ?? err.message);
      process.stderr.write(`${name}: failed: ${text}\n`);
      process.exit(1);
    },
  );
}
