// Builds an AdIndex from snapshot bytes on a worker thread, so the server keeps answering while a
// new snapshot is decoded and compiled (100k ads: ~0.3 s of CPU, which on the serving thread was a
// 0.3-0.5 s stall per swap: bench/swap.ts). The worker sends the index's flat arrays back
// (transferred, no copy) and the index wraps them as they are (AdIndexParts).
// One long-lived worker per server. It holds the process open only while a build is pending
// (ref while busy, unref when idle: a merely unref'd worker with a 'message' listener kept Node 20
// from exiting after its second message). Builds run one at a time (the snapshot follower
// serialises installs). A worker that dies is replaced.

import { Worker } from 'node:worker_threads';
import { IndexBuilderExitedError, errorFromWire, type WireError } from '../../core/errors.js';
import type { AdIndexParts } from './ad-index.js';
import { AdIndex } from './ad-index.js';
import type { PlanParts } from './plan.js';

export type BuildRequest =
  | { type: 'build'; id: number; bytes: Uint8Array; asOf: number }
  | { type: 'plan'; id: number; version: string; asOf: number };

export type BuildReply =
  | { id: number; ok: true; parts: AdIndexParts; createdAt: string }
  | { id: number; ok: true; plan: PlanParts }
  | { id: number; ok: false; error: WireError };

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCE ? './index-builder-worker.ts' : './index-builder-worker.js', import.meta.url);

export interface BuiltIndex {
  index: AdIndex;
  createdAtMs: number;
}

export class IndexBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: BuildReply & { ok: true }) => void; reject: (e: Error) => void }>();

  /**
   * Decodes and compiles; rejects with the decoder's error (a SnapshotCorruptError) on bad bytes.
   * With `handOver` the caller gives the bytes up: when they fill an ArrayBuffer of their own, it
   * moves to the builder thread (detached here) instead of being copied by postMessage on this
   * thread, a 1–10 ms stop per 100k-ad snapshot (13 MB; bench/swap.ts). Bytes that are a view
   * into a bigger buffer (an IPC message's, a socket's) are copied: that memory is not ours to move.
   */
  async build(bytes: Uint8Array, { handOver = false, asOf }: { handOver?: boolean; asOf: number }): Promise<BuiltIndex> {
    const buffer = bytes.buffer;
    const movable = handOver && buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength;
    const reply = await this.send((id) => ({ type: 'build', id, bytes, asOf }), movable ? [buffer] : []);
    if (!('parts' in reply)) throw new Error('index builder answered a build with plans');
    return { index: AdIndex.fromParts(reply.parts), createdAtMs: Date.parse(reply.createdAt) };
  }

  /**
   * The plans of the stretch of time containing `asOf` for the index last built (when its plans
   * end: the builder keeps what they are compiled from). Rejects when that index is not the last.
   */
  async plan(version: string, asOf: number): Promise<PlanParts> {
    const reply = await this.send((id) => ({ type: 'plan', id, version, asOf }), []);
    if (!('plan' in reply)) throw new Error('index builder answered a plan with an index');
    return reply.plan;
  }

  private send(request: (id: number) => BuildRequest, transfer: ArrayBuffer[]): Promise<BuildReply & { ok: true }> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      try {
        worker.postMessage(request(id), transfer);
      } catch (err) {
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(err as Error);
      }
    });
  }

  private start(): Worker {
    // From source (tests, under tsx) the thread must register tsx itself before loading a .ts entry:
    // Node 20 resolves a worker's entry before any --import in its execArgv would apply.
    const worker = FROM_SOURCE
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY.href)}); })`, { eval: true })
      : new Worker(ENTRY);
    worker.on('message', (m: BuildReply) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m);
      else p.reject(errorFromWire(m.error));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new IndexBuilderExitedError(`index builder thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
