// Lists and caches over real HTTP (README "Pagination", "Caching"): GET /games and GET /topics
// whole by default and a page at a time with `limit` and `cursor`; bad paging input a 400 naming
// the parameter; ETag and Cache-Control on the cacheable reads, 304 on a matching If-None-Match;
// the same ETag for the same content from another server process and after a restart.

import { hash } from 'node:crypto';
import t, { type Test } from 'tap';
import { Agent, request } from 'undici';
import { eventually } from '../helpers/eventually.js';
import { httpClient, type Reply, type TestClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';

const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });

function api(http: TestClient, url: string) {
  return {
    createGame: (name: string) => http.send('POST', `${url}/games`, JSON.stringify({ name }), json(ADMIN_KEY)),
    createTopic: (title: string) => http.send('POST', `${url}/topics`, JSON.stringify({ title, choices: [{ description: 'a' }, { description: 'b' }] }), json(ADMIN_KEY)),
    updateTopic: (id: number, title: string) => http.send('PUT', `${url}/topics/${id}`, JSON.stringify({ title, choices: [{ id: id * 2, description: 'b' }] }), json(ADMIN_KEY)),
    vote: (topicId: number, choiceId: number) => http.send('POST', `${url}/votes`, JSON.stringify({ topic_id: topicId, choice_id: choiceId }), json(GAME_KEY)),
    get: (path: string, headers: Record<string, string> = {}) => http.get(`${url}${path}`, { 'x-api-key': GAME_KEY, ...headers }),
  };
}

interface Page {
  items: { id: number }[];
  next_cursor: string | null;
}

