// The row formats the optional feeds accept (blacklist, topics): one JSON array, or JSON lines.
// Shared so both feeds split documents the same way and judge a broken line the same way: a line
// that does not parse is one bad row (counted as not_json), a document where no line parses is
// not a feed at all.

import { FeedRejectedError } from '../../core/errors.js';

/** Marks a JSON line that does not parse. */
export const NOT_JSON = Symbol('not json');

/** The rows of a JSON array or of JSON lines (blank lines skipped); a line that does not parse is NOT_JSON. */
export function splitFeedRows(text: string, feedName: string): unknown[] {
  const body = text.trim();
  if (body === '') return [];
  if (body.startsWith('[')) {
    try {
      const doc: unknown = JSON.parse(body);
      if (Array.isArray(doc)) return doc;
    } catch {
      // Not an array after all: maybe JSON lines whose first row is an array; judged below.
    }
  }
  const lines = body.split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((line) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return NOT_JSON;
    }
  });
  if (rows.every((r) => r === NOT_JSON)) throw new FeedRejectedError(`${feedName} is neither a JSON array nor JSON lines`);
  return rows;
}
