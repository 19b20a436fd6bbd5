// The lists GET /games and GET /topics answer, whole or a page at a time (README "Pagination"),
// with their ETags (README "Caching"). Without `limit` and `cursor` the answer is the whole JSON
// array, as it always was; with either, `{"items":[…],"next_cursor":…}` in id order.
//
// Both lists have ids 1..n with none missing: ids follow the log's order, a list never loses an
// item, and an update keeps the item's id (TopicsIndex and BlacklistIndex refuse a snapshot whose
// ids skip one). So a page after id k is the ids k+1.., and an item created after a page was read
// has a higher id than any item on it: it shows on a later page. A cursor is the last id of the page
// it came with; it stays valid across every change of the list.
//
// Bodies are built once per revision of the list, not per request: each item's JSON once, the
// whole list once, and each page once while it is among the last MAX_PAGES pages asked for (the
// only cache keyed by what a client sends, hence bounded). A new revision drops them all.

import { errorBody } from '../../core/errors.js';
import { cacheable, type Cacheable } from '../http/conditional.js';

/** The most items a page holds. */
export const MAX_LIMIT = 1000;
/** Items on a page asked for with `cursor` but no `limit`. */
export const DEFAULT_LIMIT = 100;
/** Pages kept per list and revision. */
const MAX_PAGES = 32;

/** The query parameters of a paged list, in this order (a route may put others before them). */
export const PAGE_PARAMS = [
  { name: 'limit', maxLength: 4 },
  { name: 'cursor', maxLength: 64 },
] as const;

// A cursor, version 1: `1`, then the page's last id as 8 base64url digits (48 bits, most significant
// first). Every string of that form is a cursor, so the document's pattern is the server's rule; the
// leading version lets the form change without misreading old cursors.
const CURSOR_VERSION = '1';
const CURSOR_DIGITS = 8;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let d = 0; d < 64; d++) DIGIT_VALUE[BASE64URL.charCodeAt(d)] = d;

/** The cursor for a page whose last id is `id` (0 ≤ id < 2^48). */
export function encodeCursor(id: number): string {
  let digits = '';
  let rest = id;
  for (let i = 0; i < CURSOR_DIGITS; i++) {
    digits = BASE64URL[rest % 64]! + digits;
    rest = Math.floor(rest / 64);
  }
  return CURSOR_VERSION + digits;
}

/** The last id a cursor names, or -1 when `cursor` is not one. */
export function decodeCursor(cursor: string): number {
  if (cursor.length !== CURSOR_DIGITS + 1 || cursor[0] !== CURSOR_VERSION) return -1;
  let id = 0;
  for (let i = 1; i <= CURSOR_DIGITS; i++) {
    const c = cursor.charCodeAt(i);
    const d = c < 128 ? DIGIT_VALUE[c]! : -1;
    if (d < 0) return -1;
    id = id * 64 + d;
  }
  return id;
}

const LIMIT = /^[1-9][0-9]{0,3}$/;
const BAD_LIMIT = errorBody('bad_param', `limit must be an integer from 1 to ${MAX_LIMIT}`);
const BAD_CURSOR = errorBody('bad_param', 'cursor is not one this API gave: send next_cursor as it came');

/**
 * Reads `limit` and `cursor` from a query reader's values (at `limitSlot` and the slot after it).
 * check() is a read door's validate: a 400 body naming the parameter, or null with `paged`, `after`
 * and `limit` set for the handler, which reads them right after the door (synchronously: no other
 * request runs in between).
 */
export class PageQuery {
  paged = false;
  /** Items after this id (0: from the first). */
  after = 0;
  limit = DEFAULT_LIMIT;

  constructor(private readonly limitSlot: number) {}

  readonly check = (values: readonly (string | undefined)[]): Buffer | null => {
    const limit = values[this.limitSlot];
    const cursor = values[this.limitSlot + 1];
    this.paged = limit !== undefined || cursor !== undefined;
    this.limit = DEFAULT_LIMIT;
    this.after = 0;
    if (limit !== undefined) {
      if (!LIMIT.test(limit) || Number(limit) > MAX_LIMIT) return BAD_LIMIT;
      this.limit = Number(limit);
    }
    if (cursor !== undefined) {
      this.after = decodeCursor(cursor);
      if (this.after < 0) return BAD_CURSOR;
    }
    return null;
  };
}

/**
 * One list's bodies at the revision last asked for. `count` is the list's length (its highest id)
 * and `json` an item's JSON text; both see the list as it is at that revision.
 */
export class ListBodies<S extends object> {
  private source: S | null = null;
  private revision = -1;
  private items: (string | undefined)[] = [];
  private ones: (Cacheable | undefined)[] = [];
  private whole: Cacheable | null = null;
  private readonly pages = new Map<number, Cacheable>();

  constructor(
    private readonly count: (source: S) => number,
    private readonly json: (source: S, id: number) => string,
  ) {}

  /** The whole list: `[item,…]`, byte for byte what JSON.stringify of the array writes. */
  all(source: S, revision: number): Cacheable {
    this.sync(source, revision);
    if (this.whole === null) this.whole = cacheable('[' + this.range(source, 1, this.count(source)) + ']');
    return this.whole;
  }

  /** The items after id `after`, at most `limit` of them, with the cursor of the next page (null at the end). */
  page(source: S, revision: number, after: number, limit: number): Cacheable {
    this.sync(source, revision);
    const n = this.count(source);
    const from = Math.min(after, n);
    const key = from * (MAX_LIMIT + 1) + limit;
    let page = this.pages.get(key);
    if (page === undefined) {
      const last = Math.min(from + limit, n);
      const next = last < n ? '"' + encodeCursor(last) + '"' : 'null';
      page = cacheable('{"items":[' + this.range(source, from + 1, last) + '],"next_cursor":' + next + '}');
      if (this.pages.size === MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
      this.pages.set(key, page);
    }
    return page;
  }

  /** One item, or undefined when there is no item with this id. */
  one(source: S, revision: number, id: number): Cacheable | undefined {
    this.sync(source, revision);
    if (id < 1 || id > this.count(source)) return undefined;
    let one = this.ones[id];
    if (one === undefined) {
      one = cacheable(this.item(source, id));
      this.ones[id] = one;
    }
    return one;
  }

  private sync(source: S, revision: number): void {
    if (source === this.source && revision === this.revision) return;
    this.source = source;
    this.revision = revision;
    this.items = [];
    this.ones = [];
    this.whole = null;
    this.pages.clear();
  }

  /** Items first..last, comma-separated. */
  private range(source: S, first: number, last: number): string {
    let out = '';
    for (let id = first; id <= last; id++) out += (id === first ? '' : ',') + this.item(source, id);
    return out;
  }

  private item(source: S, id: number): string {
    let text = this.items[id];
    if (text === undefined) {
      text = this.json(source, id);
      this.items[id] = text;
    }
    return text;
  }
}
