// The options of a bare server pool in tests that start one directly (no engine around it):
// loopback, a free port, no keys, small limits.

import { DEFAULT_BATCH_LIMITS } from '../../core/store/group-commit.js';
import type { ServerOptions } from '../../engine/server/public-server.js';

export const testServerOptions: ServerOptions = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  apiKeys: [],
  playerMemoryMax: 100,
  playerMemoryTtlMs: 60_000,
  maxBodyBytes: 1024,
  rateLimitPerSecond: 0,
  rateLimitBurst: 0,
  voteReceipts: 10,
  writeBatch: DEFAULT_BATCH_LIMITS,
});
