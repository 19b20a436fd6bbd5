// A real S3-compatible server for tests: s3rver on a free loopback port, storing in a scratch
// folder of the test, with the buckets asked for. Stopped at teardown (tap removes the folder after). s3rver accepts
// any credentials whose key id is S3RVER; requests are path-style, as S3_FORCE_PATH_STYLE makes them.

import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { Test } from 'tap';
import { scratchDir } from './scratch-dir.js';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  /** The folder s3rver keeps its objects in (a test may read what is stored). */
  dir: string;
  client(): S3Client;
  /** Takes the server down (connections refused) ... */
  stop(): Promise<void>;
  /** ... and brings it back on the same port with the same objects. */
  start(): Promise<void>;
}

export async function startS3(t: Test, buckets: string[]): Promise<TestS3> {
  const dir = scratchDir(t);
  const make = (port: number) =>
    new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
  let server = make(0);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    for (const c of clients) c.destroy();
    // An outage drops open connections too: close() alone waits for keep-alive sockets, which a
    // syncer pulling every second never leaves idle, so it would not return while one runs.
    const closed = server.close();
    server.httpServer.closeAllConnections();
    await closed;
  };
  const start = async () => {
    if (running) return;
    server = make(port);
    await server.run();
    running = true;
  };
  t.teardown(stop);
  return {
    endpoint,
    dir,
    client() {
      const c = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS });
      clients.push(c);
      return c;
    },
    stop,
    start,
  };
}
