// VoteCounter for embedded mode, on the file event log. The atomic step is one append: the
// votes_counted event both counts the votes (engines fold it into the tallies) and records them as
// processed (it is in the log, fsynced, before anything else happens). The acknowledgement comes
// after; a crash between the two delivers the batch again, and the votes found in the log's
// votes_counted events are not counted twice. The set of counted ids is rebuilt from the log at
// the first call and kept in memory after.

import { votesCounted, type VotesCounted } from '../../core/domain/stream/events.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START, compareEventIds } from '../../core/domain/stream/event.js';
import { splitBatch, type VoteCounter } from './vote-counter.js';

const SCAN_BATCH = 10_000;

export class FileVoteCounter implements VoteCounter {
  readonly description = 'votes_counted events in the file log';
  private counted: Set<string> | null = null;

  constructor(
    private readonly log: EventLog,
    private readonly group: string,
  ) {}

  async count(events: Parameters<VoteCounter['count']>[0], nowMs: number): Promise<number> {
    if (events.length === 0) return 0;
    const counted = this.counted ?? (this.counted = await this.scan());
    const { votes } = splitBatch(events);
    const fresh = votes.filter(([id]) => !counted.has(id));
    if (fresh.length > 0) {
      await this.log.append(votesCounted({ at: nowMs, votes: fresh }));
      for (const [id] of fresh) counted.add(id);
    }
    await this.log.ack(this.group, events.map((e) => e.id));
    return fresh.length;
  }

  async forgetBefore(id: string): Promise<void> {
    if (this.counted === null) return;
    for (const voteId of this.counted) if (compareEventIds(voteId, id) < 0) this.counted.delete(voteId);
  }

  /** Every vote id named by a votes_counted event still in the log. */
  private async scan(): Promise<Set<string>> {
    const ids = new Set<string>();
    let after = START;
    for (;;) {
      const batch = await this.log.read(after, { count: SCAN_BATCH });
      if (batch.length === 0) return ids;
      for (const e of batch) if (e.type === 'votes_counted') for (const [id] of (e.data as VotesCounted).votes) ids.add(id);
      after = batch[batch.length - 1]!.id;
    }
  }
}
