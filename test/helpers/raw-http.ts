// Raw HTTP/1.1 over a TCP socket, for requests an HTTP client refuses to send (raw non-ASCII bytes,
// 10 kB request lines). One request per connection (Connection: close); resolves with status and body.

import { connect } from 'node:net';

export interface RawReply {
  status: number;
  body: string;
}

export function rawGet(port: number, target: Buffer | string, headers: Record<string, string> = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    const head = Object.entries({ host: 'localhost', connection: 'close', ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.end(Buffer.concat([Buffer.from('GET '), Buffer.from(target as string, 'latin1'), Buffer.from(` HTTP/1.1\r\n${head}\r\n`)]));
  });
}
