// Group commit (docs/architecture.md "Group commit"): the writes accepted in one turn of the event
// loop travel to the log together, as one batch: one IPC message from a server process, one Redis
// command, one write and fsync of the file log. A batch closes at the end of the turn (or after
// `windowMs`, when set), or as soon as it holds `maxEvents` events or `maxBytes` of payload. Each
// write resolves with its own id once the whole batch is durable; a batch that fails rejects every
// write in it, and none is acknowledged. Batches are sent in order and may overlap: ids keep the
// order the writes were accepted in, because the sink (one Redis connection, one IPC channel, the
// file log's queue) keeps the order it was given.

import { EventLogReplyError } from '../errors.js';
import { encodeEvent, type EncodedEvent, type NewEvent } from '../domain/stream/event.js';
import type { BatchSink, EventWriter } from './event-log.js';

export interface BatchLimits {
  /** Events per batch at most (a larger appendBatch() goes alone, whole). */
  readonly maxEvents: number;
  /** Payload bytes per batch at most (the events' JSON text, counted as UTF-16 units). */
  readonly maxBytes: number;
  /** 0: a batch closes at the end of the event-loop turn; more: this many ms after its first write. */
  readonly windowMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = Object.freeze({ maxEvents: 512, maxBytes: 1 << 20, windowMs: 0 });

/** What happens to batches, for metrics and logs. */
export interface BatchObserver {
  committed(events: number, seconds: number): void;
  failed(events: number, err: Error): void;
}

/** A write waiting for its batch: its first event's place in the batch, how many it has, its promise. */
interface Waiter {
  start: number;
  count: number;
  /** Given the batch's ids: an append() takes its one, an appendBatch() its slice. */
  done: (ids: readonly string[], start: number, count: number) => void;
  reject: (err: Error) => void;
}

export class GroupCommit implements EventWriter, BatchSink {
  private events: EncodedEvent[] = [];
  private waiters: Waiter[] = [];
  private bytes = 0;
  private timer: NodeJS.Immediate | NodeJS.Timeout | null = null;
  private readonly flushNow = () => this.flush();

  constructor(
    private readonly sink: BatchSink,
    private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
    private readonly observer: BatchObserver | null = null,
  ) {}

  append(event: NewEvent): Promise<string> {
    return new Promise((resolve, reject) => this.add([encodeEvent(event)], (ids, start) => resolve(ids[start]!), reject));
  }

  appendBatch(events: readonly EncodedEvent[]): Promise<string[]> {
    if (events.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.add(events, (ids, start, count) => resolve(ids.slice(start, start + count)), reject));
  }

  /** Sends what is queued now: at the end of the turn or window, or as soon as the batch is full. */
  private flush(): void {
    if (this.timer !== null) {
      if (this.limits.windowMs === 0) clearImmediate(this.timer as NodeJS.Immediate);
      else clearTimeout(this.timer as NodeJS.Timeout);
      this.timer = null;
    }
    if (this.events.length === 0) return;
    const events = this.events;
    const waiters = this.waiters;
    this.events = [];
    this.waiters = [];
    this.bytes = 0;
    const startedAt = performance.now();
    const fail = (err: Error) => {
      this.observer?.failed(events.length, err);
      for (const w of waiters) w.reject(err);
    };
    this.sink.appendBatch(events).then(
      (ids) => {
        if (ids.length !== events.length) return fail(new EventLogReplyError(`the event log answered ${ids.length} ids for ${events.length} events`));
        this.observer?.committed(events.length, (performance.now() - startedAt) / 1000);
        for (const w of waiters) w.done(ids, w.start, w.count);
      },
      (err: unknown) => fail(err instanceof Error ? err : new EventLogReplyError(String(err))),
    );
  }

  private add(events: readonly EncodedEvent[], done: Waiter['done'], reject: Waiter['reject']): void {
    let size = 0;
    for (const e of events) size += e.data.length + e.type.length;
    const { maxEvents, maxBytes } = this.limits;
    // Would not fit: the batch so far goes first (a write is never split across batches).
    if (this.events.length > 0 && (this.events.length + events.length > maxEvents || this.bytes + size > maxBytes)) this.flush();
    this.waiters.push({ start: this.events.length, count: events.length, done, reject });
    for (const e of events) this.events.push(e);
    this.bytes += size;
    if (this.events.length >= maxEvents || this.bytes >= maxBytes) this.flush();
    else if (this.timer === null) this.timer = this.limits.windowMs === 0 ? setImmediate(this.flushNow) : setTimeout(this.flushNow, this.limits.windowMs);
  }
}
