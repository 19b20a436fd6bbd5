// EventLog on a Redis Stream. Blocking reads (XREAD / XREADGROUP with BLOCK) hold their connection,
// so they get one of their own; appends and acks use the shared connection. "Durable" means
// acknowledged by Redis: make Redis itself durable with AOF (appendfsync everysec or always), as
// deploy/ configures it.

import type { Redis } from 'ioredis';
import type { EventLog, ReadOptions } from './event-log.js';
import { nextEventId, type LoggedEvent, type NewEvent } from '../domain/stream/event.js';
import { redisKeys } from './redis-keys.js';

type Entry = [id: string, fields: string[]];

export class RedisEventLog implements EventLog {
  readonly description: string;

  constructor(
    private readonly redis: Redis,
    /** A connection used only for blocking reads. */
    private readonly blocking: Redis,
    readonly key = redisKeys().events,
  ) {
    this.description = `redis stream ${key}`;
  }

  async append(event: NewEvent): Promise<string> {
    return (await this.redis.xadd(this.key, '*', 'type', event.type, 'data', JSON.stringify(event.data)))!;
  }

  async read(after: string, o: ReadOptions): Promise<LoggedEvent[]> {
    const reply = o.blockMs
      ? await this.blocking.xread('COUNT', o.count, 'BLOCK', o.blockMs, 'STREAMS', this.key, after)
      : await this.redis.xread('COUNT', o.count, 'STREAMS', this.key, after);
    return reply === null ? [] : (reply[0]![1] as Entry[]).map(decode);
  }

  async ensureGroup(group: string, after: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, group, after === '0-0' ? '0' : after, 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
  }

  async readGroup(group: string, consumer: string, o: ReadOptions): Promise<LoggedEvent[]> {
    // The typed command, not call(): ioredis shapes its RESP3 map reply like RESP2's for typed calls.
    const reply = o.blockMs
      ? await this.blocking.xreadgroup('GROUP', group, consumer, 'COUNT', o.count, 'BLOCK', o.blockMs, 'STREAMS', this.key, '>')
      : await this.redis.xreadgroup('GROUP', group, consumer, 'COUNT', o.count, 'STREAMS', this.key, '>');
    return reply === null ? [] : ((reply as [string, Entry[]][])[0]![1]).map(decode);
  }

  async ack(group: string, ids: readonly string[]): Promise<number> {
    return ids.length === 0 ? 0 : this.redis.xack(this.key, group, ...ids);
  }

  async claimIdle(group: string, consumer: string, minIdleMs: number, count: number): Promise<LoggedEvent[]> {
    const reply = (await this.redis.call('XAUTOCLAIM', this.key, group, consumer, minIdleMs, '0-0', 'COUNT', count)) as [string, Entry[]];
    return reply[1].filter((e) => e !== null).map(decode);
  }

  async groupFloor(group: string): Promise<string | null> {
    const groups = (await this.redis.xinfo('GROUPS', this.key).catch((err: Error) => {
      if (err.message.includes('no such key')) return [];
      throw err;
    })) as unknown[][];
    const info = groups.map(fieldMap).find((g) => g.name === group);
    if (info === undefined) return null;
    const [count, oldest] = (await this.redis.xpending(this.key, group)) as [number, string | null];
    return count > 0 && oldest !== null ? oldest : nextEventId(String(info['last-delivered-id']));
  }

  async trim(minId: string): Promise<number> {
    return this.redis.xtrim(this.key, 'MINID', minId);
  }

  async first(): Promise<string | null> {
    const oldest = (await this.redis.xrange(this.key, '-', '+', 'COUNT', 1)) as Entry[];
    return oldest.length === 0 ? null : oldest[0]![0];
  }

  async close(): Promise<void> {
    this.blocking.disconnect();
  }
}

/** XINFO's flat [field, value, ...] reply as an object. */
function fieldMap(flat: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
}

function decode([id, fields]: Entry): LoggedEvent {
  let type = '';
  let data: unknown = null;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'type') type = fields[i + 1]!;
    else if (fields[i] === 'data') data = JSON.parse(fields[i + 1]!);
  }
  return { id, type, data };
}
