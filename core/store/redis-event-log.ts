// EventLog on a Redis Stream, one entry per event. Blocking reads (XREAD / XREADGROUP with BLOCK)
// hold their connection, so they get one of their own; appends and acks use the shared connection.
//
// A batch of events (docs/architecture.md "Group commit") is one EVALSHA whose script runs one XADD
// per event: atomic (all or none), one command for the client to encode and Redis to parse. Measured
// against a pipeline of XADDs, MULTI/EXEC and a single entry holding the whole batch
// (bench/append-shapes.ts): the pipeline and MULTI spend 8-12 µs of client CPU per event in ioredis,
// the script 1.7-5; one entry would be cheaper still but gives the batch's events one id between
// them, and every reader, the vote ids and the positions in snapshots are built on one id per event.
//
// What "durable" means is EVENT_LOG_DURABILITY (README "Durability"): `aof` (the default) refuses
// to acknowledge writes unless the Redis it is connected to has AOF on, checked again after every
// reconnect (a failover may land on another server); `replicas` also waits, in the same round trip,
// for WAIT to report that many replicas have the batch; `memory` takes Redis's word alone.

import type { Redis } from 'ioredis';
import { EventLogNotDurableError } from '../errors.js';
import type { EventLog, ReadOptions } from './event-log.js';
import { encodeEvent, nextEventId, type EncodedEvent, type LoggedEvent, type NewEvent } from '../domain/stream/event.js';
import { redisKeys } from './redis-keys.js';

type Entry = [id: string, fields: string[]];

/** How an acknowledged write must be kept before it is acknowledged (README "Durability"). */
export type DurabilityMode = 'aof' | 'replicas' | 'memory';
export const durabilityModes: readonly DurabilityMode[] = ['aof', 'replicas', 'memory'];

export interface Durability {
  readonly mode: DurabilityMode;
  /** `replicas`: how many replicas must have a batch (WAIT's numreplicas). */
  readonly replicas: number;
  /** `replicas`: how long WAIT may take before the batch fails. */
  readonly waitMs: number;
}

export const DEFAULT_DURABILITY: Durability = Object.freeze({ mode: 'aof', replicas: 1, waitMs: 1000 });

const APPEND_SCRIPT = `local ids = {}
for i = 1, #ARGV, 2 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'type', ARGV[i], 'data', ARGV[i + 1])
end
return ids`;

type WithAppend = Redis & { appendEvents(key: string, ...typesAndData: string[]): Promise<string[]> };

export class RedisEventLog implements EventLog {
  readonly description: string;
  private readonly writer: WithAppend;
  /** The persistence check of the current connection: null until the next write asks for it. */
  private persistence: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    /** A connection used only for blocking reads. */
    private readonly blocking: Redis,
    readonly key = redisKeys().events,
    private readonly durability: Durability = DEFAULT_DURABILITY,
  ) {
    this.description = `redis stream ${key}`;
    if (!('appendEvents' in redis)) redis.defineCommand('appendEvents', { numberOfKeys: 1, lua: APPEND_SCRIPT });
    this.writer = redis as WithAppend;
    // Another connection may be another server (a failover): check it again before the next write.
    if (durability.mode === 'aof') redis.on('ready', () => (this.persistence = null));
  }

  async append(event: NewEvent): Promise<string> {
    return (await this.appendBatch([encodeEvent(event)]))[0]!;
  }

  async appendBatch(events: readonly EncodedEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    if (this.durability.mode === 'aof') await (this.persistence ??= this.checkAof());
    const args: string[] = new Array(events.length * 2);
    for (let i = 0; i < events.length; i++) {
      args[2 * i] = events[i]!.type;
      args[2 * i + 1] = events[i]!.data;
    }
    const appended = this.writer.appendEvents(this.key, ...args);
    if (this.durability.mode !== 'replicas') return appended;
    // Sent right behind the script, on the same connection: one round trip.
    const { replicas, waitMs } = this.durability;
    const [ids, acked] = await Promise.all([appended, this.redis.call('WAIT', replicas, waitMs) as Promise<number>]);
    if (acked < replicas) {
      throw new EventLogNotDurableError(`${acked} of the ${replicas} replicas EVENT_LOG_REPLICAS asks for had the batch within ${waitMs} ms (WAIT); its writes are not acknowledged`);
    }
    return ids;
  }

  private checkAof(): Promise<void> {
    return (this.redis.call('CONFIG', 'GET', 'appendonly') as Promise<string[]>).then(
      (reply) => {
        if (reply[1] !== 'yes') {
          this.persistence = null;
          throw new EventLogNotDurableError('Redis has AOF off (appendonly no) and EVENT_LOG_DURABILITY=aof: writes are refused, not acknowledged and lost on a restart; turn AOF on, or say EVENT_LOG_DURABILITY=memory');
        }
      },
      (err: Error) => {
        this.persistence = null;
        throw new EventLogNotDurableError(`cannot tell whether Redis has AOF on (CONFIG GET appendonly: ${err.message}); with EVENT_LOG_DURABILITY=aof writes are refused until it can`);
      },
    );
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
