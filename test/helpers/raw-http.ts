// Raw HTTP over a TCP socket, for requests an HTTP client refuses to send (raw non-ASCII bytes,
// 10 kB request lines, HTTP/1.0, header names with `_`, control bytes, unknown methods). The bytes
// go out as given and the socket is never half-closed, so a reply only ends when the SERVER closes
// the connection: a request the server leaves hanging fails on the 5 s guard instead of passing.

import { connect } from 'node:net';

export interface RawReply {
  /** Status of the first answer, 0 when there was none. */
  status: number;
  /** Header lines of the first answer, names lower-cased. */
  headers: Record<string, string>;
  /** The first answer's head as sent: its status line and header lines, in order. */
  lines: string[];
  /** Everything after the first answer's head (with pipelined requests, the later answers too). */
  body: string;
  /** Status of every answer on the connection, in order. */
  statuses: number[];
}

/** Sends `request` as is and resolves once the server has closed the connection. */
export function rawRequest(port: number, request: Buffer | string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => socket.destroy(new Error('the server neither answered nor closed the connection')));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (hadError) return;
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end === -1 ? text : text.slice(0, end);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        headers,
        lines: head.split('\r\n'),
        body: end === -1 ? '' : text.slice(end + 4),
        statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])),
      });
    });
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

/** One GET with these headers (plus Host and Connection: close), answered and closed by the server. */
export function rawGet(port: number, target: Buffer | string, headers: Record<string, string> = {}): Promise<RawReply> {
  const head = Object.entries({ host: 'localhost', connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return rawRequest(port, Buffer.concat([Buffer.from('GET '), Buffer.from(target as string, 'latin1'), Buffer.from(` HTTP/1.1\r\n${head}\r\n`)]));
}
