// A production stack of real processes for tests: redis-server and s3rver on free ports, a local feed
// server, syncer and engine processes started from source with the environment production uses.

import type { Test } from 'tap';
import { httpClient, type TestClient } from './http.js';
import { startFeedServer, type FeedServer } from './feed-server.js';
import { startRedis, type TestRedis } from './redis.js';
import { S3_CREDENTIALS, startS3, type TestS3 } from './s3.js';
import { startProcess, type RunningProcess } from './spawn.js';
import { GAME_KEY } from './test-engine.js';

export const BUCKET = 'arcade-snapshots';

export interface Stack {
  redis: TestRedis;
  s3: TestS3;
  feed: FeedServer;
  http: TestClient;
  env: Record<string, string>;
}

export async function startStack(t: Test, firstFeed: string): Promise<Stack> {
  const redis = await startRedis(t);
  const s3 = await startS3(t, [BUCKET]);
  const feed = await startFeedServer(t, { body: firstFeed });
  const env = {
    REDIS_URL: redis.url,
    // The tests' Redis keeps nothing on disk (startRedis): say so, or the default (aof) refuses writes.
    EVENT_LOG_DURABILITY: 'memory',
    S3_BUCKET: BUCKET,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    FEED_URL: feed.url,
    INTERNAL_PORT: '0',
    HOST: '127.0.0.1',
  };
  return { redis, s3, feed, http: httpClient(t), env };
}

export interface Syncer {
  proc: RunningProcess;
  internal: string;
}

/** A syncer pulling every second, with a short leader lock so takeovers fit in a test. */
export async function startSyncer(t: Test, stack: Stack, extra: Record<string, string> = {}): Promise<Syncer> {
  const proc = startProcess(t, 'syncer/main.ts', { ...stack.env, SYNC_SCHEDULE: '* * * * * *', LEADER_LOCK_TTL_MS: '1500', ...extra });
  const [, port] = await proc.waitFor(/"msg":"syncer running".*?"internal_port":(\d+)/);
  return { proc, internal: `http://127.0.0.1:${port}` };
}

export interface EngineProc {
  proc: RunningProcess;
  base: string;
  internal: string;
}

export async function startEngineProc(t: Test, stack: Stack, extra: Record<string, string> = {}): Promise<EngineProc> {
  const proc = startProcess(t, 'engine/main.ts', {
    ...stack.env,
    PORT: '0',
    ENGINE_WORKERS: '1',
    API_KEYS: `game:${GAME_KEY}`,
    SNAPSHOT_POLL_MS: '500',
    // Request loops here measure swaps, not limits (test/e2e/rate-limit.test.ts covers those).
    RATE_LIMIT_PER_SECOND: '0',
    ...extra,
  });
  const [, port, internal] = await proc.waitFor(/"msg":"engine listening".*?"port":(\d+).*?"internal_port":(\d+)/);
  return { proc, base: `http://127.0.0.1:${port}`, internal: `http://127.0.0.1:${internal}` };
}

/** The ad id an engine serves to us/eng now, or the status when it is not a 200. */
export async function adId(http: TestClient, e: EngineProc): Promise<string> {
  const r = await http.get(`${e.base}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY });
  return r.status === 200 ? (r.body as { id: string }).id : `HTTP ${r.status}`;
}
