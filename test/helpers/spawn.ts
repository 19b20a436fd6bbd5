// Runs one of our entry points as a real process (from source, through tsx), capturing its output,
// and kills it at teardown if the test did not stop it. Also fails loudly on uWS's uncorked-write
// warning, which would mean a response was written outside cork after an await.

import { spawn, type ChildProcess } from 'node:child_process';
import { packagePath } from '../../core/runtime/package-root.js';

export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of re on stdout (or stderr), or rejects when the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const UNCORKED = /uncorked|cork/i;

/** Embedded mode's start-up log line; group 1 is the public URL. (The human banner is on stderr.) */
export const EMBEDDED_SERVING = /"msg":"embedded mode serving".*?"url":"(http:\/\/127\.0\.0\.1:\d+)"/;

/** The beacon key test engines sign with (test/helpers/spawn.ts and test-engine.ts give it to every engine). */
export const TEST_BEACON_KEY = 'test-beacon-key-0123456789abcdef0123456789';

export function startProcess(
  t: { teardown(fn: () => unknown): void; fail(msg: string): void },
  entry: string,
  env: Record<string, string>,
): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', packagePath(entry)], {
    // Engines outside embedded mode refuse to start without beacon keys: every test process gets one.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', BEACON_KEYS: TEST_BEACON_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (UNCORKED.test(err)) t.fail(`uWS warned about an uncorked write:\n${err}`);
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 30_000, stream = 'stdout') {
      const source = child[stream]!;
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (stream === 'stdout' ? out : err).match(re);
          if (m !== null) {
            cleanup();
            resolve(m);
          }
        };
        const onExit = () => {
          cleanup();
          reject(new Error(`process exited before printing ${re} on ${stream}\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${re} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          source.off('data', check);
          child.off('exit', onExit);
        };
        source.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}
