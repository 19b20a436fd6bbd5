// Topics and their choices, kept current by folding events in stream order (README "Topics and
// votes"), the way BlacklistIndex folds games: every engine folds the same events in the same order,
// so topic and choice ids agree everywhere without a central counter. Choice ids are global (one
// sequence for all topics), so a vote's choice_id names one choice. Tallies arrive from the vote
// processor (votes_counted events) and are kept per choice id: a choice kept across a PUT keeps
// its votes. toState()/fromState() are this index's part of the stream snapshot.

import type { TopicInput } from './topic-rules.js';
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
}

/** A topic in a snapshot: [id, title, isActive, createdMs, lastUpdMs, [choiceId, description][], feedKey?]. */
export type TopicState = [
  id: number,
  title: string,
  isActive: boolean,
  createdMs: number,
  lastUpdMs: number,
  choices: [id: number, description: string][],
  feedKey?: string,
];

export interface TopicsState {
  topics: TopicState[];
  nextChoiceId: number;
  /** [choiceId, votes] for every choice with counted votes (dropped choices included). */
  tallies: [choiceId: number, votes: number][];
}

export class TopicsIndex {
  private readonly topics = new Map<number, Topic>();
  /** Choice id → its topic's id, for votes. */
  private readonly topicOfChoice = new Map<number, number>();
  private readonly tallies = new Map<number, number>();
  private readonly byFeedKey = new Map<string, number>();
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

  /** Folds a creation: the next topic id, every choice a new id (ids in the input are ignored). */
  create(input: TopicInput, atMs: number, feedKey?: string): Topic {
    const id = this.topics.size + 1;
    if (feedKey !== undefined) this.byFeedKey.set(feedKey, id);
    return this.put(id, input, atMs, atMs, feedKey);
  }

  /**
   * Folds a replacement: title, is_active and choices. A choice with the id of one of this topic's
   * choices keeps it; any other choice is new. Null for an unknown topic (refused at the door).
   */
  update(id: number, input: TopicInput, atMs: number): Topic | null {
    const old = this.topics.get(id);
    if (old === undefined) return null;
    for (const c of old.choices) this.topicOfChoice.delete(c.id);
    return this.put(id, input, old.createdMs, atMs, old.feedKey);
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
        if (t.feedKey !== undefined) row.push(t.feedKey);
        return row;
      }),
      nextChoiceId: this.nextChoiceId,
      tallies: [...this.tallies],
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
      const [id, title, isActive, createdMs, lastUpdMs, choices, feedKey] = row;
      if (!isCount(createdMs) || !isCount(lastUpdMs) || !Array.isArray(choices) || (feedKey !== undefined && typeof feedKey !== 'string')) throw bad();
      const kept: Choice[] = [];
      for (const c of choices) {
        if (!Array.isArray(c) || !isCount(c[0]) || c[0] >= s.nextChoiceId || index.topicOfChoice.has(c[0]) || typeof c[1] !== 'string') throw bad();
        kept.push({ id: c[0], description: c[1] });
        index.topicOfChoice.set(c[0], id);
      }
      index.topics.set(id, { id, title, isActive, createdMs, lastUpdMs, choices: kept, ...(feedKey === undefined ? {} : { feedKey }) });
      if (feedKey !== undefined) index.byFeedKey.set(feedKey, id);
    }
    for (const pair of s.tallies) {
      if (!Array.isArray(pair) || !isCount(pair[0]) || pair[0] >= s.nextChoiceId || !isCount(pair[1])) {
        throw new InvalidStateError(`bad tally ${JSON.stringify(pair)}`);
      }
      index.addVotes(pair[0], pair[1]);
    }
    index.nextChoiceId = s.nextChoiceId;
    return index;
  }

  private put(id: number, input: TopicInput, createdMs: number, lastUpdMs: number, feedKey?: string): Topic {
    const old = this.topics.get(id);
    const keep = new Set(old?.choices.map((c) => c.id));
    const choices = input.choices.map((c) => ({
      id: c.id !== undefined && keep.has(c.id) ? c.id : this.nextChoiceId++,
      description: c.description,
    }));
    this.changes++;
    const topic: Topic = { id, title: input.title, isActive: input.is_active, createdMs, lastUpdMs, choices, ...(feedKey === undefined ? {} : { feedKey }) };
    this.topics.set(id, topic);
    for (const c of choices) this.topicOfChoice.set(c.id, id);
    return topic;
  }
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** The wire shape: `{id, created, last_upd, is_active, title, choices:[{id, description, votes}]}`. */
export function topicJson(index: TopicsIndex, t: Topic, includeVotes: boolean): Record<string, unknown> {
  return {
    id: t.id,
    created: new Date(t.createdMs).toISOString(),
    last_upd: new Date(t.lastUpdMs).toISOString(),
    is_active: t.isActive,
    title: t.title,
    choices: t.choices.map((c) => ({ id: c.id, description: c.description, votes: includeVotes ? index.votes(c.id) : null })),
  };
}
