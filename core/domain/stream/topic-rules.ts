// Input rules of the voting contract (README "Topics and votes"), pure: what a valid topic body
// is for POST /topics and PUT /topics/{id}, normalised before it becomes an event. A choice sent
// with an id keeps that choice (and its votes) on PUT; one without an id is new.

import { MAX_ID, parseId } from '../fields.js';
import { InputError } from '../../errors.js';

export const MAX_TITLE = 200;
export const MAX_DESCRIPTION = 200;
export const MAX_CHOICES = 50;

export interface ChoiceInput {
  /** Present on PUT for a choice that keeps its id (and votes). */
  id?: number;
  description: string;
}

export interface TopicInput {
  title: string;
  is_active: boolean;
  choices: ChoiceInput[];
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
  return { title, is_active: b.is_active ?? true, choices };
}
