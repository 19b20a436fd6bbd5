// The lists' bodies and pages (engine/routes/list-bodies.ts): cursors, the parameters' rules, the
// whole list byte for byte as JSON.stringify writes it, pages in id order, and bodies built once
// per revision with a bounded number of pages.

import t from 'tap';
import { DEFAULT_LIMIT, ListBodies, MAX_LIMIT, PageQuery, decodeCursor, encodeCursor } from '../../../../engine/routes/list-bodies.js';

const CURSOR = /^1[A-Za-z0-9_-]{8}$/;

t.test('a cursor is 1 then the id in 8 base64url digits; every string of that form decodes, nothing else does', async (t) => {
  for (const id of [0, 1, 2, 63, 64, 4095, 9_999_999_999, 2 ** 48 - 1]) {
    const cursor = encodeCursor(id);
    t.match(cursor, CURSOR, `${id} → ${cursor}`);
    t.equal(decodeCursor(cursor), id);
  }
  t.equal(encodeCursor(1), '1AAAAAAAB');
  t.equal(encodeCursor(20), '1AAAAAAAU');
  for (const s of [`1${'_'.repeat(8)}`, '1-_-_-_-_', '1zzzzzzzz']) t.ok(decodeCursor(s) >= 0, s);
  for (const s of ['', '1', '2AAAAAAAB', '1AAAAAAA', '1AAAAAAAAA', '1AAAA+AAA', '1AAAA=AAA', '1AAAA/AAA', '1AAAA\u00e9AAA', 'nope']) {
    t.equal(decodeCursor(s), -1, JSON.stringify(s));
  }
});

t.test('limit and cursor: paged when either is given; 400 bodies naming them', async (t) => {
  const page = new PageQuery(1);
  const check = (limit?: string, cursor?: string) => {
    const bad = page.check(['ignored', limit, cursor]);
    return bad === null ? { paged: page.paged, after: page.after, limit: page.limit } : JSON.parse(bad.toString());
  };
  t.same(check(), { paged: false, after: 0, limit: DEFAULT_LIMIT });
  t.same(check('1'), { paged: true, after: 0, limit: 1 });
  t.same(check(String(MAX_LIMIT)), { paged: true, after: 0, limit: MAX_LIMIT });
  t.same(check(undefined, '1AAAAAAAK'), { paged: true, after: 10, limit: DEFAULT_LIMIT });
  t.same(check('5', '1AAAAAAAB'), { paged: true, after: 1, limit: 5 });
  for (const limit of ['0', '1001', '01', '-1', '1.5', 'ten', '9999']) {
    t.same(check(limit), { error: 'bad_param', message: 'limit must be an integer from 1 to 1000' }, `limit ${limit}`);
  }
  t.same(check('5', 'nope'), { error: 'bad_param', message: 'cursor is not one this API gave: send next_cursor as it came' });
  t.same(check(), { paged: false, after: 0, limit: DEFAULT_LIMIT }, 'a read after a refused one starts afresh');
});

/** A list of `n` items with ids 1..n, and how often each item was serialised. */
function list(n: number) {
  const source = { items: Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` })) };
  const built: number[] = [];
  const bodies = new ListBodies<typeof source>(
    (s) => s.items.length,
    (s, id) => {
      built.push(id);
      return JSON.stringify(s.items[id - 1]);
    },
  );
  return { source, built, bodies };
}

t.test('the whole list and its pages: JSON.stringify\'s bytes, id order, the next cursor until the end', async (t) => {
  const { source, bodies } = list(5);
  t.equal(bodies.all(source, 0).body.toString(), JSON.stringify(source.items), 'the whole list, byte for byte');
  t.equal(list(0).bodies.all({ items: [] }, 0).body.toString(), '[]');
  const page = (after: number, limit: number) => JSON.parse(bodies.page(source, 0, after, limit).body.toString());
  t.same(page(0, 2), { items: source.items.slice(0, 2), next_cursor: encodeCursor(2) });
  t.same(page(2, 2), { items: source.items.slice(2, 4), next_cursor: encodeCursor(4) });
  t.same(page(4, 2), { items: source.items.slice(4), next_cursor: null });
  t.same(page(0, 5), { items: source.items, next_cursor: null }, 'a page that reaches the end: null');
  t.same(page(5, 2), { items: [], next_cursor: null });
  t.same(page(2 ** 48 - 1, 1000), { items: [], next_cursor: null }, 'past the end: empty');
  t.same(JSON.parse(bodies.one(source, 0, 3)!.body.toString()), source.items[2]);
  t.equal(bodies.one(source, 0, 0), undefined);
  t.equal(bodies.one(source, 0, 6), undefined);
});

t.test('built once per revision: each item serialised once, bodies and ETags kept, all dropped on a new revision', async (t) => {
  const { source, built, bodies } = list(4);
  const whole = bodies.all(source, 7);
  const page = bodies.page(source, 7, 1, 2);
  bodies.one(source, 7, 2);
  t.same(built.sort(), [1, 2, 3, 4], 'each item once');
  t.equal(bodies.all(source, 7), whole, 'the same body again');
  t.equal(bodies.page(source, 7, 1, 2), page);
  t.equal(bodies.page(source, 7, 9, 2), bodies.page(source, 7, 4, 2), 'past the end: one page, whatever the cursor');

  source.items.push({ id: 5, name: 'item 5' });
  const next = bodies.all(source, 8);
  t.not(next, whole);
  t.not(next.tag, whole.tag);
  t.equal(built.length, 4 + 5, 'a new revision serialises again');
  t.equal(bodies.all({ items: [...source.items] }, 8).tag, next.tag, 'another source (a snapshot loaded): rebuilt, same content, same ETag');
});

t.test('pages kept are bounded: the oldest goes first', async (t) => {
  const { source, bodies } = list(100);
  const first = bodies.page(source, 0, 0, 1);
  for (let after = 1; after < 32; after++) bodies.page(source, 0, after, 1);
  t.equal(bodies.page(source, 0, 0, 1), first, '32 pages: all kept');
  bodies.page(source, 0, 50, 1);
  const again = bodies.page(source, 0, 0, 1);
  t.not(again, first, 'a 33rd page pushed out the oldest');
  t.equal(again.tag, first.tag, 'rebuilt the same');
});
