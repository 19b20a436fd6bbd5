// Topics and their choices, kept current by folding events in stream order (README "Topics and
// votes"), the way BlacklistIndex folds games: every engine folds the same events in the same order,
// so topic and choice ids agree everywhere without a central counter. Choice ids are global (one
// sequence for all topics), so a vote's choice_id names one choice. Tallies arrive from the vote
// processor (votes_counted events) and are kept per choice id: a choice kept across a PUT keeps
// its votes. toState()/fromState() are this index's part of the stream snapshot.
//
// Polls (README "Topics and votes"): whether a vote counts is decided here, when its vote_cast is
// folded, so every engine and the syncer decide alike, in stream order, whichever engine took the
// vote and whenever the processor gets to it. A vote queued at or after the topic's end, or a
// second vote of one player on a one-vote topic, is refused: its id waits in `refused` until the
// processor's votes_counted names it, and is then dropped instead of counted. The players who voted
// on each one-vote topic are kept in `voters` (and in the snapshot) for as long as the topic exists.

import type { TopicInput, VotesPerPlayer } from './topic-rules.js';
import { InvalidStateError } from '../../errors.js';

export interface Choice {
  readonly id: number;
  readonly description: string;
}

export interface Topic {
  readonly id: number;
  readonly title: string;
  readonly isActive: boolean;
  /** ms since the epoch, from the clock of the engine that accepted the write. */
  readonly createdMs: number;
  readonly lastUpdMs: number;
  readonly choices: readonly Choice[];
  /** Set on topics created by the topics feed: the feed's own id of the topic. */
  readonly feedKey?: string;
  /** Fixed when the topic is created. */
  readonly votesPerPlayer: VotesPerPlayer;
  /** ms since the epoch: votes queued at or after it are refused; null: no end. */
  readonly endsMs: number | null;
}

/** Why a vote was not counted (its receipt says so). */
export type VoteRefusal = 'already_voted' | 'topic_closed';

/** True once `nowMs` is at or past the topic's end: it takes no more votes. */
export const isClosed = (t: Topic, nowMs: number): boolean => t.endsMs !== null && nowMs >= t.endsMs;

/**
 * A topic in a snapshot: [id, title, isActive, createdMs, lastUpdMs, [choiceId, description][],
 * feedKey?, votesPerPlayer?, endsMs?]. The last three are written only when the topic has a poll
 * setting (feedKey null when it has none); rows without them (older snapshots) are unlimited, no end.
 */
export type TopicState = [
  id: number,
  title: string,
  isActive: boolean,
  createdMs: number,
  lastUpdMs: number,
  choices: [id: number, description: string][],
  feedKey?: string | null,
  votesPerPlayer?: VotesPerPlayer,
  endsMs?: number | null,
];

export interface TopicsState {
  topics: TopicState[];
  nextChoiceId: number;
  /** [choiceId, votes] for every choice with counted votes (dropped choices included). */
  tallies: [choiceId: number, votes: number][];
  /** [topicId, players] of every one-vote topic with a counted vote. Absent in older snapshots. */
  voters?: [topicId: number, players: string[]][];
  /** Refused votes the processor has not named yet. Absent in older snapshots. */
  refused?: string[];
}

export class TopicsIndex {
  private readonly topics = new Map<number, Topic>();
  /** Choice id → its topic's id, for votes. */
  private readonly topicOfChoice = new Map<number, number>();
  private readonly tallies = new Map<number, number>();
  private readonly byFeedKey = new Map<string, number>();
  /** Topic id → the players with a counted vote on it (one-vote topics only). */
  private readonly voters = new Map<number, Set<string>>();
  /** Votes refused at their vote_cast whose votes_counted has not come yet. */
  private readonly refused = new Set<string>();
  private nextChoiceId = 1;
  private counted = 0;
  private changes = 0;

  get all(): readonly Topic[] {
    return [...this.topics.values()];
  }

  get size(): number {
    return this.topics.size;
  }

  /** Bumped by every change (topic or tally): a body serialised at one revision stays valid until the next. */
  get revision(): number {
    return this.changes;
  }

  /** Votes counted over all choices. */
  get votesCounted(): number {
    return this.counted;
  }

  byId(id: number): Topic | undefined {
    return this.topics.get(id);
  }

  /** The topic the topics feed created under this key. */
  byFeed(key: string): Topic | undefined {
    const id = this.byFeedKey.get(key);
    return id === undefined ? undefined : this.topics.get(id);
  }

