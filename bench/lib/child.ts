// Bench child processes: spawned pinned to a CPU with taskset, waited for until ready, and always
// killed on exit (normal end, error or Ctrl-C), so a bench never leaves servers behind.

import { spawn, type ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

export interface BenchChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `node <args>` on one CPU; resolves once `ready` (polled) says so. */
export async function startPinned(
  name: string,
  cpu: number,
  args: string[],
  env: Record<string, string>,
  ready: (output: string) => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<BenchChild> {
  const proc = spawn('taskset', ['-c', String(cpu), process.execPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let output = '';
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + timeoutMs;
  while (!(await ready(output))) {
    if (proc.exitCode !== null) throw new Error(`${name} exited with code ${proc.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${name} not ready within ${timeoutMs} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // taskset execs node, so the pid is the server's own.
  return { proc, pid: proc.pid!, output: () => output, stop: () => stop(proc) };
}

async function stop(proc: ChildProcess): Promise<void> {
  children.delete(proc);
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export function killAllOnExit(): void {
  const killAll = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** GET on loopback that resolves true on the expected status, false on anything else. */
export async function answers(url: string, status = 200): Promise<boolean> {
  try {
    const r = await fetch(url);
    await r.arrayBuffer();
    return r.status === status;
  } catch {
    return false;
  }
}
