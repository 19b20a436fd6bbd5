// Multi-core (docs/architecture.md "Processes"): ENGINE_WORKERS child processes, each a uWS app listening on
// the same port; Linux's SO_REUSEPORT spreads connections between them.
//
// Why processes and not worker threads: a Node worker thread that stops while uWS still holds a
// socket in its loop trips Node's uv_loop_close() assertion and aborts the WHOLE process — on every
// shutdown with an idle keep-alive client, and on any worker crash (measured with this uWS build).
// A process exits cleanly in that state, and a crash takes one server, not the host.
// Children do not read the store: the main process fetches each snapshot once and sends the bytes;
// every child compiles its own index (memory = children × index size). Children bind a fixed port:
// with port 0 the kernel gives each its own, so the pool picks a free port first (tests).

import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { NoEventLogError, ServerProcessExitedError, errorFromWire, errorToWire } from '../../core/errors.js';
import type { MetricSnapshot } from '../metrics/hot-metrics.js';
import type { ServerPool } from './server-pool.js';
import type { InstalledIndex, LoadedStream, ServerOptions } from '../server/public-server.js';
import type { MainToServer, ServerToMain } from './server-protocol.js';
import type { BatchSink } from '../../core/store/event-log.js';
import type { EncodedEvent, LoggedEvent } from '../../core/domain/stream/event.js';
import { OwnWrites } from '../indexes/own-writes.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCE ? './server-process.ts' : './server-process.js', import.meta.url);
const EXIT_GRACE_MS = 5_000;
/**
 * Snapshot bytes travel to a server in messages of at most this size. A child reads an IPC message
 * whole on its serving thread (Node concatenates the socket reads, then deserializes): one 13 MB
 * message for a 100k-ad snapshot stopped it for 10–20 ms, one piece of 1 MiB costs well under a
 * millisecond, and requests are answered between pieces (bench/swap.ts).
 */
const INSTALL_PART_BYTES = 1 << 20;

export class ProcessPool implements ServerPool {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closing = false;

  private constructor(
    private readonly children: ChildProcess[],
    readonly port: number,
    onCrash: (err: Error) => void,
    /** The main process's group commit: a batch from each server that sent one this turn, one commit. */
    private readonly events: BatchSink | null,
  ) {
    for (const child of children) {
      child.on('message', (m: ServerToMain) => (m.type === 'append' ? this.append(child, m.id, m) : this.onMessage(m)));
      // A child dying outside shutdown is a bug or an OOM: fail loudly rather than serve on fewer cores.
      child.on('exit', (code, signal) => {
        if (!this.closing) onCrash(new ServerProcessExitedError(`engine server process ${child.pid} exited (code ${code}, signal ${signal})`));
      });
    }
  }

