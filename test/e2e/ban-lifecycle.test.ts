// The players' side of the game-ban contract over real HTTP (README "Ban lifecycle", "Erasure"):
// reports that expire, one game's reports revoked, an email erased, one game's view of a player,
// many players in one check; on one engine, on a second engine folding the same log, and after a
// restart from a snapshot.

import t from 'tap';
import { ManualClock } from '../../core/runtime/clock.js';
import { httpClient, type TestClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { streamJobs } from '../helpers/stream-jobs.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);
const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });
const ban = (reason: string, games: number, recent: number) => ({ most_common_reason: reason, number_of_games_reported: games, times_reported_last_90_days: recent });

function api(http: TestClient, url: string) {
  return {
    createGame: (name: string) => http.send('POST', `${url}/games`, JSON.stringify({ name }), json(ADMIN_KEY)),
    report: (body: unknown) => http.send('POST', `${url}/blacklist`, JSON.stringify(body), json(GAME_KEY)),
    check: (email: string, game?: number | string) =>
      http.get(`${url}/blacklist/check?email=${encodeURIComponent(email)}${game === undefined ? '' : `&game_id=${game}`}`, { 'x-api-key': GAME_KEY }),
    checkMany: (body: unknown, key = GAME_KEY) => http.send('POST', `${url}/blacklist/check`, JSON.stringify(body), json(key)),
    revoke: (query: string, key = ADMIN_KEY) => http.send('DELETE', `${url}/blacklist?${query}`, undefined, { 'x-api-key': key }),
    erase: (query: string, key = ADMIN_KEY) => http.send('DELETE', `${url}/players?${query}`, undefined, { 'x-api-key': key }),
  };
}

t.test('expires_at: a report counts until then, never after; bad values are 400s', async (t) => {
  const clock = new ManualClock(T0);
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], clock });
  const a = api(httpClient(t), eng.url);
  await a.createGame('g1');
  await a.createGame('g2');
  const inTen = new Date(T0 + 10 * DAY).toISOString();
  t.match(await a.report({ game_id: 1, email: 'p@example.com', reason: 'cheating', expires_at: inTen }), {
    status: 201,
    body: { game_id: 1, email: 'p@example.com', reason: 'cheating', expires_at: inTen },
  });
  t.same((await a.report({ game_id: 2, email: 'p@example.com', reason: 'spam', expires_at: null })).body, { game_id: 2, email: 'p@example.com', reason: 'spam' }, 'null: never expires');
  await a.report({ game_id: 1, email: 'q@example.com', reason: 'cheating', expires_at: '2030-01-05T00:00:00+02:00' });

  t.same((await a.check('p@example.com')).body, ban('cheating', 2, 2), 'both in force; a 1:1 tie goes to the first');
  clock.set(T0 + 10 * DAY - 1);
  t.same((await a.check('p@example.com')).body, ban('cheating', 2, 2), 'a millisecond before');
  clock.set(T0 + 10 * DAY);
  t.same((await a.check('p@example.com')).body, ban('spam', 1, 1), 'expired: as if never made');
  t.match(await a.check('q@example.com'), { status: 404, body: { error: 'not_reported' } }, 'every report expired: not reported');

  for (const [expires_at, message] of [
    ['2030-01-01T00:00:00', /expires_at must be an ISO-8601 instant/],
    ['2030-02-30T00:00:00Z', /expires_at must be an ISO-8601 instant/],
    [12345, /expires_at must be/],
    [new Date(T0 + 10 * DAY).toISOString(), /expires_at is not in the future/],
  ] as const) {
    t.match(await a.report({ game_id: 1, email: 'r@example.com', reason: 'cheating', expires_at }), { status: 400, body: { error: 'bad_body', message } }, String(expires_at));
  }
  t.equal((await a.check('r@example.com')).status, 404, 'nothing stored by a refused report');
});

