// Leader election between syncers: a Redis lock (SET NX PX, renewed) elects the active one. Every ttl/3 the leader renews its lock and a standby tries to take it. A leader that cannot
// renew (Redis down, a long pause) steps down on its own clock once the lock may have expired, before
// a standby can hold it; publishing asks Redis whether the token is still ours right before every
// pointer write (assertLeader), so a leader that lost the lock while busy does not publish.
// Residual window, stated plainly: the microseconds between that check and the store's write.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NotLeaderError } from '../../core/errors.js';
import type { Logger } from '../../core/runtime/logger.js';
import { redisKeys } from '../../core/store/redis-keys.js';

/** KEYS[1] lock; ARGV[1] token, ARGV[2] ttl ms. 1 renewed, 0 not ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
/** KEYS[1] lock; ARGV[1] token. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface Leadership {
  readonly isLeader: boolean;
  /** Throws NotLeaderError unless this process holds the lock right now. */
  assertLeader(): Promise<void>;
}

/** Without Redis there is nothing to elect with: one syncer, always active (logged at start-up). */
export const soleLeader: Leadership = { isLeader: true, assertLeader: async () => {} };

export interface LeaderLockOptions {
  redis: Redis;
  ttlMs: number;
  log: Logger;
  key?: string;
  /** Called on every change, after the change. */
  onChange(isLeader: boolean): void;
}

export class LeaderLock implements Leadership {
  readonly token = randomBytes(16).toString('hex');
  private leader = false;
  /** Local deadline of our lock: past it we may no longer hold it, whatever Redis last said. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private readonly key: string;

  constructor(private readonly o: LeaderLockOptions) {
    this.key = o.key ?? redisKeys().syncerLeader;
  }

  get isLeader(): boolean {
    return this.leader && Date.now() < this.validUntil;
  }

  /** First attempt now, then every ttl/3. Resolves after the first attempt. */
  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.o.ttlMs / 3)));
  }

  async assertLeader(): Promise<void> {
    const holder = await this.o.redis.get(this.key);
    if (holder !== this.token) {
      this.set(false, 'lock held by another syncer');
      throw new NotLeaderError('this syncer no longer holds the leader lock');
    }
  }

  /** Stops renewing and frees the lock at once, so the standby need not wait for the TTL. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    if (!this.leader) return;
    try {
      await this.o.redis.eval(RELEASE, 1, this.key, this.token);
    } finally {
      this.set(false, 'released on shutdown');
    }
  }

  private tick(): Promise<void> {
    this.ticking ??= this.tickOnce().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    const { redis, ttlMs } = this.o;
    const startedAt = Date.now();
    try {
      const held = this.leader
        ? (await redis.eval(RENEW, 1, this.key, this.token, String(ttlMs))) === 1
        : (await redis.set(this.key, this.token, 'PX', ttlMs, 'NX')) === 'OK';
      if (held) {
        // Count from before the call: the lock expires ttl after Redis applied it, at the latest.
        this.validUntil = startedAt + ttlMs;
        this.set(true, 'lock acquired');
      } else {
        this.set(false, 'lock held by another syncer');
      }
    } catch (err) {
      // Cannot reach Redis: keep leading only while our last renewal is surely still valid.
      if (this.leader && Date.now() >= this.validUntil) this.set(false, 'lock not renewed in time');
      this.o.log.warn('leader lock: Redis unreachable', { err: err as Error, leader: this.isLeader });
    }
  }

  private set(leader: boolean, why: string): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.o.log.info(leader ? 'became leader' : 'now standby', { why });
    this.o.onChange(leader);
  }
}
