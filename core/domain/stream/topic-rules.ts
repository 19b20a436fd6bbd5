// Input rules of the voting contract (README "Topics and votes"), pure: what a valid topic body
// is for POST /topics and PUT /topics/{id}, normalised before it becomes an event, and what a
// vote's player_id is. A choice sent with an id keeps that choice (and its votes) on PUT; one
// without an id is new. `votes_per_player` and `ends_at` left out of a body stay undefined: a
// creation takes the defaults (unlimited, no end), a PUT keeps the topic's own.

import { MAX_ID, parseId } from '../fields.js';
import { readInstant } from '../ads/campaign.js';
import { InputError } from '../../errors.js';

export const MAX_TITLE = 200;
export const MAX_DESCRIPTION = 200;
export const MAX_CHOICES = 50;
/** A vote's player_id: the same rule as GET /ad_request's, so a game can use one id for both. */
export const MAX_PLAYER_ID = 128;
const PLAYER_ID = /^[\x20-\x7e]{1,128}$/;

/** How many counted votes a player may have on a topic: `one` needs a player_id on every vote. */
export type VotesPerPlayer = 'unlimited' | 'one';
export const votesPerPlayerValues: readonly VotesPerPlayer[] = ['unlimited', 'one'];

export interface ChoiceInput {
  /** Present on PUT for a choice that keeps its id (and votes). */
  id?: number;
  description: string;
}

export interface TopicInput {
  title: string;
  is_active: boolean;
  choices: ChoiceInput[];
  /** Absent: unlimited on creation, unchanged on PUT (it cannot change once the topic exists). */
  votes_per_player?: VotesPerPlayer;
  /** ms since the epoch, or null for no end. Absent: no end on creation, unchanged on PUT. */
  ends_at?: number | null;
}

/** Validates a topic body; throws InputError('bad_body') naming the first problem. */
export function parseTopicBody(body: unknown): TopicInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InputError('bad_body', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const title = typeof b.title === 'string' ? b.title.trim() : null;
  if (title === null || title.length === 0 || title.length > MAX_TITLE) {
    throw new InputError('bad_body', `title is required: a string of 1 to ${MAX_TITLE} characters`);
  }
  if (b.is_active !== undefined && typeof b.is_active !== 'boolean') throw new InputError('bad_body', 'is_active must be true or false');
  if (!Array.isArray(b.choices) || b.choices.length === 0 || b.choices.length > MAX_CHOICES) {
    throw new InputError('bad_body', `choices is required: an array of 1 to ${MAX_CHOICES} {"description"} objects`);
  }
  const seen = new Set<number>();
  const choices = b.choices.map((c: unknown, i: number): ChoiceInput => {
    const d = typeof c === 'object' && c !== null ? (c as Record<string, unknown>).description : undefined;
    const description = typeof d === 'string' ? d.trim() : '';
    if (description.length === 0 || description.length > MAX_DESCRIPTION) {
      throw new InputError('bad_body', `choices[${i}].description is required: a string of 1 to ${MAX_DESCRIPTION} characters`);
    }
    const rawId = (c as Record<string, unknown>).id;
    if (rawId === undefined || rawId === null) return { description };
    const id = parseId(rawId);
    if (id === null) throw new InputError('bad_body', `choices[${i}].id must be a positive integer (at most ${MAX_ID}) or null`);
    if (seen.has(id)) throw new InputError('bad_body', `choices[${i}].id ${id} is listed twice`);
    seen.add(id);
    return { id, description };
  });
  const topic: TopicInput = { title, is_active: b.is_active ?? true, choices };
  if (b.votes_per_player !== undefined) {
    if (!votesPerPlayerValues.includes(b.votes_per_player as VotesPerPlayer)) throw new InputError('bad_body', 'votes_per_player must be "unlimited" or "one"');
    topic.votes_per_player = b.votes_per_player as VotesPerPlayer;
  }
  if (b.ends_at !== undefined) {
    const endsAt = b.ends_at === null ? null : readInstant(b.ends_at);
    if (b.ends_at !== null && typeof endsAt !== 'number') {
      throw new InputError('bad_body', 'ends_at must be an ISO-8601 instant with its offset (e.g. "2026-12-01T18:00:00Z") or null');
    }
    topic.ends_at = endsAt ?? null;
  }
  return topic;
}

/** A vote's optional player_id: undefined when absent or null, else 1–128 printable ASCII characters. */
export function parsePlayerId(body: unknown): string | undefined {
  const v = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).player_id : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !PLAYER_ID.test(v)) {
    throw new InputError('bad_body', `player_id must be a string of 1 to ${MAX_PLAYER_ID} printable ASCII characters (space to ~)`);
  }
  return v;
}
