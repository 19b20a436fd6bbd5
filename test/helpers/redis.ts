// A real redis-server for tests: started on a free loopback port with persistence off, stopped at
// teardown. stop()/start() let a test take Redis down and bring it back on the same port.
// .ci/run installs redis-server on machines that lack it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { freePort } from '../../bench/lib/free-port.js';
import { openRedis, redisReady } from '../../core/store/redis-connection.js';

export interface TestRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/**
 * `replicaOf`: the port of a primary on this machine to replicate. `dir`: where Redis writes any
 * file (a replica's copy of the primary, an AOF a test turns on); by default a temporary folder
 * removed at teardown, never the working directory.
 */
export async function startRedis(t: { teardown(fn: () => unknown): void }, o: { replicaOf?: number; dir?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'arcade-edge-test-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    const extra = o.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(o.replicaOf)];
    extra.push('--dir', dir);
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      c.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      c.once('error', reject);
      c.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${out}`)));
    });
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    await new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill('SIGKILL');
    });
  };
  await start();
  t.teardown(stop);
  if (o.dir === undefined) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}

/** A client of ours (openRedis: its retry settings and error listener), ready, disconnected at teardown. */
export async function connectRedis(t: { teardown(fn: () => unknown): void }, url: string, name = 'test'): Promise<Redis> {
  const redis = openRedis(url, name);
  t.teardown(() => redis.disconnect());
  if (!(await redisReady(redis, 5_000))) throw new Error(`redis at ${url} not ready`);
  return redis;
}
