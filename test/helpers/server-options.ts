// The options of a bare server pool in tests that start one directly (no engine around it):
// loopback, a free port, no keys, small limits.

import { DEFAULT_BATCH_LIMITS } from '../../core/store/group-commit.js';
import type { ServerOptions } from '../../engine/server/public-server.js';
import { DEV_BEACON_KEY } from '../../core/runtime/config.js';

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
  beaconKeys: [Buffer.from(DEV_BEACON_KEY)],
  beaconTtlSec: 86_400,
  publicBaseUrl: null,
  decisionFlushMs: 1000,
  viewFlushMs: 50,
  corsOrigins: [],
});
