// Everything the events stream folds into (docs/architecture.md "Data flow"): the games registry and ban records,
// the topics with their vote tallies, the vote receipts, the ad reports, and the first answers of
// writes sent with an Idempotency-Key (README "Safe retries"). Engines and the syncer fold the same
// events in the same order (events.ts), so they reach the same state; the stream snapshot is
// this state at a stream offset, which is why all its parts travel in it: trimming the stream
// behind a snapshot must not lose a topic or a vote.

import { InvalidStateError } from '../../errors.js';
import { BlacklistIndex, type BlacklistState } from './blacklist-index.js';
import { TopicsIndex, type TopicsState } from './topics-index.js';
import { AdReports, type ReportsState } from './ad-reports.js';
import { DEFAULT_VOTE_RECEIPTS, VoteReceipts, type ReceiptState } from './vote-receipts.js';
import { IdempotencyRecords, type IdempotencyState } from './idempotency.js';

export interface StreamStateData {
  blacklist: BlacklistState;
  topics: TopicsState;
  votes: { cast: number; receipts: ReceiptState[] };
  /** Absent in snapshots written before reports existed. */
  reports?: ReportsState;
  /** The first answers of writes sent with an Idempotency-Key; absent in snapshots written before safe retries. */
  idem?: IdempotencyState;
}

export class StreamState {
  constructor(
    readonly blacklist = new BlacklistIndex(),
    readonly topics = new TopicsIndex(),
    readonly votes = new VoteReceipts(DEFAULT_VOTE_RECEIPTS),
    readonly reports = new AdReports(),
    readonly idem = new IdempotencyRecords(),
  ) {}

  /** An empty state keeping at most `voteReceipts` receipts. */
  static empty(voteReceipts: number): StreamState {
    return new StreamState(new BlacklistIndex(), new TopicsIndex(), new VoteReceipts(voteReceipts));
  }

  /**
   * Folds an erasure (README "Erasure"): every part of the state that may hold the email forgets
   * it (the ban records, and the recorded answers of reports sent with an Idempotency-Key). The
   * reports removed.
   */
  erase(email: string): number {
    this.idem.forget(email);
    return this.blacklist.erase(email);
  }

  /** The state to snapshot; reports expired at `nowMs` are left out (0: none is). */
  toState(nowMs = 0): StreamStateData {
    return {
      blacklist: this.blacklist.toState(nowMs),
      topics: this.topics.toState(),
      votes: this.votes.toState(),
      reports: this.reports.toState(),
      idem: this.idem.toState(),
    };
  }

  /** Rebuilds from toState(); throws InvalidStateError naming the first bad entry. */
  static fromState(s: StreamStateData, voteReceipts: number): StreamState {
    if (typeof s !== 'object' || s === null) throw new InvalidStateError('state is not an object');
    return new StreamState(
      BlacklistIndex.fromState(s.blacklist),
      TopicsIndex.fromState(s.topics),
      VoteReceipts.fromState(s.votes, voteReceipts),
      AdReports.fromState(s.reports),
      IdempotencyRecords.fromState(s.idem),
    );
  }
}
