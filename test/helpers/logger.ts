// Loggers for code under test: one that writes nothing, and one that keeps every line parsed.

import { createLogger, type Logger, type LogLevel } from '../../core/runtime/logger.js';

/** Errors only, written nowhere: for code that needs a logger the test does not read. */
export const quietLogger = (): Logger => createLogger('error', {}, () => {});

/** A logger at `level` whose JSON lines are kept, parsed, in `logs`. */
export function capturingLogger(level: LogLevel = 'debug'): { log: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  return { log: createLogger(level, {}, (line) => logs.push(JSON.parse(line) as Record<string, unknown>)), logs };
}