t.test("one game's view, revocation and many players in one call", async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const a = api(httpClient(t), eng.url);
  for (const name of ['g1', 'g2', 'g3']) await a.createGame(name);
  for (const [game, reason] of [[1, 'cheating'], [2, 'spam'], [2, 'spam'], [1, 'cheating'], [3, 'harassment']] as const) {
    t.equal((await a.report({ game_id: game, email: 'p@example.com', reason })).status, 201);
  }
  t.same((await a.check('p@example.com')).body, ban('spam', 3, 5), 'spam reached 2 first');
  t.same((await a.check('p@example.com', 2)).body, ban('spam', 1, 2), "game 2's view");
  t.same((await a.check('P@Example.com', 3)).body, ban('harassment', 1, 1));
  t.match(await a.check('q@example.com', 1), { status: 404, body: { error: 'not_reported' } });
  t.match(await a.check('p@example.com', 9), { status: 404, body: { error: 'unknown_game' } });
  for (const bad of ['0', 'x', '-1', '1.5', '']) {
    t.match(await a.check('p@example.com', bad), { status: 400, body: { error: 'bad_param', message: /game_id/ } }, `game_id=${bad}`);
  }

  // Revoking game 1's reports: the check answers as if it never reported the player.
  t.match(await a.revoke('email=P%40example.com&game_id=1', GAME_KEY), { status: 403 }, 'revoking needs admin');
  t.match(await a.revoke('email=p@example.com&game_id=1'), { status: 200, body: { game_id: 1, email: 'p@example.com', reports_revoked: 2 } });
  t.same((await a.check('p@example.com')).body, ban('spam', 2, 3));
  t.match(await a.check('p@example.com', 1), { status: 404, body: { error: 'not_reported' } });
  t.match(await a.revoke('email=p@example.com&game_id=1'), { status: 200, body: { reports_revoked: 0 } }, 'again: nothing left, same end state');
  t.equal((await a.report({ game_id: 1, email: 'p@example.com', reason: 'cheating' })).status, 201);
  t.same((await a.check('p@example.com', 1)).body, ban('cheating', 1, 1), 'a later report counts again');
  for (const [query, error, message] of [
    ['game_id=1', 'bad_param', /email is missing/],
    ['email=p@example.com', 'bad_param', /game_id is missing/],
    ['email=nope&game_id=1', 'bad_param', /email is not a valid/],
    ['email=p@example.com&game_id=abc', 'bad_param', /game_id must be/],
    ['email=p@example.com&game_id=1&game_id=2', 'bad_param', /game_id is given more than once/],
  ] as const) {
    t.match(await a.revoke(query), { status: 400, body: { error, message } }, query);
  }
  t.match(await a.revoke('email=p@example.com&game_id=7'), { status: 404, body: { error: 'unknown_game' } });

  // Many players at once, in the order asked.
  const many = await a.checkMany({ emails: ['P@example.com', 'nobody@example.com', 'p@example.com'] });
  t.equal(many.status, 200);
  t.same(many.body, {
    results: [
      { email: 'p@example.com', ban: ban('spam', 3, 4) },
      { email: 'nobody@example.com', ban: null },
      { email: 'p@example.com', ban: ban('spam', 3, 4) },
    ],
  });
  t.same((await a.checkMany({ emails: ['p@example.com'], game_id: 3 })).body, { results: [{ email: 'p@example.com', ban: ban('harassment', 1, 1) }] });
  const hundred = Array.from({ length: 100 }, (_, i) => `n${i}@example.com`);
  t.equal(((await a.checkMany({ emails: hundred })).body as { results: unknown[] }).results.length, 100, '100 is the most');
  for (const [body, message] of [
    [{ emails: [...hundred, 'x@example.com'] }, /1 to 100/],
    [{ emails: [] }, /1 to 100/],
    [{ emails: 'p@example.com' }, /1 to 100/],
    [{}, /emails is required/],
    [{ emails: ['p@example.com', 'bad'] }, /emails\[1\] is not a valid email/],
    [{ emails: ['p@example.com', 7] }, /emails\[1\]/],
    [{ emails: ['p@example.com'], game_id: 'x' }, /game_id/],
  ] as const) {
    t.match(await a.checkMany(body), { status: 400, body: { error: 'bad_body', message } }, JSON.stringify(body).slice(0, 60));
  }
  t.match(await a.checkMany({ emails: ['p@example.com'], game_id: 8 }), { status: 404, body: { error: 'unknown_game' } });
  t.match(await a.checkMany({ emails: ['p@example.com'] }, 'wrong'), { status: 401 });
});

t.test('erasure: the fold forgets the email at once, here and on another engine, and after a restart', async (t) => {
  const dir = scratchDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const second = await startTestEngine(t, { dir, wrapEvents: () => first.events });
  const http = httpClient(t);
  const a = api(http, first.url);
  const b = api(http, second.url);
  await a.createGame('g1');
  await a.createGame('g2');
  await a.report({ game_id: 1, email: 'gone@example.com', reason: 'cheating' });
  await a.report({ game_id: 2, email: 'gone@example.com', reason: 'spam' });
  await a.report({ game_id: 1, email: 'kept@example.com', reason: 'spam' });
  t.match(await a.erase('email=gone@example.com', GAME_KEY), { status: 403 }, 'erasing needs admin');
  t.match(await a.erase(''), { status: 400, body: { error: 'bad_param', message: 'email is missing' } });
  t.match(await a.erase('email=gone'), { status: 400, body: { error: 'bad_param', message: 'email is not a valid email address' } });
  t.match(await a.erase('email=Gone%40example.com'), { status: 200, body: { email: 'gone@example.com', reports_erased: 2 } });
  t.match(await a.check('gone@example.com'), { status: 404, body: { error: 'not_reported' } }, 'gone here at once');
  t.same((await a.checkMany({ emails: ['gone@example.com', 'kept@example.com'] })).body, {
    results: [
      { email: 'gone@example.com', ban: null },
      { email: 'kept@example.com', ban: ban('spam', 1, 1) },
    ],
  });
  await t.resolveMatch(
    (async () => {
      for (let i = 0; i < 200; i++) {
        if ((await b.check('gone@example.com')).status === 404) return 'gone';
        await new Promise((r) => setTimeout(r, 25));
      }
      return 'still there';
    })(),
    'gone',
    'and on the other engine',
  );
  t.match(await a.erase('email=gone@example.com'), { status: 200, body: { reports_erased: 0 } }, 'erasing again: nothing left');

  // Compaction folds the erasure into the snapshot; an engine booting from it never sees the email.
  t.match(await streamJobs(dir, first.events).compact.run(), { outcome: 'published' });
  await second.stop();
  await first.stop();
  const third = await startTestEngine(t, { dir });
  const c = api(http, third.url);
  t.match(await c.check('gone@example.com'), { status: 404 });
  t.same((await c.check('kept@example.com')).body, ban('spam', 1, 1));
});