/** Every page of `path` with `limit` from `cursor` on, following next_cursor; asserts each page's shape on the way. */
async function pages(t: Test, get: (path: string) => Promise<Reply>, path: string, limit: number, from: string | null = null): Promise<Page[]> {
  const out: Page[] = [];
  const join = path.includes('?') ? '&' : '?';
  let cursor = from;
  do {
    const r = await get(`${path}${join}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    t.equal(r.status, 200, `${path} page ${out.length + 1}: 200`);
    t.same(Object.keys(r.body as object), ['items', 'next_cursor'], 'a page is {items, next_cursor}');
    const page = r.body as Page;
    out.push(page);
    cursor = page.next_cursor;
    if (out.length > 50) throw new Error('next_cursor never ends');
  } while (cursor !== null);
  return out;
}

const ids = (list: unknown): number[] => (list as { id: number }[]).map((x) => x.id);

t.test('GET /games and GET /topics: the whole array by default, pages in id order with limit and cursor', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const a = api(http, eng.url);
  for (let i = 1; i <= 5; i++) t.equal((await a.createGame(`Game ${i}`)).status, 201);
  for (let i = 1; i <= 5; i++) t.equal((await a.createTopic(`Topic ${i}`)).status, 201);

  // The default: the whole array, exactly as before paging existed.
  const games = await a.get('/games');
  t.equal(games.status, 200);
  t.equal(games.text, JSON.stringify([1, 2, 3, 4, 5].map((id) => ({ id, name: `Game ${id}` }))), 'the whole array, byte for byte');
  const topics = await a.get('/topics');
  t.same(ids(topics.body), [1, 2, 3, 4, 5]);
  t.equal(topics.text, JSON.stringify(topics.body), 'compact JSON, as JSON.stringify writes it');

  // Pages of 2: 1-2, 3-4, 5; their items are the whole list's, in order.
  for (const [path, whole] of [
    ['/games', games],
    ['/topics', topics],
  ] as const) {
    const got = await pages(t, a.get, path, 2);
    t.same(got.map((p) => ids(p.items)), [[1, 2], [3, 4], [5]], `${path}: three pages`);
    t.same(got.flatMap((p) => p.items), whole.body, `${path}: the pages hold the whole list`);
    t.match(got[0]!.next_cursor, /^1[A-Za-z0-9_-]{8}$/, 'a cursor is opaque text');
    t.same(ids((await pages(t, a.get, path, 5))[0]!.items), [1, 2, 3, 4, 5], `${path}: a page of exactly all: next_cursor null`);
    t.same(ids((await pages(t, a.get, path, 1000))[0]!.items), [1, 2, 3, 4, 5], `${path}: limit 1000`);
  }

  // limit alone: the first page; cursor alone: the rest (up to 100).
  const first = (await a.get('/games?limit=3')).body as Page;
  t.same(ids(first.items), [1, 2, 3]);
  t.match(await a.get(`/games?cursor=${first.next_cursor}`), { status: 200, body: { items: [{ id: 4 }, { id: 5 }], next_cursor: null } }, 'cursor without limit');

  // Created after page one was read: on a later page; a topic updated keeps its place.
  const topicPage = (await a.get('/topics?limit=2')).body as Page;
  t.equal((await a.createGame('Game 6')).status, 201);
  t.equal((await a.createTopic('Topic 6')).status, 201);
  t.equal((await a.updateTopic(1, 'Topic 1, renamed')).status, 200);
  const gamesAfter = await pages(t, a.get, '/games', 2, first.next_cursor);
  t.same(gamesAfter.map((p) => ids(p.items)), [[4, 5], [6]], 'the new game on the last page');
  const topicsAfter = await pages(t, a.get, '/topics', 2, topicPage.next_cursor);
  t.same(topicsAfter.map((p) => ids(p.items)), [[3, 4], [5, 6]], 'the new topic on a later page');
  t.match((await a.get('/topics?limit=1')).body, { items: [{ id: 1, title: 'Topic 1, renamed' }] }, 'the updated topic keeps its id and place');

  // include_votes on pages.
  t.equal((await a.vote(2, 3)).status, 202);
  await startVoteProcessor(t, eng.events);
  const secondTopic = ((await a.get('/topics?limit=1')).body as Page).next_cursor;
  const counted = await eventually(
    () => a.get(`/topics?include_votes=true&limit=1&cursor=${secondTopic}`),
    (r) => (r.body as { items: { choices: { votes: number }[] }[] }).items[0]?.choices[0]?.votes === 1,
    10_000,
    'the vote counted on page two',
    25,
  );
  t.same((counted.body as { items: { choices: unknown[] }[] }).items[0]!.choices, [{ id: 3, description: 'a', votes: 1 }, { id: 4, description: 'b', votes: 0 }]);
  t.same((await a.get('/topics?limit=1&cursor=1AAAAAAAB')).body, { items: [(await a.get('/topics/2')).body], next_cursor: '1AAAAAAAC' }, 'votes null without include_votes');
  t.match(await a.get('/games?cursor=1AAAAAAAz'), { status: 200, body: { items: [], next_cursor: null } }, 'a cursor past the end: an empty last page');
});

t.test('bad limit or cursor: 400 bad_param naming it', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const a = api(httpClient(t), eng.url);
  const limitMessage = 'limit must be an integer from 1 to 1000';
  const cursorMessage = 'cursor is not one this API gave: send next_cursor as it came';
  for (const path of ['/games', '/topics', '/topics?include_votes=true']) {
    const join = path.includes('?') ? '&' : '?';
    for (const [query, message] of [
      ['limit=0', limitMessage],
      ['limit=1001', limitMessage],
      ['limit=01', limitMessage],
      ['limit=-1', limitMessage],
      ['limit=1.5', limitMessage],
      ['limit=ten', limitMessage],
      ['limit=', 'limit is empty'],
      ['limit=10000', 'limit is too long'],
      ['limit=1&limit=2', 'limit is given more than once'],
      ['cursor=nope', cursorMessage],
      ['cursor=2AAAAAAAB', cursorMessage],
      ['cursor=1AAAAAAA', cursorMessage],
      ['cursor=1AAAAAAAAB', cursorMessage],
      ['cursor=1AAAA%2BAAA', cursorMessage],
      ['cursor=1AAAAAAA%C3%A9', 'cursor must be printable ASCII'],
      ['limit=5&cursor=x', cursorMessage],
      [`cursor=${'A'.repeat(65)}`, 'cursor is too long'],
    ] as const) {
      const r = await a.get(`${path}${join}${query}`);
      t.same({ status: r.status, body: r.body }, { status: 400, body: { error: 'bad_param', message } }, `${path} ${query}`);
    }
  }
});

const etagOf = (text: string): string => `"${hash('sha256', text, 'base64url').slice(0, 22)}"`;

t.test('ETag and Cache-Control on the cacheable reads; 304 when If-None-Match matches', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const a = api(http, eng.url);
  await a.createGame('Space Raiders');
  await a.createTopic('Best map?');
  const receipt = ((await a.vote(1, 1)).body as { id: string }).id;

  for (const [path, cacheControl, status] of [
    ['/games', 'private, no-cache', 200],
    ['/games?limit=1', 'private, no-cache', 200],
    ['/topics', 'private, no-cache', 200],
    ['/topics?include_votes=true&limit=5', 'private, no-cache', 200],
    ['/topics/1', 'private, no-cache', 200],
    ['/topics/1?include_votes=true', 'private, no-cache', 200],
    [`/votes/${receipt}`, 'private, no-cache', 202],
    ['/openapi.json', 'public, max-age=300', 200],
  ] as const) {
    const r = await a.get(path);
    t.equal(r.status, status, `${path}: ${status}`);
    const etag = String(r.headers.etag);
    t.equal(etag, etagOf(r.text), `${path}: a strong ETag, from the body's bytes`);
    t.equal(r.headers['cache-control'], cacheControl, `${path}: Cache-Control ${cacheControl}`);
    t.equal(String((await a.get(path)).headers.etag), etag, `${path}: the same ETag again`);
    // Another tag of the same form: its first character changed (to one it is not already).
    const other = `"${etag[1] === '_' ? '-' : '_'}${etag.slice(2)}`;
    for (const [what, ifNoneMatch] of [
      ['the ETag', etag],
      ['the ETag in a list', `"abc", ${other},${etag} , "x"`],
      ['the weak form (weak comparison)', `W/${etag}`],
      ['*', '*'],
    ] as const) {
      const notModified = await a.get(path, { 'if-none-match': ifNoneMatch });
      t.same(
        { status: notModified.status, text: notModified.text, etag: notModified.headers.etag, cacheControl: notModified.headers['cache-control'], length: notModified.headers['content-length'] },
        { status: 304, text: '', etag, cacheControl, length: undefined },
        `${path}, If-None-Match ${what}: 304, the ETag and Cache-Control, no body`,
      );
    }
    for (const [what, ifNoneMatch] of [
      ['another ETag', other],
      ['a list without it', `"abc", W/${other}`],
      ['the ETag unquoted', etag.slice(1, -1)],
      ['a malformed list', `"abc" ${etag}`],
      ['an unterminated tag', etag.slice(0, -1)],
    ] as const) {
      const full = await a.get(path, { 'if-none-match': ifNoneMatch });
      t.same({ status: full.status, text: full.text, etag: full.headers.etag }, { status, text: r.text, etag }, `${path}, If-None-Match ${what}: the whole answer`);
    }
  }

  // A write changes the body and so the ETag; a 304 is only for the current one.
  const before = String((await a.get('/games')).headers.etag);
  const beforeTopics = String((await a.get('/topics/1')).headers.etag);
  await a.createGame('Kart Chaos');
  await a.updateTopic(1, 'Best map ever?');
  const after = await a.get('/games', { 'if-none-match': before });
  t.equal(after.status, 200, 'a new game: the old ETag no longer matches');
  t.not(after.headers.etag, before);
  t.equal(after.headers.etag, etagOf(after.text));
  t.equal((await a.get('/topics/1', { 'if-none-match': beforeTopics })).status, 200, 'an updated topic: its old ETag no longer matches');

  // Errors carry no ETag and are never 304.
  const missing = await a.get('/topics/9', { 'if-none-match': '*' });
  t.equal(missing.status, 404);
  t.equal(missing.headers.etag, undefined);
  t.equal((await a.get('/games?limit=0', { 'if-none-match': '*' })).status, 400);
  t.equal((await http.get(`${eng.url}/games`, { 'if-none-match': '*' })).status, 401, 'a key is still needed');

  const metrics = await http.get(`${eng.internalUrl}/metrics`);
  t.match(metrics.text, /engine_http_requests_total\{route="games",status="304"\} [1-9]/, '304s counted under their own status');
});

