// A real redis-server for a bench: a free loopback port, pinned to one CPU with taskset (which execs,
// so the pid is redis-server's own and /proc/<pid>/stat is its CPU time, every thread included),
// persistence chosen by the caller, its files in a temporary folder. Killed on exit like the bench's
// other children. Mirrors test/helpers/redis.ts, which benches cannot import (tests are not built).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** `none`: no RDB, no AOF (acknowledged = in Redis's memory). `aof-*`: appendonly yes with that appendfsync. */
export type RedisPersistence = 'none' | 'aof-everysec' | 'aof-always';

export interface BenchRedis {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly persistence: RedisPersistence;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let hooked = false;

/** `replicaOf`: the port of a primary on this machine that this server replicates. */
export async function startRedisServer(o: { cpu: number; persistence: RedisPersistence; replicaOf?: number }): Promise<BenchRedis> {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'arcade-edge-bench-redis-'));
  const persistence = o.persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', o.persistence.slice('aof-'.length)];
  if (o.replicaOf !== undefined) persistence.push('--replicaof', '127.0.0.1', String(o.replicaOf));
  const child = spawn(
    'taskset',
    ['-c', String(o.cpu), 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, ...persistence],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${out}`)));
  });
  const stop = async () => {
    running.delete(child);
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { pid: child.pid!, port, url: `redis://127.0.0.1:${port}`, persistence: o.persistence, stop };
}
