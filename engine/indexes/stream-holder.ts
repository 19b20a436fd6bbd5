// The stream state of one server (games and reports, topics, votes) plus where it stands in the
// event stream. Events arrive in stream order (from the main process's event follower) and are
// folded at once. A game or topic writer waits here until its own event has been folded, so its
// answer (201 with the game or topic, or 409) comes from the same fold every engine runs. A vote or
// report is answered once durable: it waits in OwnWrites until the fold reaches it, and the reads
// here (vote, check) see it there meanwhile. A stream snapshot may be loaded at boot, or later by an engine that fell behind a trimmed
// stream: it replaces the state and the position when it is ahead, and events up to that position
// are then skipped as seen.

import { StreamSnapshotBehindError } from '../../core/errors.js';
import { compareEventIds, START, type LoggedEvent } from '../../core/domain/stream/event.js';
import { foldEvent, type FoldOutcome } from '../../core/domain/stream/events.js';
import { CappedMap } from '../../core/domain/stream/capped-map.js';
import { StreamState } from '../../core/domain/stream/stream-state.js';
import { ALL_GAMES, type BanCheck, type BlacklistIndex } from '../../core/domain/stream/blacklist-index.js';
import type { TopicsIndex } from '../../core/domain/stream/topics-index.js';
import type { VoteReceipt, VoteReceipts } from '../../core/domain/stream/vote-receipts.js';
import type { IdempotencyRecords } from '../../core/domain/stream/idempotency.js';
import type { EncodedEvent, NewEvent } from '../../core/domain/stream/event.js';
import { OwnWrites } from './own-writes.js';
import type { EventWriter } from '../../core/store/event-log.js';
import type { StreamSnapshot } from '../../core/domain/stream/stream-snapshot.js';

/** Outcomes kept for events nobody was waiting for yet (the fold can beat the append's reply). */
const RECENT_OUTCOMES = 4096;

export class StreamHolder {
  private current: StreamState;
  private position = START;
  private readonly waiters = new Map<string, ((o: FoldOutcome) => void)[]>();
  private readonly recent = new CappedMap<string, FoldOutcome>(RECENT_OUTCOMES);
  private replayed = false;
  private readonly own = new OwnWrites();

  constructor(voteReceipts: number) {
    this.current = StreamState.empty(voteReceipts);
  }

  get state(): StreamState {
    return this.current;
  }

  get blacklist(): BlacklistIndex {
    return this.current.blacklist;
  }

  get topics(): TopicsIndex {
    return this.current.topics;
  }

  get votes(): VoteReceipts {
    return this.current.votes;
  }

  /** The first answers of writes sent with an Idempotency-Key (README "Safe retries"). */
  get idem(): IdempotencyRecords {
    return this.current.idem;
  }

  /** Replaces the state with a snapshot's, which must be ahead of what was applied. */
  load(snapshot: StreamSnapshot): void {
    if (compareEventIds(snapshot.streamOffset, this.position) <= 0 && this.position !== START) {
      throw new StreamSnapshotBehindError(`stream snapshot at ${snapshot.streamOffset} is not ahead of the events applied (${this.position})`);
    }
    this.current = snapshot.state;
    this.position = snapshot.streamOffset;
    this.own.prune(this.position);
  }

  /**
   * Writes through `inner`, recording each durable write as this server's own: the routes' writer,
   * so every vote and report is seen by reads here from the moment it is acknowledged.
   */
  ownWriter(inner: EventWriter): EventWriter {
    return {
      append: (event) =>
        inner.append(event).then((id) => {
          this.recordOwn(id, event);
          return id;
        }),
    };
  }

  /** A write of this server's, durable in the log: reads see it until the fold does (OwnWrites). */
  recordOwn(id: string, event: NewEvent): void {
    if (compareEventIds(id, this.position) > 0) this.own.add(id, event);
  }

  /** Writes of the engine's other server processes, durable: seen here like this server's own. */
  recordWritten(ids: readonly string[], events: readonly EncodedEvent[]): void {
    for (let i = 0; i < ids.length; i++) {
      const e = events[i]!;
      if (OwnWrites.tracks(e.type)) this.recordOwn(ids[i]!, { type: e.type, data: JSON.parse(e.data) });
    }
  }

  /** A vote's receipt, folded or this server's own still on its way. */
  vote(id: string): VoteReceipt | undefined {
    return this.current.votes.get(id) ?? this.own.vote(id);
  }

  /** True when the player has a counted vote on this topic, or one of this server's on its way (one-vote topics). */
  hasVoted(topicId: number, player: string): boolean {
    return this.current.topics.hasVoted(topicId, player) || this.own.votedPending(topicId, player);
  }

  /** The ban record at `nowMs` (over every game, or one), this server's own reports not folded yet included. */
  check(email: string, nowMs: number, gameId = ALL_GAMES): BanCheck | null {
    const pending = this.own.size === 0 ? null : this.own.reportsOf(email, this.position);
    return pending === null ? this.current.blacklist.check(email, nowMs, gameId) : this.current.blacklist.checkWith(email, nowMs, pending, gameId);
  }

  /** False until the event log has been replayed once: until then answers could be incomplete. */
  get caughtUp(): boolean {
    return this.replayed;
  }

  markCaughtUp(): void {
    this.replayed = true;
  }

  /** Id of the last event folded. */
  get applied(): string {
    return this.position;
  }

  apply(events: readonly LoggedEvent[]): void {
    for (const e of events) {
      if (compareEventIds(e.id, this.position) <= 0) continue; // seen (a replay overlap)
      const outcome = foldEvent(this.current, e);
      this.position = e.id;
      const waiting = this.waiters.get(e.id);
      if (waiting !== undefined) {
        this.waiters.delete(e.id);
        for (const w of waiting) w(outcome);
      } else {
        this.recent.add(e.id, outcome);
      }
    }
    if (this.own.size > 0) this.own.prune(this.position);
  }

  /** Resolves with the outcome of folding event `id`, or 'timeout' if it has not arrived in time. */
  outcome(id: string, timeoutMs: number): Promise<FoldOutcome | 'timeout'> {
    const known = this.recent.get(id);
    if (known !== undefined) {
      this.recent.delete(id);
      return Promise.resolve(known);
    }
    if (compareEventIds(id, this.position) <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(id);
        if (list !== undefined) {
          list.splice(list.indexOf(done), 1);
          if (list.length === 0) this.waiters.delete(id);
        }
        resolve('timeout');
      }, timeoutMs);
      const done = (o: FoldOutcome) => {
        clearTimeout(timer);
        resolve(o);
      };
      const list = this.waiters.get(id);
      if (list === undefined) this.waiters.set(id, [done]);
      else list.push(done);
    });
  }
}
