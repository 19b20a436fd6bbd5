// A real local HTTP feed server for syncer tests: the test sets what it answers (status, body,
// headers, gzip, a hang) between pulls, and reads what it was asked (conditional headers).

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { gzipSync, brotliCompressSync } from 'node:zlib';

export interface FeedResponse {
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  encoding?: 'gzip' | 'br';
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
}

export interface FeedServer {
  url: string;
  /** What requests get once `next` is empty. */
  respond: FeedResponse;
  /** Answers for the next requests, one each, in order (retries, flaky feeds). */
  next: FeedResponse[];
  /** Headers of every request so far. */
  requests: IncomingHttpHeaders[];
  /** When each request arrived (Date.now(), the server's clock), in the order of `requests`. */
  arrivals: number[];
}

export async function startFeedServer(t: { teardown(fn: () => unknown): void }, respond: FeedResponse = {}): Promise<FeedServer> {
  const hanging: ServerResponse[] = [];
  const state: FeedServer = { url: '', respond, next: [], requests: [], arrivals: [] };
  const server = createServer((req, res) => {
    state.arrivals.push(Date.now());
    state.requests.push(req.headers);
    const r = state.next.shift() ?? state.respond;
    if (r.hang) {
      hanging.push(res);
      return;
    }
    let body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
    const headers: Record<string, string> = { 'content-type': 'application/json', ...r.headers };
    if (r.encoding === 'gzip') body = gzipSync(body);
    if (r.encoding === 'br') body = brotliCompressSync(body);
    if (r.encoding !== undefined) headers['content-encoding'] = r.encoding;
    res.writeHead(r.status ?? 200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/feed.json`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return state;
}