  /** The topic a choice belongs to now (undefined once a PUT dropped it). */
  topicOf(choiceId: number): Topic | undefined {
    const topicId = this.topicOfChoice.get(choiceId);
    return topicId === undefined ? undefined : this.topics.get(topicId);
  }

  votes(choiceId: number): number {
    return this.tallies.get(choiceId) ?? 0;
  }

  /** True when the player has a vote on this topic that counts (one-vote topics; false on the others). */
  hasVoted(topicId: number, player: string): boolean {
    return this.voters.get(topicId)?.has(player) === true;
  }

  /** Players remembered over all one-vote topics. */
  get votersKept(): number {
    let n = 0;
    for (const set of this.voters.values()) n += set.size;
    return n;
  }

  /**
   * Folds a vote_cast: null when the vote will count, else why not. Decided in stream order, so the
   * first vote of a player on a one-vote topic counts and any later one is refused, on every engine.
   * A vote without a player on a one-vote topic is refused at the door (400) and never reaches here.
   */
  castVote(voteId: string, topicId: number, player: string | undefined, queuedMs: number): VoteRefusal | null {
    const topic = this.topics.get(topicId);
    if (topic === undefined) return null;
    let refusal: VoteRefusal | null = null;
    if (isClosed(topic, queuedMs)) {
      refusal = 'topic_closed';
    } else if (topic.votesPerPlayer === 'one' && player !== undefined) {
      const set = this.voters.get(topicId);
      if (set === undefined) this.voters.set(topicId, new Set([player]));
      else if (set.has(player)) refusal = 'already_voted';
      else set.add(player);
    }
    if (refusal !== null) this.refused.add(voteId);
    return refusal;
  }

  /** Folds the processor's count of one vote: false (and not counted) for a vote refused at its vote_cast. */
  countVote(voteId: string, choiceId: number): boolean {
    if (this.refused.size > 0 && this.refused.delete(voteId)) return false;
    this.addVotes(choiceId, 1);
    return true;
  }

  /** Folds a creation: the next topic id, every choice a new id (ids in the input are ignored). */
  create(input: TopicInput, atMs: number, feedKey?: string): Topic {
    const id = this.topics.size + 1;
    if (feedKey !== undefined) this.byFeedKey.set(feedKey, id);
    return this.put(id, input, atMs, atMs, { votesPerPlayer: input.votes_per_player ?? 'unlimited', endsMs: input.ends_at ?? null }, feedKey);
  }

  /**
   * Folds a replacement: title, is_active and choices. A choice with the id of one of this topic's
   * choices keeps it; any other choice is new. ends_at replaces the end when the input has one (null
   * removes it); votes_per_player never changes. Null for an unknown topic (refused at the door).
   */
  update(id: number, input: TopicInput, atMs: number): Topic | null {
    const old = this.topics.get(id);
    if (old === undefined) return null;
    for (const c of old.choices) this.topicOfChoice.delete(c.id);
    const endsMs = input.ends_at === undefined ? old.endsMs : input.ends_at;
    return this.put(id, input, old.createdMs, atMs, { votesPerPlayer: old.votesPerPlayer, endsMs }, old.feedKey);
  }

  /** Adds counted votes to a choice (the processor's tallies; a dropped choice keeps its count). */
  addVotes(choiceId: number, n: number): void {
    this.tallies.set(choiceId, this.votes(choiceId) + n);
    this.counted += n;
    this.changes++;
  }

  toState(): TopicsState {
    return {
      topics: [...this.topics.values()].map((t) => {
        const row: TopicState = [t.id, t.title, t.isActive, t.createdMs, t.lastUpdMs, t.choices.map((c) => [c.id, c.description])];
        const poll = t.votesPerPlayer !== 'unlimited' || t.endsMs !== null;
        if (t.feedKey !== undefined || poll) row.push(t.feedKey ?? null);
        if (poll) row.push(t.votesPerPlayer, t.endsMs);
        return row;
      }),
      nextChoiceId: this.nextChoiceId,
      tallies: [...this.tallies],
      voters: [...this.voters].map(([id, players]) => [id, [...players]]),
      refused: [...this.refused],
    };
  }

