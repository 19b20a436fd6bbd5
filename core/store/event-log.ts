// The event log port (docs/architecture.md "Ports and adapters"): the one write path of games,
// blacklist reports, topics and votes. Engines append and tail it; the syncer consumes it with a consumer group and folds it
// into snapshots. Implementations: RedisEventLog (Redis Streams) and FileEventLog (embedded mode,
// an append-only file); test/contract/event-log.ts is the contract both pass.
//
// Contract:
// - append() resolves with the event's id only once the event is durable (Redis: acknowledged as
//   EVENT_LOG_DURABILITY asks; file: written and fsynced). Ids are "<ms>-<seq>", strictly increasing.
// - appendBatch() appends several events as one commit (docs/architecture.md "Group commit"): it
//   resolves with their ids, in order, once all are durable, or rejects and acknowledges none.
// - read(after) returns events with ids greater than `after` ("0-0" = from the start), oldest
//   first, at most `count`; with blockMs it waits that long for the first one.
// - Consumer groups: readGroup() hands each new event to one consumer of the group and keeps it
//   pending until ack(); claimIdle() moves events pending longer than minIdleMs to another consumer
//   (a consumer that died). Delivery is at least once: consumers are idempotent. groupFloor() is
//   the oldest event a group still needs (pending, or not delivered yet): trimming stops there.
// - trim(minId) drops events older than minId (behind the newest snapshot); never newer ones.
//   first() is the oldest event kept (null when none): a reader whose position is older than it
//   may have missed trimmed events, and reloads from a snapshot.

import type { EncodedEvent, LoggedEvent, NewEvent } from '../domain/stream/event.js';

export interface ReadOptions {
  count: number;
  /** Wait up to this long for the first event; 0 or absent: return at once. */
  blockMs?: number;
}

/** What a server needs to write: append, resolved once durable (the main process or the log itself). */
export interface EventWriter {
  append(event: NewEvent): Promise<string>;
}

/** Where a group commit sends its batches: the event log, or a server process's main process. */
export interface BatchSink {
  /** Resolves with one id per event, in order, once every event is durable; a rejection acknowledges none. */
  appendBatch(events: readonly EncodedEvent[]): Promise<string[]>;
}

export interface EventLog extends EventWriter, BatchSink {
  read(after: string, o: ReadOptions): Promise<LoggedEvent[]>;
  /** Creates the group if missing, delivering events after `after` ("$" = only new ones). */
  ensureGroup(group: string, after: string): Promise<void>;
  readGroup(group: string, consumer: string, o: ReadOptions): Promise<LoggedEvent[]>;
  ack(group: string, ids: readonly string[]): Promise<number>;
  claimIdle(group: string, consumer: string, minIdleMs: number, count: number): Promise<LoggedEvent[]>;
  /**
   * The smallest id the group still needs: its oldest pending event, else the id after the last one
   * it delivered. Null when the group does not exist.
   */
  groupFloor(group: string): Promise<string | null>;
  trim(minId: string): Promise<number>;
  /** Id of the oldest event kept, or null when the log holds none. */
  first(): Promise<string | null>;
  close(): Promise<void>;
  readonly description: string;
}
