// Fields of a JSON object body, read against the API's rules: a missing or malformed field is an
// InputError naming it. Used by the routes (bodies, path ids) and by the feeds the syncer merges.

import { InputError } from '../errors.js';

/** A string field of a JSON object body, or a InputError naming it. */
export function stringField(body: unknown, name: string): string {
  const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string') throw new InputError('bad_body', `${name} is required and must be a string`);
  return value;
}

/**
 * The largest id (games, topics, choices) anything accepts: ten digits, far above what the fold of
 * the event log hands out, and the same in a body and in a path (/topics/{id}).
 */
export const MAX_ID = 9_999_999_999;
const ID_DIGITS = /^[1-9][0-9]{0,9}$/;

/**
 * The one id rule of bodies and paths: an integer 1..MAX_ID, as a JSON number or as the string of
 * its digits (older clients send ids as strings; no sign, no leading zero); null otherwise.
 */
export function parseId(value: unknown): number | null {
  if (typeof value === 'string') return ID_DIGITS.test(value) ? Number(value) : null;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID ? value : null;
}

/** An id field (parseId), or a InputError naming it. */
export function idField(body: unknown, name: string): number {
  const id = parseId(typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined);
  if (id === null) throw new InputError('bad_body', `${name} is required and must be a positive integer (at most ${MAX_ID})`);
  return id;
}
