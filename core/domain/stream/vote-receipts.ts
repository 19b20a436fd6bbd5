// What GET /votes/{id} answers from (README "Topics and votes"): each vote's topic, choice, when
// it was queued and, once the processor counted it, when; or, for a vote the fold refused (a second
// vote of a player, a vote after the topic's end), why. A vote's id is the id of its vote_cast
// event in the stream, so it is unique and needs no generator of its own.
//
// Bounded: every engine process keeps a receipt per vote, so only the newest `max` are kept (the
// oldest is dropped first, in fold order, so every engine and the snapshot agree). An older id
// answers 404 like an unknown one; its vote is counted all the same (tallies live in TopicsIndex).
// 176 B per receipt (heap used after GC, 250k receipts with "<ms>-<seq>" ids), so the default
// 250k costs ~44 MB in every server process.

import { InvalidStateError } from '../../errors.js';
import { CappedMap } from './capped-map.js';
import type { VoteRefusal } from './topics-index.js';

export interface VoteReceipt {
  readonly topicId: number;
  readonly choiceId: number;
  readonly queuedMs: number;
  /** When the processor counted it; 0 while queued (and for ever when refused). */
  countedMs: number;
  /** Set when the fold refused the vote: it is never counted. */
  readonly refused?: VoteRefusal;
}

/** A receipt in a snapshot: [voteId, topicId, choiceId, queuedMs, countedMs (0 = queued), refusal?]. */
export type ReceiptState = [id: string, topicId: number, choiceId: number, queuedMs: number, countedMs: number, refused?: VoteRefusal];

const refusals: readonly unknown[] = ['already_voted', 'topic_closed'] satisfies VoteRefusal[];

export const DEFAULT_VOTE_RECEIPTS = 250_000;

export class VoteReceipts {
  private readonly receipts: CappedMap<string, VoteReceipt>;
  private cast = 0;

  constructor(readonly max: number = DEFAULT_VOTE_RECEIPTS) {
    this.receipts = new CappedMap(max);
  }

  get size(): number {
    return this.receipts.size;
  }

  /** Votes cast since the stream began (receipts dropped or not). */
  get votesCast(): number {
    return this.cast;
  }

  get(id: string): VoteReceipt | undefined {
    return this.receipts.get(id);
  }

  queued(id: string, topicId: number, choiceId: number, queuedMs: number, refused: VoteRefusal | null = null): void {
    this.cast++;
    this.receipts.add(id, refused === null ? { topicId, choiceId, queuedMs, countedMs: 0 } : { topicId, choiceId, queuedMs, countedMs: 0, refused });
  }

  /** Marks a vote counted; a receipt already dropped stays dropped. */
  counted(id: string, atMs: number): void {
    const r = this.receipts.get(id);
    if (r !== undefined) r.countedMs = atMs;
  }

  toState(): { cast: number; receipts: ReceiptState[] } {
    const receipts: ReceiptState[] = [];
    for (const [id, r] of this.receipts.entries()) {
      receipts.push(r.refused === undefined ? [id, r.topicId, r.choiceId, r.queuedMs, r.countedMs] : [id, r.topicId, r.choiceId, r.queuedMs, r.countedMs, r.refused]);
    }
    return { cast: this.cast, receipts };
  }

  /** Rebuilds from toState(), keeping the newest `max`; throws InvalidStateError on a bad entry. */
  static fromState(s: { cast: number; receipts: ReceiptState[] }, max: number): VoteReceipts {
    if (typeof s !== 'object' || s === null || !Array.isArray(s.receipts) || !isCount(s.cast)) throw new InvalidStateError('votes missing');
    const v = new VoteReceipts(max);
    for (const r of s.receipts) {
      if (!Array.isArray(r) || typeof r[0] !== 'string' || !isCount(r[1]) || !isCount(r[2]) || !isCount(r[3]) || !isCount(r[4]) || (r[5] !== undefined && !refusals.includes(r[5]))) {
        throw new InvalidStateError(`bad vote receipt ${JSON.stringify(r).slice(0, 200)}`);
      }
      if (v.receipts.has(r[0])) throw new InvalidStateError(`vote receipt ${r[0]} listed twice`);
      v.receipts.add(r[0], r[5] === undefined ? { topicId: r[1], choiceId: r[2], queuedMs: r[3], countedMs: r[4] } : { topicId: r[1], choiceId: r[2], queuedMs: r[3], countedMs: r[4], refused: r[5] });
    }
    v.cast = s.cast;
    return v;
  }
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
