// Entry of one engine server process (ENGINE_WORKERS > 1): a PublicServer driven by the main process
// over IPC. It never reads the environment or the store; everything arrives in messages. It exits
// when told to, or when the main process goes away (IPC disconnect), never on its own signals: the
// main process owns the shutdown sequence.

import { systemClock } from './core/clock.js';
import { PublicServer } from './server.js';
import type { MainToServer, ServerToMain } from './server-protocol.js';

let server: PublicServer | null = null;
const post = (m: ServerToMain): void => void process.send?.(m);

// The orchestrator signals the whole process group; the main process decides when we stop.
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

process.on('message', async (m: MainToServer) => {
  try {
    switch (m.type) {
      case 'start':
        server = new PublicServer(m.options, systemClock);
        return post({ type: 'listening', port: await server.listen() });
      case 'install':
        return post({ type: 'installed', id: m.id, index: await running().install(m.bytes) });
      case 'collect':
        return post({ type: 'collected', id: m.id, metrics: (await running().registry.getMetricsAsJSON()) as never });
      case 'drain':
        running().drain();
        return post({ type: 'done', id: m.id });
      case 'exit':
        return process.exit(0);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    post({ type: 'failed', id: 'id' in m ? m.id : 0, code: e.code ?? 'ERROR', message: e.message });
  }
});

function running(): PublicServer {
  if (server === null) throw new Error('server process got a message before start');
  return server;
}
