// The vote processor's one store-specific step (README "Topics and votes": every vote counted
// exactly once, even when the processor crashes and retries): count the votes of a batch the
// consumer group delivered, record them as processed, tell the engines (one votes_counted event),
// and acknowledge the batch. Redis does it in one Lua script (redis-vote-counter.ts); embedded
// mode on its file log (file-vote-counter.ts).

import type { LoggedEvent } from '../../core/domain/stream/event.js';
import type { VoteCast } from '../../core/domain/stream/events.js';

export interface VoteCounter {
  /**
   * Counts the votes among `events` not counted before, and acknowledges every event of the batch
   * in the group. Returns how many votes were newly counted.
   */
  count(events: readonly LoggedEvent[], nowMs: number): Promise<number>;
  /** Drops the record of votes older than `id` (the stream's oldest event): they cannot come again. */
  forgetBefore(id: string): Promise<void>;
  readonly description: string;
}

/** The batch split into votes ([id, choice id]) and the other events (acknowledged only). */
export function splitBatch(events: readonly LoggedEvent[]): { votes: [id: string, choiceId: number][]; others: string[] } {
  const votes: [string, number][] = [];
  const others: string[] = [];
  for (const e of events) {
    if (e.type === 'vote_cast') votes.push([e.id, (e.data as VoteCast).choice_id]);
    else others.push(e.id);
  }
  return { votes, others };
}
