// Everything the events stream folds into (docs/architecture.md "Data flow"): the games registry and ban records,
// the topics with their vote tallies, the vote receipts, and the ad reports. Engines and the syncer fold the same
// events in the same order (events.ts), so they reach the same state; the stream snapshot is
// this state at a stream offset, which is why all three parts travel in it: trimming the stream
// behind a snapshot must not lose a topic or a vote.

import { InvalidStateError } from '../../errors.js';
import { BlacklistIndex, type BlacklistState } from './blacklist-index.js';
import { TopicsIndex, type TopicsState } from './topics-index.js';
import { AdReports, type ReportsState } from './ad-reports.js';
import { DEFAULT_VOTE_RECEIPTS, VoteReceipts, type ReceiptState } from './vote-receipts.js';

export interface StreamStateData {
  blacklist: BlacklistState;
  topics: TopicsState;
  votes: { cast: number; receipts: ReceiptState[] };
  /** Absent in snapshots written before reports existed. */
  reports?: ReportsState;
}

export class StreamState {
  constructor(
    readonly blacklist = new BlacklistIndex(),
    readonly topics = new TopicsIndex(),
    readonly votes = new VoteReceipts(DEFAULT_VOTE_RECEIPTS),
    readonly reports = new AdReports(),
  ) {}

  /** An empty state keeping at most `voteReceipts` receipts. */
  static empty(voteReceipts: number): StreamState {
    return new StreamState(new BlacklistIndex(), new TopicsIndex(), new VoteReceipts(voteReceipts));
  }

  /** Folds an erasure (README "Erasure"): every part of the state that may hold the email forgets it. The reports removed. */
  erase(email: string): number {
    return this.blacklist.erase(email);
  }

  /** The state to snapshot; reports expired at `nowMs` are left out (0: none is). */
  toState(nowMs = 0): StreamStateData {
    return { blacklist: this.blacklist.toState(nowMs), topics: this.topics.toState(), votes: this.votes.toState(), reports: this.reports.toState() };
  }

  /** Rebuilds from toState(); throws InvalidStateError naming the first bad entry. */
  static fromState(s: StreamStateData, voteReceipts: number): StreamState {
    if (typeof s !== 'object' || s === null) throw new InvalidStateError('state is not an object');
    return new StreamState(
      BlacklistIndex.fromState(s.blacklist),
      TopicsIndex.fromState(s.topics),
      VoteReceipts.fromState(s.votes, voteReceipts),
      AdReports.fromState(s.reports),
    );
  }
}