  get size(): number {
    return this.children.length;
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!);
  }

  static async start(count: number, opts: ServerOptions, onCrash: (err: Error) => void, events: BatchSink | null): Promise<ProcessPool> {
    const port = opts.port === 0 ? await freePort(opts.host) : opts.port;
    const started = await Promise.allSettled(Array.from({ length: count }, () => spawn({ ...opts, port })));
    const children = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      for (const c of children) c.kill('SIGKILL');
      throw failed.reason as Error;
    }
    return new ProcessPool(children, port, onCrash, events);
  }

  async install(bytes: Uint8Array): Promise<InstalledIndex> {
    const results = await Promise.all(this.children.map((c) => this.call(c, (id) => installParts(id, bytes))));
    return results[0] as InstalledIndex;
  }

  async loadStream(bytes: Uint8Array): Promise<LoadedStream> {
    const results = await Promise.all(this.children.map((c) => this.call(c, (id) => ({ type: 'load_stream', id, bytes }))));
    return results[0] as LoadedStream;
  }

  applyEvents(events: readonly LoggedEvent[]): void {
    // Fire and forget, in order: IPC keeps per-child message order.
    for (const c of this.children) sendSafely(c, { type: 'events', events });
  }

  async eventsCaughtUp(): Promise<void> {
    await Promise.all(this.children.map((c) => this.call(c, (id) => ({ type: 'events_caught_up', id }))));
  }

  /**
   * A child's batch of writes: append it here, where the event log lives, and answer with the ids.
   * The other servers hear of the writes too, so a read on any of them right after sees them.
   */
  private append(child: ChildProcess, id: number, m: Extract<ServerToMain, { type: 'append' }>): void {
    if (this.events === null) {
      sendSafely(child, { type: 'append_failed', id, ...errorToWire(new NoEventLogError('no event log')) });
      return;
    }
    this.events.appendBatch(m.events).then(
      (eventIds) => {
        // Only what the others' reads show before the fold (votes, reports): not beacons or counts.
        const shown = writtenShown(eventIds, m.events);
        if (shown !== null) for (const other of this.children) if (other !== child) sendSafely(other, { type: 'written', ...shown });
        sendSafely(child, { type: 'appended', id, eventIds });
      },
      (err: unknown) => sendSafely(child, { type: 'append_failed', id, ...errorToWire(err) }),
    );
  }

  /** Server processes keep the system clock: their next plans are compiled ahead of time. */
  async planned(): Promise<void> {}

  async collect(): Promise<MetricSnapshot[][]> {
    return Promise.all(this.children.map((c) => this.call(c, (id) => ({ type: 'collect', id })) as Promise<MetricSnapshot[]>));
  }

  async drain(): Promise<void> {
    await Promise.all(this.children.map((c) => this.call(c, (id) => ({ type: 'drain', id }))));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.children.map((c) => stop(c)));
  }

  /** Sends the message (or messages, in order) for call `id` and resolves with the server's answer to it. */
  private call(child: ChildProcess, make: (id: number) => MainToServer | MainToServer[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const made = make(id);
      for (const m of Array.isArray(made) ? made : [made]) {
        child.send(m, (err) => {
          if (err === null || !this.pending.has(id)) return;
          this.pending.delete(id);
          reject(err);
        });
      }
    });
  }

  private onMessage(m: ServerToMain): void {
    if (m.type === 'listening' || m.type === 'append') return;
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.type === 'failed') p.reject(errorFromWire(m));
    else p.resolve(m.type === 'collected' ? m.metrics : m.type === 'installed' ? m.index : m.type === 'stream_loaded' ? m.loaded : undefined);
  }
}

/** The batch's events other servers keep as OwnWrites, with their ids; null when there are none. */
function writtenShown(eventIds: string[], events: readonly EncodedEvent[]): { eventIds: string[]; events: EncodedEvent[] } | null {
  const shown: { eventIds: string[]; events: EncodedEvent[] } = { eventIds: [], events: [] };
  for (let i = 0; i < events.length; i++) {
    if (!OwnWrites.tracks(events[i]!.type)) continue;
    shown.eventIds.push(eventIds[i]!);
    shown.events.push(events[i]!);
  }
  return shown.events.length === 0 ? null : shown;
}

/** The snapshot as install_part messages (at least one, so an empty snapshot still gets an answer). */
function installParts(id: number, bytes: Uint8Array): MainToServer[] {
  const size = bytes.byteLength;
  const parts: MainToServer[] = [];
  for (let offset = 0; offset < size || parts.length === 0; offset += INSTALL_PART_BYTES) {
    parts.push({ type: 'install_part', id, size, offset, bytes: bytes.subarray(offset, Math.min(size, offset + INSTALL_PART_BYTES)) });
  }
  return parts;
}

function spawn(opts: ServerOptions): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(ENTRY, [], {
      // Structured clone over IPC: snapshot bytes travel as a Buffer, not as JSON text.
      serialization: 'advanced',
      execArgv: FROM_SOURCE ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const onExit = (code: number | null) => reject(new ServerProcessExitedError(`engine server process exited with code ${code} before listening`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', function listening(m: ServerToMain) {
      if (m.type === 'failed' && m.id === 0) reject(errorFromWire(m));
      if (m.type !== 'listening') return;
      child.off('message', listening);
      child.off('exit', onExit);
      child.off('error', reject);
      resolve(child);
    });
    child.send({ type: 'start', options: opts } satisfies MainToServer);
  });
}

/** A child that is gone (crash, shutdown) must not turn a send into an unhandled 'error' event. */
function sendSafely(child: ChildProcess, m: MainToServer): void {
  if (child.connected) child.send(m, () => {});
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.send({ type: 'exit' } satisfies MainToServer, () => {});
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
