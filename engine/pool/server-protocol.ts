// Messages between the engine's main process and its server processes (process-pool.ts ↔
// server-process.ts), sent over the IPC channel with structured-clone serialization. An error travels
// as its code and message (errorToWire) and is rebuilt as its class on arrival (errorFromWire).

import type { MetricSnapshot } from '../metrics/hot-metrics.js';
import type { InstalledIndex, LoadedStream, ServerOptions } from '../server/public-server.js';
import type { EncodedEvent, LoggedEvent } from '../../core/domain/stream/event.js';
import type { WireError } from '../../core/errors.js';

export type MainToServer =
  | { type: 'start'; options: ServerOptions }
  /**
   * A piece of the snapshot for install call `id`: `size` bytes in all, this one at `offset`. The
   * server installs once it has them all (process-pool.ts says why in pieces).
   */
  | { type: 'install_part'; id: number; size: number; offset: number; bytes: Uint8Array }
  | { type: 'collect'; id: number }
  | { type: 'drain'; id: number }
  | { type: 'load_stream'; id: number; bytes: Uint8Array }
  | { type: 'events'; events: readonly LoggedEvent[] }
  | { type: 'events_caught_up'; id: number }
  | { type: 'appended'; id: number; eventIds: string[] }
  /** Another server's writes, durable: reads here see them until the fold does (OwnWrites). */
  | { type: 'written'; eventIds: string[]; events: readonly EncodedEvent[] }
  | ({ type: 'append_failed'; id: number } & WireError)
  | { type: 'exit' };

export type ServerToMain =
  | { type: 'listening'; port: number }
  | { type: 'done'; id: number }
  | { type: 'installed'; id: number; index: InstalledIndex }
  | { type: 'stream_loaded'; id: number; loaded: LoadedStream }
  | { type: 'collected'; id: number; metrics: MetricSnapshot[] }
  | ({ type: 'failed'; id: number } & WireError)
  /** A batch of this server's writes (its group commit): the main process appends it to the event log. */
  | { type: 'append'; id: number; events: readonly EncodedEvent[] };