  /** Rebuilds an index from toState(); throws InvalidStateError naming the first bad entry. */
  static fromState(s: TopicsState): TopicsIndex {
    if (typeof s !== 'object' || s === null || !Array.isArray(s.topics) || !Array.isArray(s.tallies) || !isCount(s.nextChoiceId)) {
      throw new InvalidStateError('topics, tallies or nextChoiceId missing');
    }
    const index = new TopicsIndex();
    for (const row of s.topics) {
      const bad = () => new InvalidStateError(`bad topic ${JSON.stringify(row).slice(0, 200)}`);
      if (!Array.isArray(row) || row[0] !== index.topics.size + 1 || typeof row[1] !== 'string' || typeof row[2] !== 'boolean') throw bad();
      const [id, title, isActive, createdMs, lastUpdMs, choices, rawFeedKey, votesPerPlayer = 'unlimited', endsMs = null] = row;
      const feedKey = rawFeedKey ?? undefined;
      if (!isCount(createdMs) || !isCount(lastUpdMs) || !Array.isArray(choices) || (feedKey !== undefined && typeof feedKey !== 'string')) throw bad();
      if ((votesPerPlayer !== 'unlimited' && votesPerPlayer !== 'one') || (endsMs !== null && !Number.isSafeInteger(endsMs))) throw bad();
      const kept: Choice[] = [];
      for (const c of choices) {
        if (!Array.isArray(c) || !isCount(c[0]) || c[0] >= s.nextChoiceId || index.topicOfChoice.has(c[0]) || typeof c[1] !== 'string') throw bad();
        kept.push({ id: c[0], description: c[1] });
        index.topicOfChoice.set(c[0], id);
      }
      index.topics.set(id, { id, title, isActive, createdMs, lastUpdMs, choices: kept, ...(feedKey === undefined ? {} : { feedKey }), votesPerPlayer, endsMs });
      if (feedKey !== undefined) index.byFeedKey.set(feedKey, id);
    }
    for (const pair of s.tallies) {
      if (!Array.isArray(pair) || !isCount(pair[0]) || pair[0] >= s.nextChoiceId || !isCount(pair[1])) {
        throw new InvalidStateError(`bad tally ${JSON.stringify(pair)}`);
      }
      index.addVotes(pair[0], pair[1]);
    }
    for (const entry of s.voters ?? []) {
      const ok = Array.isArray(entry) && index.topics.get(entry[0])?.votesPerPlayer === 'one' && !index.voters.has(entry[0]) && Array.isArray(entry[1]);
      if (!ok || !entry[1].every((p) => typeof p === 'string')) throw new InvalidStateError(`bad voters ${JSON.stringify(entry).slice(0, 200)}`);
      index.voters.set(entry[0], new Set(entry[1]));
    }
    for (const id of s.refused ?? []) {
      if (typeof id !== 'string') throw new InvalidStateError(`bad refused vote ${JSON.stringify(id)}`);
      index.refused.add(id);
    }
    index.nextChoiceId = s.nextChoiceId;
    return index;
  }

  private put(id: number, input: TopicInput, createdMs: number, lastUpdMs: number, poll: Pick<Topic, 'votesPerPlayer' | 'endsMs'>, feedKey?: string): Topic {
    const old = this.topics.get(id);
    const keep = new Set(old?.choices.map((c) => c.id));
    const choices = input.choices.map((c) => ({
      id: c.id !== undefined && keep.has(c.id) ? c.id : this.nextChoiceId++,
      description: c.description,
    }));
    this.changes++;
    const topic: Topic = { id, title: input.title, isActive: input.is_active, createdMs, lastUpdMs, choices, ...(feedKey === undefined ? {} : { feedKey }), ...poll };
    this.topics.set(id, topic);
    for (const c of choices) this.topicOfChoice.set(c.id, id);
    return topic;
  }
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** The wire shape: `{id, created, last_upd, is_active, title, choices:[{id, description, votes}], votes_per_player, ends_at}`. */
export function topicJson(index: TopicsIndex, t: Topic, includeVotes: boolean): Record<string, unknown> {
  return {
    id: t.id,
    created: new Date(t.createdMs).toISOString(),
    last_upd: new Date(t.lastUpdMs).toISOString(),
    is_active: t.isActive,
    title: t.title,
    choices: t.choices.map((c) => ({ id: c.id, description: c.description, votes: includeVotes ? index.votes(c.id) : null })),
    votes_per_player: t.votesPerPlayer,
    ends_at: t.endsMs === null ? null : new Date(t.endsMs).toISOString(),
  };
}
