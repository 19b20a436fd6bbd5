// Entry of one engine server process (ENGINE_WORKERS > 1): a PublicServer driven by the main process
// over IPC. It never reads the environment or the store; everything arrives in messages. It exits
// when told to, or when the main process goes away (IPC disconnect), never on its own signals: the
// main process owns the shutdown sequence.

import { ServerProcessNotStartedError, errorFromWire, errorToWire } from '../../core/errors.js';
import { systemClock } from '../../core/runtime/clock.js';
import { createLogger } from '../../core/runtime/logger.js';
import { logProcessWarnings } from '../../core/runtime/process.js';
import { PublicServer } from '../server/public-server.js';
import type { MainToServer, ServerToMain } from './server-protocol.js';
import type { BatchSink } from '../../core/store/event-log.js';
import { GroupCommit } from '../../core/store/group-commit.js';
import type { EncodedEvent } from '../../core/domain/stream/event.js';

let server: PublicServer | null = null;
/** Snapshots arriving in pieces (install_part), by install call id: one buffer of our own, filled in place. */
const installing = new Map<number, { bytes: Uint8Array; received: number }>();
const post = (m: ServerToMain): void => void process.send?.(m);

/**
 * Writes go to the main process, which owns the event log: each turn's writes as one message (group
 * commit, set up at start with the engine's limits); the reply carries their ids.
 */
const appends = new Map<number, { resolve: (ids: string[]) => void; reject: (e: Error) => void }>();
let nextAppend = 1;
const toMain: BatchSink = {
  appendBatch: (events: readonly EncodedEvent[]) =>
    new Promise((resolve, reject) => {
      const id = nextAppend++;
      appends.set(id, { resolve, reject });
      post({ type: 'append', id, events });
    }),
};

// Warnings as JSON lines like the main process's (threshold warn: this process reads no LOG_LEVEL).
const log = createLogger('warn', { service: 'engine', component: 'server' });
logProcessWarnings(() => log);

// The orchestrator signals the whole process group; the main process decides when we stop.
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

process.on('message', async (m: MainToServer) => {
  try {
    switch (m.type) {
      case 'start':
        server = new PublicServer(m.options, systemClock, new GroupCommit(toMain, m.options.writeBatch));
        return post({ type: 'listening', port: await server.listen() });
      case 'install_part': {
        let snapshot = installing.get(m.id);
        if (snapshot === undefined) installing.set(m.id, (snapshot = { bytes: new Uint8Array(m.size), received: 0 }));
        // Copied out of the IPC message's buffer into ours: whole, it can move to the builder thread.
        snapshot.bytes.set(m.bytes, m.offset);
        snapshot.received += m.bytes.byteLength;
        if (snapshot.received < m.size) return;
        installing.delete(m.id);
        return post({ type: 'installed', id: m.id, index: await running().install(snapshot.bytes) });
      }
      case 'collect':
        return post({ type: 'collected', id: m.id, metrics: (await running().registry.getMetricsAsJSON()) as never });
      case 'load_stream':
        return post({ type: 'stream_loaded', id: m.id, loaded: running().loadStream(m.bytes) });
      case 'events':
        return running().applyEvents(m.events);
      case 'events_caught_up':
        running().stream.markCaughtUp();
        return post({ type: 'done', id: m.id });
      case 'appended':
      case 'append_failed': {
        const pending = appends.get(m.id);
        appends.delete(m.id);
        if (m.type === 'appended') pending?.resolve(m.eventIds);
        else pending?.reject(errorFromWire(m));
        return;
      }
      case 'written':
        return running().recordWritten(m.eventIds, m.events);
      case 'drain':
        running().drain();
        return post({ type: 'done', id: m.id });
      case 'exit':
        return process.exit(0);
    }
  } catch (err) {
    post({ type: 'failed', id: 'id' in m ? m.id : 0, ...errorToWire(err) });
  }
});

function running(): PublicServer {
  if (server === null) throw new ServerProcessNotStartedError('server process got a message before start');
  return server;
}
