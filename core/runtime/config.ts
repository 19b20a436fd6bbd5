// Every setting the engine and the syncer read, from the environment, validated once at start-up.
// Problems are collected, not thrown one by one: a bad deployment learns everything that is wrong in
// one go, one line per variable naming the value received (docs/conventions.md "Config"). No
// process.env outside this file.

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import cron from 'node-cron';
import { ConfigError } from '../errors.js';
import { parseApiKeys, type ApiKey } from '../domain/api-keys.js';
import { logLevels, type LogLevel } from './logger.js';
import { packagePath } from './package-root.js';
import { DEFAULT_VOTE_RECEIPTS } from '../domain/stream/vote-receipts.js';
import { parseBeaconKeys } from '../domain/beacons/token.js';
import { DEFAULT_BATCH_LIMITS, type BatchLimits } from '../store/group-commit.js';
import { DEFAULT_DURABILITY, durabilityModes, type Durability } from '../store/redis-event-log.js';

export type Mode = 'embedded' | 'production';

export interface Config {
  readonly mode: Mode;
  readonly host: string;
  readonly port: number;
  readonly internalHost: string;
  /** Engine's internal port (/metrics, /healthz, /readyz). */
  readonly internalPort: number;
  readonly apiKeys: readonly ApiKey[];
  /** True when API_KEYS was unset and the embedded dev keys are in use. */
  readonly devKeys: boolean;
  readonly feedUrl: string;
  /** Optional blacklist feed the syncer merges into the event stream. */
  readonly blacklistFeedUrl: string | null;
  /** Optional topics feed the syncer merges into the event stream. */
  readonly topicsFeedUrl: string | null;
  readonly syncSchedule: string;
  /** Syncer: when the blacklist is compacted into a snapshot and the stream trimmed behind it. */
  readonly compactSchedule: string;
  /** Syncer: events younger than this stay in the stream even when a snapshot covers them. */
  readonly eventRetentionMs: number;
  readonly feedTimeoutMs: number;
  readonly feedMaxBytes: number;
  readonly redisUrl: string | null;
  readonly s3: { bucket: string; endpoint: string | null; region: string; forcePathStyle: boolean } | null;
  readonly dataDir: string;
  readonly engineWorkers: number;
  readonly logLevel: LogLevel;
  readonly playerMemoryMax: number;
  readonly playerMemoryTtlMs: number;
  readonly snapshotPollMs: number;
  readonly shutdownTimeoutMs: number;
  /** Per-key request rate (token bucket refill per second, per server process); 0 = no limit. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /** Cap on a JSON request body, bytes (413 above it). */
  readonly maxBodyBytes: number;
  /** Syncer: how long the leader lock lives without a renewal (the standby's takeover bound). */
  readonly leaderLockTtlMs: number;
  /** Vote receipts kept per process for GET /votes/{id} (the newest ones). */
  readonly voteReceipts: number;
  /** Syncer: a vote handed to a vote processor that has not counted it for this long is claimed by another. */
  readonly voteClaimIdleMs: number;
  /** Engine: how writes are grouped into one commit of the event log (docs/architecture.md "Group commit"). */
  readonly writeBatch: BatchLimits;
  /** What an acknowledged write must have survived on Redis (README "Durability"). */
  readonly durability: Durability;
  /** Engine: the secrets beacon tokens are signed with (the first) and verified with (all). */
  readonly beaconKeys: readonly Uint8Array[];
  /** True when BEACON_KEYS was unset and the embedded dev key is in use. */
  readonly devBeaconKey: boolean;
  /** Engine: how long a beacon token is valid after its decision. */
  readonly beaconTtlSec: number;
  /**
   * Engine: the origin players reach this engine at, which tracking URLs start with; null: the
   * engine's own host and port (only right on one machine).
   */
  readonly publicBaseUrl: string | null;
  /** Engine: how often a server sends the decisions it served to the stream (the reports' "decisions"). */
  readonly decisionFlushMs: number;
  readonly viewFlushMs: number;
  /**
   * Engine: the origins whose pages may call the public API from a browser (README "Browser games
   * (CORS)"): exact, lower-case `scheme://host[:port]`, or the one entry `*` for any; empty = CORS off.
   */
  readonly corsOrigins: readonly string[];
  /** Config problems that do not stop start-up (settings with no effect in this mode). */
  readonly warnings: readonly string[];
}

