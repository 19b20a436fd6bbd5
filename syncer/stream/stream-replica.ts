// The syncer's own copy of the stream state: the newest stream snapshot plus the event stream
// folded after its offset, exactly what an engine holds. The compaction job snapshots it; the
// feed jobs check their rows against it (known games, rows and topics already merged).
// Another syncer may have published since this copy was built (a leader change): catchUp() then
// starts over from the store's newest snapshot when that one is ahead of this copy.

import { decodeStreamSnapshot } from '../../core/domain/stream/stream-snapshot.js';
import { foldEvent } from '../../core/domain/stream/events.js';
import { StreamState } from '../../core/domain/stream/stream-state.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START, compareEventIds } from '../../core/domain/stream/event.js';
import { newestUsable, type SnapshotStore } from '../../core/store/snapshot-store.js';

/** Events per read while catching up. */
const BATCH = 10_000;

export class StreamReplica {
  private current: StreamState;
  private position = START;
  /** The snapshot this copy was loaded from or last published, and the offset it covers. */
  private snapshot: { version: string; streamOffset: string } | null = null;
  /** The store's pointer names a snapshot that does not decode: the next compaction replaces it. */
  private pointerBroken = false;
  /** The catch-up in progress (or done): the next one starts after it. */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly events: EventLog,
    private readonly store: SnapshotStore,
    /** A stored snapshot that does not decode (logged by the caller; it is skipped). */
    private readonly onCorrupt: (version: string, err: Error) => void,
    /** Vote receipts kept (VOTE_RECEIPTS): the snapshots carry this many. */
    private readonly voteReceipts: number,
  ) {
    this.current = StreamState.empty(voteReceipts);
  }

  get state(): StreamState {
    return this.current;
  }

  /** Id of the last event folded. */
  get applied(): string {
    return this.position;
  }

  /** The newest snapshot known to cover this copy's history (null before the first one). */
  get lastSnapshot(): { version: string; streamOffset: string } | null {
    return this.snapshot;
  }

  /** True when a snapshot should be published even without new events (the pointer is broken). */
  get needsSnapshot(): boolean {
    return this.pointerBroken;
  }

  /** Records a snapshot of this copy, just published, covering everything applied. */
  published(version: string): void {
    this.snapshot = { version, streamOffset: this.position };
    this.pointerBroken = false;
  }

  /**
   * Loads a newer snapshot if the store has one, then folds the stream to its end. Returns events
   * folded. Calls run one after another: two folds from the same position at once (compaction and a
   * feed job on their own schedules) would fold every event twice.
   */
  catchUp(): Promise<number> {
    const run = this.previous.then(() => this.catchUpNow());
    this.previous = run.catch(() => undefined);
    return run;
  }

  private async catchUpNow(): Promise<number> {
    const latest = await this.store.latest('stream');
    if (latest !== null && latest !== this.snapshot?.version) {
      // The pointed-to snapshot, or when it does not decode the newest older one that does (as
      // engines do): the next compaction then publishes a good one over it.
      const s = await newestUsable(this.store, 'stream', latest, (bytes) => decodeStreamSnapshot(bytes, this.voteReceipts), this.onCorrupt);
      // A copy already past that snapshot keeps its own fold (same events, same state).
      if (s !== null && compareEventIds(s.streamOffset, this.position) > 0) {
        this.current = s.state;
        this.position = s.streamOffset;
      }
      if (s !== null) this.snapshot = { version: s.version, streamOffset: s.streamOffset };
      this.pointerBroken = s?.version !== latest;
    }
    let folded = 0;
    for (;;) {
      const batch = await this.events.read(this.position, { count: BATCH });
      if (batch.length === 0) return folded;
      for (const e of batch) foldEvent(this.current, e);
      this.position = batch[batch.length - 1]!.id;
      folded += batch.length;
    }
  }
}
