// One engine per public port. uWS binds with SO_REUSEPORT so that the engine's own server processes
// share the port, and the kernel would let a second engine join the same way, silently splitting
// traffic between two engines that may hold different data. So before any server binds, the engine
// claims the port:
// - a lock only one process per machine (network namespace) can hold: a Linux abstract Unix socket
//   named after the port, released by the kernel when the process dies, however it dies. Whoever
//   meets the lock taken asks it for the holder's pid, to name it in the error;
// - then a probe: an exclusive bind of the address itself, which fails while anything else (another
//   program, an older build) listens there.
// The lock is held until release(); the probe is closed at once so that the servers can bind.

import { createConnection, createServer, type Server } from 'node:net';
import { PortUnavailableError } from '../errors.js';

export interface PortClaim {
  release(): void;
}

const lockName = (port: number): string => `\0arcade-edge:port:${port}`;

/** Claims `port` for this process, or rejects with PortUnavailableError naming who has it. */
export async function claimPort(name: string, host: string, port: number): Promise<PortClaim> {
  const lock = process.platform === 'linux' ? await takeLock(name, port) : null;
  try {
    await probe(name, host, port);
  } catch (err) {
    lock?.close();
    throw err;
  }
  return { release: () => lock?.close() };
}

function takeLock(name: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const lock = createServer((socket) => socket.end(`${process.pid}\n`));
    lock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      void holderPid(port).then((pid) =>
        reject(
          new PortUnavailableError(
            `${name} ${port} is already served by another arcade-edge engine${pid === null ? '' : ` (pid ${pid})`}: ` +
              'two engines on one port would split its traffic between two datasets; stop that one or choose another port',
          ),
        ),
      );
    });
    lock.listen({ path: lockName(port) }, () => {
      lock.unref(); // the lock must not keep the process alive on its own
      resolve(lock);
    });
  });
}

/** Asks the lock's holder for its pid; null if it does not answer in time. */
function holderPid(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection({ path: lockName(port) });
    const done = (pid: number | null) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1_000, () => done(null));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => done(/^\d+\n$/.test(text) ? Number(text) : null));
    socket.on('error', () => done(null));
  });
}

function probe(name: string, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new PortUnavailableError(`${name} ${port} on ${host} is in use by another program`)
          : new PortUnavailableError(`${name} ${port} on ${host} cannot be bound: ${err.message}`, { cause: err }),
      ),
    );
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