t.test('the same content has the same ETag in another server process and after a restart', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], workers: 2 });
  const http = httpClient(t, 16);
  const a = api(http, eng.url);
  for (let i = 1; i <= 3; i++) await a.createGame(`Game ${i}`);
  for (let i = 1; i <= 3; i++) await a.createTopic(`Topic ${i}`);
  const paths = ['/games', '/games?limit=2', '/topics', '/topics?limit=2&include_votes=true', '/topics/2'];
  // Two worker processes, each with its own fold and its own bodies. Fresh connections land on
  // either; once every answer shows the writes, every answer agrees, ETag and body.
  const sample = async (path: string): Promise<Set<string>> => {
    const answers = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const agent = new Agent({ connections: 1 });
      const r = await request(`${eng.url}${path}`, { headers: { 'x-api-key': GAME_KEY }, dispatcher: agent });
      answers.add(`${r.statusCode} ${String(r.headers.etag)} ${await r.body.text()}`);
      await agent.close();
    }
    return answers;
  };
  await eventually(() => sample('/topics'), (s) => [...s].every((x) => x.includes('Topic 3')), 10_000, 'both workers folded the topics');
  await eventually(() => sample('/games'), (s) => [...s].every((x) => x.includes('Game 3')), 10_000, 'both workers folded the games');
  const etags = new Map<string, string>();
  for (const path of paths) {
    // Both workers have folded every write (above): from here a difference in body or ETag between
    // them never goes away, and the wait fails.
    const answers = await eventually(() => sample(path), (s) => s.size === 1, 10_000, `${path}: one body and one ETag from every connection`);
    t.equal(answers.size, 1, `${path}: one body and one ETag from every connection, whichever worker took it`);
    etags.set(path, [...answers][0]!.split(' ')[1]!);
  }

  await eng.stop();
  const again = await startTestEngine(t, { dir: eng.dir });
  const b = api(http, again.url);
  for (const path of paths) {
    const r = await eventually(() => b.get(path), (x) => x.status === 200, 10_000, `${path} after the restart`);
    t.equal(r.headers.etag, etags.get(path), `${path}: the same ETag after a restart`);
    t.equal((await b.get(path, { 'if-none-match': etags.get(path)! })).status, 304, `${path}: a client's ETag from before the restart still matches`);
  }
});