export const DEV_API_KEYS = 'admin:dev-admin-key,game:dev-game-key';
/** Public, like the dev API keys: embedded mode only. */
export const DEV_BEACON_KEY = 'dev-beacon-key-public-do-not-use-in-production';
const LOOPBACK = '127.0.0.1';

/**
 * The http origin at which a process on this machine reaches a server bound to `host`:`port`: a
 * wildcard address is reached on loopback, an IPv6 address in brackets.
 */
export function localOrigin(host: string, port: number): string {
  const reached = host === '0.0.0.0' || host === '::' ? LOOPBACK : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${reached}:${port}`;
}

/** 127.0.0.0/8, ::1 or localhost: addresses no other machine can reach. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
/** FEED_TIMEOUT_MS and FEED_MAX_BYTES when unset (also what the feed linter reads feeds with). */
export const DEFAULT_FEED_TIMEOUT_MS = 30_000;
export const DEFAULT_FEED_MAX_BYTES = 256 << 20;

export const sampleFeedUrl = (): string => pathToFileURL(packagePath('syncer/sample/campaign-feed.json')).href;

/** CORS_ORIGINS's entry for any origin. */
export const ANY_ORIGIN = '*';
/** A serialised origin, lower-case: scheme, host (DNS name, IPv4 or [IPv6]), optional port (m[1] scheme, m[2] port). */
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::([1-9]\d{0,4}))?$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Which program reads the config: defaults and requirements differ. Only `embedded` (what
 * `npm start` runs on a developer's machine) may fall back to the public dev keys, and then only
 * on loopback: a standalone engine without API_KEYS does not start, whatever its stores.
 */
export type Service = 'engine' | 'syncer' | 'embedded';

export function loadConfig(env: Env, service: Service): Config {
  const errs: string[] = [];
  const warnings: string[] = [];
  const v = new EnvReader(env, errs);

  const redisUrl = v.url('REDIS_URL', ['redis:', 'rediss:']);
  const s3Bucket = v.str('S3_BUCKET');
  const mode: Mode = redisUrl !== null || s3Bucket !== null ? 'production' : 'embedded';

  if (service === 'syncer' && mode !== 'production') {
    errs.push('REDIS_URL or S3_BUCKET is required: the syncer publishes to Redis and S3 (npm start, the embedded mode, runs a syncer in-process with neither)');
  }
  if (service === 'embedded' && mode !== 'embedded') {
    errs.push('REDIS_URL and S3_BUCKET are for the standalone engine and syncer: embedded mode (npm start) keeps everything under DATA_DIR; unset them, or run the two programs apart');
  }

  const rawKeys = v.str('API_KEYS');
  let apiKeys: ApiKey[] = [];
  let devKeys = false;
  if (rawKeys === null && service === 'embedded') {
    devKeys = true;
    apiKeys = parseApiKeys(DEV_API_KEYS, errs);
  } else if (rawKeys === null) {
    // The syncer serves no API: it needs no keys.
    if (service === 'engine') errs.push('API_KEYS is required: a comma list of scope:key, key as sha256:<hex> (only npm start, the embedded mode, falls back to dev keys, on loopback)');
  } else {
    apiKeys = parseApiKeys(rawKeys, errs);
  }

  const rawBeaconKeys = v.str('BEACON_KEYS');
  let beaconKeys: Uint8Array[] = [];
  const devBeaconKey = rawBeaconKeys === null && service === 'embedded';
  if (devBeaconKey) {
    beaconKeys = parseBeaconKeys(DEV_BEACON_KEY, errs);
  } else if (rawBeaconKeys === null) {
    if (service === 'engine') errs.push('BEACON_KEYS is required: a comma list of secrets of 32 bytes or more that sign tracking URLs, the first signs (only npm start, the embedded mode, falls back to a dev key)');
  } else {
    beaconKeys = parseBeaconKeys(rawBeaconKeys, errs);
  }
  const publicBaseUrl = v.url('PUBLIC_BASE_URL', ['http:', 'https:']);
  if (publicBaseUrl === null && mode === 'production' && service === 'engine') {
    warnings.push('PUBLIC_BASE_URL is unset: tracking URLs in ad answers point at this engine\'s own host and port, which players elsewhere cannot reach');
  }

  const schedule = v.cron('SYNC_SCHEDULE', '*/1 * * * *');
  const compactSchedule = v.cron('COMPACT_SCHEDULE', '*/5 * * * *');

  const s3 =
    s3Bucket === null
      ? null
      : {
          bucket: s3Bucket,
          endpoint: v.url('S3_ENDPOINT', ['http:', 'https:']),
          region: v.str('S3_REGION') ?? 'us-east-1',
          forcePathStyle: v.bool('S3_FORCE_PATH_STYLE', false),
        };
  if (s3 === null) {
    for (const name of ['S3_ENDPOINT', 'S3_REGION', 'S3_FORCE_PATH_STYLE']) {
      if (env[name] !== undefined) warnings.push(`${name} has no effect without S3_BUCKET`);
    }
  }

  const durability: Durability = {
    mode: v.oneOf('EVENT_LOG_DURABILITY', durabilityModes, DEFAULT_DURABILITY.mode),
    replicas: v.int('EVENT_LOG_REPLICAS', DEFAULT_DURABILITY.replicas, 1, 64),
    waitMs: v.int('EVENT_LOG_WAIT_MS', DEFAULT_DURABILITY.waitMs, 1, 60_000),
  };
  if (redisUrl === null) {
    for (const name of ['EVENT_LOG_DURABILITY', 'EVENT_LOG_REPLICAS', 'EVENT_LOG_WAIT_MS']) {
      if (env[name] !== undefined) warnings.push(`${name} has no effect without REDIS_URL (the file event log fsyncs every batch)`);
    }
  } else if (durability.mode !== 'replicas') {
    for (const name of ['EVENT_LOG_REPLICAS', 'EVENT_LOG_WAIT_MS']) {
      if (env[name] !== undefined) warnings.push(`${name} has no effect unless EVENT_LOG_DURABILITY=replicas`);
    }
  }

  const rate = v.int('RATE_LIMIT_PER_SECOND', mode === 'embedded' ? 0 : 1000, 0, 10_000_000);
  // The dev keys are public (they are in this repository): with them, both listeners stay on this
  // machine, by default and by rule.
  const host = v.str('HOST') ?? (devKeys ? LOOPBACK : '0.0.0.0');
  const internalHost = v.str('INTERNAL_HOST') ?? host;
  if (devKeys) {
    for (const [name, value] of [['HOST', host], ['INTERNAL_HOST', internalHost]] as const) {
      if (!isLoopback(value)) errs.push(`${name} must be a loopback address while the dev keys are in use (API_KEYS unset), got '${value}': set API_KEYS to serve other machines`);
    }
  } else if (devBeaconKey && !isLoopback(host)) {
    errs.push(`HOST must be a loopback address while the dev beacon key is in use (BEACON_KEYS unset), got '${host}': set BEACON_KEYS to serve other machines`);
  }
  const config: Config = {
    mode,
    host,
    port: v.int('PORT', 8080, 0, 65535),
    internalHost,
    internalPort: v.int('INTERNAL_PORT', service === 'syncer' ? 9465 : 9464, 0, 65535),
    apiKeys,
    devKeys,
    feedUrl: v.url('FEED_URL', ['http:', 'https:', 'file:']) ?? sampleFeedUrl(),
    blacklistFeedUrl: v.url('BLACKLIST_FEED_URL', ['http:', 'https:', 'file:']),
    topicsFeedUrl: v.url('TOPICS_FEED_URL', ['http:', 'https:', 'file:']),
    syncSchedule: schedule,
    compactSchedule,
    eventRetentionMs: v.int('EVENT_RETENTION_SECONDS', 3600, 0, 365 * 86_400) * 1000,
    feedTimeoutMs: v.int('FEED_TIMEOUT_MS', DEFAULT_FEED_TIMEOUT_MS, 100, 600_000),
    feedMaxBytes: v.int('FEED_MAX_BYTES', DEFAULT_FEED_MAX_BYTES, 1024, 2 ** 31 - 1),
    redisUrl,
    s3,
    dataDir: resolve(v.str('DATA_DIR') ?? './data'),
    engineWorkers: v.int('ENGINE_WORKERS', availableParallelism(), 1, 256),
    logLevel: v.oneOf('LOG_LEVEL', logLevels, 'info'),
    playerMemoryMax: v.int('PLAYER_MEMORY_MAX', 100_000, 1, 100_000_000),
    playerMemoryTtlMs: v.int('PLAYER_MEMORY_TTL_SECONDS', 3600, 1, 30 * 86_400) * 1000,
    snapshotPollMs: v.int('SNAPSHOT_POLL_MS', 1000, 50, 3_600_000),
    shutdownTimeoutMs: v.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    leaderLockTtlMs: v.int('LEADER_LOCK_TTL_MS', 10_000, 1_000, 600_000),
    voteReceipts: v.int('VOTE_RECEIPTS', DEFAULT_VOTE_RECEIPTS, 1, 100_000_000),
    voteClaimIdleMs: v.int('VOTE_CLAIM_IDLE_MS', 10_000, 100, 3_600_000),
    maxBodyBytes: v.int('MAX_BODY_BYTES', 16_384, 256, 16 << 20),
    writeBatch: {
      maxEvents: v.int('WRITE_BATCH_MAX_EVENTS', DEFAULT_BATCH_LIMITS.maxEvents, 1, 65_536),
      maxBytes: v.int('WRITE_BATCH_MAX_BYTES', DEFAULT_BATCH_LIMITS.maxBytes, 1024, 64 << 20),
      windowMs: v.int('WRITE_BATCH_WINDOW_MS', DEFAULT_BATCH_LIMITS.windowMs, 0, 1000),
    },
    durability,
    beaconKeys,
    devBeaconKey,
    beaconTtlSec: v.int('BEACON_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    publicBaseUrl: publicBaseUrl?.replace(/\/+$/, '') ?? null,
    decisionFlushMs: v.int('DECISION_FLUSH_MS', 1000, 50, 60_000),
    viewFlushMs: v.int('VIEW_FLUSH_MS', 50, 5, 5_000),
    corsOrigins: v.origins('CORS_ORIGINS'),
    rateLimitPerSecond: rate,
    rateLimitBurst: v.int('RATE_LIMIT_BURST', Math.max(1, rate), 1, 10_000_000),
    warnings,
  };
  if (errs.length > 0) throw new ConfigError(errs);
  return Object.freeze(config);
}

/** Reads one variable at a time, pushing a message naming the variable and the value on any problem. */
class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly errs: string[],
  ) {}

  str(name: string): string | null {
    const raw = this.env[name];
    if (raw === undefined) return null;
    const value = raw.trim();
    if (value === '') return null;
    return value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === null) return fallback;
    const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.errs.push(`${name} must be an integer ${min}..${max}, got '${raw}'`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name);
    if (raw === null) return fallback;
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    this.errs.push(`${name} must be true or false, got '${raw}'`);
    return fallback;
  }

  url(name: string, protocols: readonly string[]): string | null {
    const raw = this.str(name);
    if (raw === null) return null;
    const parsed = URL.canParse(raw) ? new URL(raw) : null;
    if (parsed === null || !protocols.includes(parsed.protocol)) {
      this.errs.push(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got '${raw}'`);
      return null;
    }
    return raw;
  }

  cron(name: string, fallback: string): string {
    const raw = this.str(name) ?? fallback;
    if (!cron.validate(raw)) this.errs.push(`${name} must be a cron expression, got '${raw}'`);
    return raw;
  }

  /**
   * A comma list of exact origins as a browser sends them in `Origin`: a scheme, `://`, a host
   * (name, IPv4 or [IPv6]) and a port only when not the scheme's default; no path, no trailing
   * slash, no userinfo. Upper case is lowered (browsers send origins lower-case); `*` alone means
   * any origin. Each entry that is not one is a problem of its own.
   */
  origins(name: string): string[] {
    const raw = this.str(name);
    if (raw === null) return [];
    const entries = raw.split(',').map((e) => e.trim());
    if (entries.includes(ANY_ORIGIN)) {
      if (entries.length > 1) this.errs.push(`${name} must be '*' alone (every origin) or a list of origins, got '${raw}'`);
      return [ANY_ORIGIN];
    }
    const out = new Set<string>();
    for (const entry of entries) {
      const origin = entry.toLowerCase();
      const m = ORIGIN.exec(origin);
      if (m === null) {
        this.errs.push(`${name} entry '${entry}' must be an origin, scheme://host[:port] with no path or trailing slash (e.g. https://play.example.com), in '${raw}'`);
      } else if (m[2] !== undefined && DEFAULT_PORTS[m[1]!] === m[2]) {
        this.errs.push(`${name} entry '${entry}' names its scheme's default port, which browsers leave out of Origin: write '${origin.slice(0, -m[2].length - 1)}'`);
      } else if (m[2] !== undefined && Number(m[2]) > 65535) {
        this.errs.push(`${name} entry '${entry}' has a port over 65535`);
      } else {
        out.add(origin);
      }
    }
    return [...out];
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.str(name);
    if (raw === null) return fallback;
    const lower = raw.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    this.errs.push(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
    return fallback;
  }
}
