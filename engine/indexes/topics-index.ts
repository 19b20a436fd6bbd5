// Topics and their choices, kept current by folding events in stream order (DESIGN.md "Topics and
// votes"), the way BlacklistIndex folds games: every engine folds the same events in the same order,
// so topic and choice ids agree everywhere without a central counter. Choice ids are global (one
// sequence for all topics), so a vote's choice_id names one choice. Tallies arrive from the vote
// processor (issue 5) and are kept per choice id: a choice kept across a PUT keeps its votes.

import type { TopicInput } from '../decision/topics.js';

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
}

export class TopicsIndex {
  private readonly topics = new Map<number, Topic>();
  /** Choice id → its topic's id, for votes. */
  private readonly topicOfChoice = new Map<number, number>();
  private readonly tallies = new Map<number, number>();
  private nextChoiceId = 1;

  get all(): readonly Topic[] {
    return [...this.topics.values()];
  }

  byId(id: number): Topic | undefined {
    return this.topics.get(id);
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
  create(input: TopicInput, atMs: number): Topic {
    const id = this.topics.size + 1;
    return this.put(id, input, atMs, atMs);
  }

  /**
   * Folds a replacement: title, is_active and choices. A choice with the id of one of this topic's
   * choices keeps it; any other choice is new. Null for an unknown topic (refused at the door).
   */
  update(id: number, input: TopicInput, atMs: number): Topic | null {
    const old = this.topics.get(id);
    if (old === undefined) return null;
    for (const c of old.choices) this.topicOfChoice.delete(c.id);
    return this.put(id, input, old.createdMs, atMs);
  }

  /** Adds counted votes to a choice (the processor's tallies; a dropped choice keeps its count). */
  addVotes(choiceId: number, n: number): void {
    this.tallies.set(choiceId, this.votes(choiceId) + n);
  }

  private put(id: number, input: TopicInput, createdMs: number, lastUpdMs: number): Topic {
    const old = this.topics.get(id);
    const keep = new Set(old?.choices.map((c) => c.id));
    const choices = input.choices.map((c) => ({
      id: c.id !== undefined && keep.has(c.id) ? c.id : this.nextChoiceId++,
      description: c.description,
    }));
    const topic: Topic = { id, title: input.title, isActive: input.is_active, createdMs, lastUpdMs, choices };
    this.topics.set(id, topic);
    for (const c of choices) this.topicOfChoice.set(c.id, id);
    return topic;
  }
}

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
