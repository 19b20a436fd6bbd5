// The engine's public servers as one unit, whatever the layout: ENGINE_WORKERS=1 runs one PublicServer
// in this process (LocalPool); more run one per child process sharing the port through SO_REUSEPORT
// (ProcessPool, process-pool.ts). The main process always keeps the internal app.
import type { MetricSnapshot } from '../metrics/hot-metrics.js';
import { PublicServer, type InstalledIndex, type LoadedStream, type ServerOptions } from '../server/public-server.js';
import type { Clock } from '../../core/runtime/clock.js';
import type { GroupCommit } from '../../core/store/group-commit.js';
import type { LoggedEvent } from '../../core/domain/stream/event.js';

export interface ServerPool {
  /** The bound public port. */
  readonly port: number;
  readonly size: number;
  /** The processes that serve the public port (logged at start-up, so an operator can tell them apart). */
  readonly pids: number[];
  /**
   * Installs a snapshot on every server; resolves once all have swapped, rejects if any refused it.
   * Takes the bytes (PublicServer.install may move them to its builder thread): do not use them afterwards.
   */
  install(bytes: Uint8Array): Promise<InstalledIndex>;
  /** Loads a stream snapshot on every server (at boot, before any event); rejects if any refused it. */
  loadStream(bytes: Uint8Array): Promise<LoadedStream>;
  /** Hands events from the stream, in order, to every server's fold. */
  applyEvents(events: readonly LoggedEvent[]): void;
  /** The event log has been read to its end once: the routes on it may answer. Resolves once
   * every server knows (after the events sent before it: message order is kept). */
  eventsCaughtUp(): Promise<void>;
  /** Each server's request metrics, for the main process to merge into /metrics. */
  collect(): Promise<MetricSnapshot[][]>;
  /**
   * Resolves once every server's index has plans for its clock's now: for tests that move a manual
   * clock in process. Server processes run on the system clock, whose plans are compiled ahead.
   */
  planned(): Promise<void>;
  /** Stop accepting; answer what is in flight with Connection: close. */
  drain(): Promise<void>;
  /** Stop the servers. The pool is unusable afterwards. */
  close(): Promise<void>;
}

export class LocalPool implements ServerPool {
  readonly size = 1;
  readonly pids = [process.pid];
  private constructor(private readonly server: PublicServer) {}

  static async start(opts: ServerOptions, clock: Clock, events: GroupCommit | null): Promise<LocalPool> {
    const server = new PublicServer(opts, clock, events);
    await server.listen();
    return new LocalPool(server);
  }

  get port(): number {
    return this.server.port;
  }

  async install(bytes: Uint8Array): Promise<InstalledIndex> {
    return await this.server.install(bytes);
  }

  async loadStream(bytes: Uint8Array): Promise<LoadedStream> {
    return this.server.loadStream(bytes);
  }

  applyEvents(events: readonly LoggedEvent[]): void {
    this.server.applyEvents(events);
  }

  async eventsCaughtUp(): Promise<void> {
    this.server.stream.markCaughtUp();
  }

  planned(): Promise<void> {
    return this.server.planned();
  }

  async collect(): Promise<MetricSnapshot[][]> {
    return [(await this.server.registry.getMetricsAsJSON()) as unknown as MetricSnapshot[]];
  }

  async drain(): Promise<void> {
    this.server.drain();
  }

  async close(): Promise<void> {
    this.server.drain();
  }
}
