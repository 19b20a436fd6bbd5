// This server's votes and reports that are durable but not folded yet (docs/architecture.md "A
// write's path"). A vote or a report is answered as soon as the event log has it; reading it back
// from the log to fold it would add a round trip to every write. Until the fold reaches it, it waits
// here, and GET /votes/{id} and /blacklist/check read it from here too, so a read right after the
// write sees it. The fold stays the one truth: it runs in stream order on every engine, and once it
// passes an event's id the event leaves this overlay (prune), whatever this server guessed.
//
// Only writes whose effect does not depend on the events around them are answered this way. A game
// or a topic gets its id, or its 409, from its place in the stream, so those writes still wait for
// their own event to fold. A vote with a player_id is answered at once too; the fold decides later
// whether it counts (README "Topics and votes"), and meanwhile the door asks here whether the
// player has a vote of ours on its way, so a player's second vote to this server is a 409 even
// before the fold has the first.

import { compareEventIds, type NewEvent } from '../../core/domain/stream/event.js';
import { reportOf, type PlayerReported, type VoteCast } from '../../core/domain/stream/events.js';
import type { Report } from '../../core/domain/stream/blacklist-index.js';
import type { VoteReceipt } from '../../core/domain/stream/vote-receipts.js';

/** More than this many writes not folded means the fold has stopped: the oldest are dropped. */
const MAX_PENDING = 100_000;

interface Pending {
  id: string;
  /** Set for a report: whose list to remove it from. */
  email: string | null;
  /** Set for a vote with a player_id: its `players` key. */
  player: string | null;
}

/** The `players` key of a player's vote on a topic. */
const playerKey = (topicId: number, player: string): string => `${topicId}:${player}`;

export class OwnWrites {
  /** Ids in the order they were recorded (ascending: the log hands them out in order). */
  private readonly order: Pending[] = [];
  private head = 0;
  private readonly votes = new Map<string, VoteReceipt>();
  /** "<topic id>:<player id>" → how many of that player's votes on the topic are pending. */
  private readonly players = new Map<string, number>();
  private readonly reports = new Map<string, { id: string; report: Report }[]>();

  get size(): number {
    return this.order.length - this.head;
  }

  /** The event types kept here; the others are left to the fold. */
  static tracks(type: string): boolean {
    return type === 'vote_cast' || type === 'player_reported';
  }

  /** Records a durable event of this server's; other types are left to the fold. */
  add(id: string, e: NewEvent): void {
    if (e.type === 'vote_cast') {
      const v = e.data as VoteCast;
      this.votes.set(id, { topicId: v.topic_id, choiceId: v.choice_id, queuedMs: v.queued_at, countedMs: 0 });
      const player = v.player_id === undefined ? null : playerKey(v.topic_id, v.player_id);
      if (player !== null) this.players.set(player, (this.players.get(player) ?? 0) + 1);
      this.order.push({ id, email: null, player });
    } else if (e.type === 'player_reported') {
      const r = e.data as PlayerReported;
      const report = reportOf(r);
      const list = this.reports.get(r.email);
      if (list === undefined) this.reports.set(r.email, [{ id, report }]);
      else list.push({ id, report });
      this.order.push({ id, email: r.email, player: null });
    } else {
      return;
    }
    if (this.size > MAX_PENDING) this.dropOldest();
  }

  vote(id: string): VoteReceipt | undefined {
    return this.votes.get(id);
  }

  /** True when a vote of this player on this topic is durable but not folded yet. */
  votedPending(topicId: number, player: string): boolean {
    return this.players.size > 0 && this.players.has(playerKey(topicId, player));
  }

  /** This email's reports the fold has not reached (position: the last event folded), or null. */
  reportsOf(email: string, position: string): Report[] | null {
    const list = this.reports.get(email);
    if (list === undefined) return null;
    // A report the fold already holds must not count twice, pruned or not.
    const pending = list.filter((p) => compareEventIds(p.id, position) > 0).map((p) => p.report);
    return pending.length === 0 ? null : pending;
  }

  /** Forgets every write the fold has reached: ids up to and including `position`. */
  prune(position: string): void {
    while (this.head < this.order.length && compareEventIds(this.order[this.head]!.id, position) <= 0) this.dropOldest();
  }

  private dropOldest(): void {
    const p = this.order[this.head++]!;
    if (p.email === null) {
      this.votes.delete(p.id);
      if (p.player !== null) {
        const n = this.players.get(p.player)!;
        if (n === 1) this.players.delete(p.player);
        else this.players.set(p.player, n - 1);
      }
    } else {
      const list = this.reports.get(p.email)!;
      list.splice(list.findIndex((x) => x.id === p.id), 1);
      if (list.length === 0) this.reports.delete(p.email);
    }
    // Compact now and then rather than shift() each time (O(n) per call on a long array).
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}
