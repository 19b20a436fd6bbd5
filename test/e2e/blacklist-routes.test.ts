// The game-ban contract over real HTTP (README "Games and blacklist"): games, reports and checks
// with every status the contract names, scopes, body limits, and the write path through the event
// log, in one server process and across two (writes relayed to the main process over IPC).

import t from 'tap';
import { ManualClock } from '../../core/runtime/clock.js';
import { httpClient, type TestClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { streamJobs } from '../helpers/stream-jobs.js';

const DAY = 86_400_000;
const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });

function api(http: TestClient, url: string) {
  return {
    createGame: (name: unknown, key = ADMIN_KEY) => http.send('POST', `${url}/games`, JSON.stringify({ name }), json(key)),
    report: (body: unknown, key = GAME_KEY) => http.send('POST', `${url}/blacklist`, JSON.stringify(body), json(key)),
    check: (email: string) => http.get(`${url}/blacklist/check?email=${encodeURIComponent(email)}&api_key=${GAME_KEY}`),
    games: () => http.get(`${url}/games`, { 'x-api-key': GAME_KEY }),
  };
}

for (const workers of [1, 2]) {
  t.test(`ENGINE_WORKERS=${workers}: games, reports and checks`, async (t) => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], workers, clock: workers === 1 ? clock : undefined });
    const http = httpClient(t);
    const a = api(http, eng.url);

    const created = await a.createGame('Space Raiders');
    t.equal(created.status, 201);
    t.same(created.body, { id: 1, name: 'Space Raiders' });
    t.same((await a.createGame('  Kart Chaos ')).body, { id: 2, name: 'Kart Chaos' }, 'name trimmed, next id');
    t.match(await a.createGame('Space Raiders'), { status: 409, body: { error: 'duplicate_game' } });
    t.match(await a.createGame(''), { status: 400, body: { error: 'bad_body', message: /name/ } });
    t.match(await a.createGame('x', GAME_KEY), { status: 403, body: { error: 'forbidden' } }, 'creating games needs admin');
    t.same((await a.games()).body, [{ id: 1, name: 'Space Raiders' }, { id: 2, name: 'Kart Chaos' }]);

    const r = await a.report({ game_id: 1, email: '  Cheater@Example.COM ', reason: 'Cheating' });
    t.equal(r.status, 201);
    t.same(r.body, { game_id: 1, email: 'cheater@example.com', reason: 'cheating' }, 'echo, normalised');
    t.same((await a.check('CHEATER@example.com')).body, { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 1 }, 'read right after the write sees it');
    await a.report({ game_id: 2, email: 'cheater@example.com', reason: 'harassment' });
    await a.report({ game_id: 2, email: 'cheater@example.com', reason: 'harassment' });
    t.same((await a.check('cheater@example.com')).body, { most_common_reason: 'harassment', number_of_games_reported: 2, times_reported_last_90_days: 3 });

    t.match(await a.report({ game_id: 99, email: 'p@example.com', reason: 'cheating' }), { status: 404, body: { error: 'unknown_game' } });
    t.match(await a.report({ game_id: 1, email: 'not-an-email', reason: 'cheating' }), { status: 400, body: { error: 'bad_body', message: /email/ } });
    t.match(await a.report({ game_id: 1, email: 'p@example.com' }), { status: 400, body: { message: /reason/ } });
    t.match(await a.report({ email: 'p@example.com', reason: 'cheating' }), { status: 400, body: { message: /game_id/ } });
    t.match(await a.report({ game_id: 1, email: 'p@example.com', reason: 'two words' }), { status: 400, body: { message: /reason/ } });
    t.match(await a.check('nobody@example.com'), { status: 404, body: { error: 'not_reported' } });
    t.match(await http.get(`${eng.url}/blacklist/check?api_key=${GAME_KEY}`), { status: 400, body: { error: 'bad_param', message: /email/ } });
    t.match(await a.check('nope'), { status: 400, body: { error: 'bad_param' } });
    t.match(await http.get(`${eng.url}/blacklist/check?email=a@b.co`), { status: 401 });

    // The key from the headers, and the email's escapes (%20 is a space, trimmed away).
    const byHeader = `${eng.url}/blacklist/check?email=Cheater%40Example.com`;
    const found = { status: 200, headers: { 'content-type': 'application/json' }, body: { most_common_reason: 'harassment' } };
    t.match(await http.get(byHeader, { 'x-api-key': GAME_KEY }), found, 'key in x-api-key');
    t.match(await http.get(byHeader, { authorization: `Bearer ${GAME_KEY}` }), found, 'key as a Bearer token');
    t.match(await http.get(byHeader, { 'x-api-key': 'wrong', authorization: `Bearer ${GAME_KEY}` }), { status: 401, body: { error: 'unauthorized' } }, 'x-api-key wins over Bearer');
    t.match(await http.get(`${eng.url}/blacklist/check?email=%20cheater%40example%2Ecom%20&api_key=${GAME_KEY}`), found, 'escapes decoded, spaces trimmed');
    t.match(await http.get(`${eng.url}/blacklist/check?email=cheater%C3%A9%40example.com&api_key=${GAME_KEY}`), { status: 400, body: { error: 'bad_param', message: 'email must be printable ASCII' } });

    if (workers === 1) {
      // The 90-day window on the engine's clock.
      clock.set(Date.UTC(2030, 0, 1) + 90 * DAY);
      t.equal(((await a.check('cheater@example.com')).body as { times_reported_last_90_days: number }).times_reported_last_90_days, 0, 'aged out at 90 days');
    }
  });
}

t.test('one email rule for reports and checks: whatever a report stores, a check can name', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const a = api(http, eng.url);
  await a.createGame('g');
  const refused = { status: 400, body: { error: 'bad_body', message: 'email is not a valid email address' } };
  for (const [email, what] of [
    ['jos\u00e9@example.com', 'a non-ASCII letter'],
    ['a\u0000b@example.com', 'NUL'],
    ['a\u007fb@example.com', 'DEL'],
    ['a\tb@example.com', 'a tab inside'],
    ['a b@example.com', 'a space inside'],
    ['\u212a@example.com', 'the Kelvin sign, which lower-cases to an ASCII k'],
    ['a@b@example.com', 'two @'],
    [`${'a'.repeat(65)}@example.com`, 'a local part over 64 characters'],
    [`a@${'b'.repeat(249)}.com`, '255 characters'],
    [` a@${'b'.repeat(248)}.com`, '255 characters as sent, 254 once trimmed'],
  ] as const) {
    t.match(await a.report({ game_id: 1, email, reason: 'cheating' }), refused, what);
  }
  t.same((await a.check('a@example.com')).status, 404, 'and nothing was stored');

  // The longest taken, and a '+' in the local part.
  const longest = `${'a'.repeat(64)}@${'b'.repeat(185)}.com`;
  t.equal(longest.length, 254);
  for (const email of [longest, 'A+B@Example.com']) {
    t.match(await a.report({ game_id: 1, email, reason: 'cheating' }), { status: 201, body: { email: email.toLowerCase() } });
  }
  const found = { status: 200, body: { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 1 } };
  t.match(await a.check(longest), found, 'the longest email is checked');
  const check = (query: string) => http.get(`${eng.url}/blacklist/check?${query}&api_key=${GAME_KEY}`);
  t.match(await check('email=a+b@example.com'), found, "'+' unencoded: a plus, not a space");
  t.match(await check('email=a%2Bb%40example.com'), found, '%2B');
  t.match(await check('email=A+B@EXAMPLE.COM'), found, 'lower-cased');
  t.match(await check('email=a%20b@example.com'), { status: 400, body: { error: 'bad_param', message: 'email is not a valid email address' } }, '%20 is a space, never part of an email');
  t.match(await check(`email=${'a'.repeat(65)}@example.com`), { status: 400, body: { error: 'bad_param', message: 'email is not a valid email address' } }, 'the same local-part limit');
  t.match(await check(`email=${encodeURIComponent('\u212a@example.com')}`), { status: 400, body: { error: 'bad_param', message: 'email must be printable ASCII' } });
});

t.test('bodies: not JSON 415, too large 413, malformed 400; the server keeps answering', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { MAX_BODY_BYTES: '1024' } });
  const http = httpClient(t);
  const post = (body: string, headers: Record<string, string>) => http.send('POST', `${eng.url}/games`, body, { 'x-api-key': ADMIN_KEY, ...headers });
  t.match(await post('{"name":"x"}', { 'content-type': 'text/plain' }), {
    status: 415,
    body: { error: 'not_json', message: 'the body must be JSON (content-type: application/json)' },
  });
  t.match(await http.get(`${eng.url}/games?api_key=a&api_key=b`), { status: 400, body: { error: 'bad_param', message: /^api_key / } }, 'a 400 names the parameter');
  t.match(await post('{"name":"x"}', {}), { status: 415 }, 'no content-type');
  t.match(await post(JSON.stringify({ name: 'x'.repeat(5000) }), { 'content-type': 'application/json' }), { status: 413, body: { error: 'body_too_large' } });
  t.match(await post('{"name":', { 'content-type': 'application/json' }), { status: 400, body: { error: 'bad_body', message: /JSON/ } });
  t.match(await post('[1,2]', { 'content-type': 'application/json; charset=utf-8' }), { status: 400, body: { error: 'bad_body' } });
  t.match(await post('{"name":"ok"}', { 'content-type': 'application/json; charset=utf-8' }), { status: 201, body: { id: 1, name: 'ok' } });
  t.match(await http.send('PUT', `${eng.url}/blacklist`, '{}', json(GAME_KEY)), { status: 405, headers: { allow: 'POST' } });
});

t.test('writes survive a restart: the event log is replayed before the engine is ready', async (t) => {
  const dir = scratchDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const http = httpClient(t);
  const a = api(http, first.url);
  await a.createGame('g');
  for (let i = 0; i < 50; i++) await a.report({ game_id: 1, email: `p${i % 5}@example.com`, reason: i % 2 === 0 ? 'cheating' : 'harassment' });
  const before = await Promise.all(Array.from({ length: 5 }, (_, i) => a.check(`p${i}@example.com`)));
  await first.stop();

  const second = await startTestEngine(t, { dir });
  const b = api(http, second.url);
  const after = await Promise.all(Array.from({ length: 5 }, (_, i) => b.check(`p${i}@example.com`)));
  t.same(after.map((r) => r.body), before.map((r) => r.body));
  t.same((await b.games()).body, [{ id: 1, name: 'g' }]);
});

t.test('an engine restarted after 10,000 reports boots from snapshot + tail and answers every check exactly as before', async (t) => {
  const dir = scratchDir(t);
  const first = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir, workers: 2 });
  const http = httpClient(t, 32);
  const a = api(http, first.url);
  for (const name of ['g1', 'g2', 'g3']) await a.createGame(name);
  const reasons = ['cheating', 'harassment', 'offensive_language', 'terms_of_service_violation'];
  const emails = Array.from({ length: 1_500 }, (_, i) => `player${i}@example.com`);
  // Reports over 1,500 players, 32 at a time: repeats, several games, mixed reasons.
  let next = 0;
  const reportUntil = (end: number) => async () => {
    while (next < end) {
      const i = next++;
      const r = await a.report({ game_id: 1 + (i % 3), email: emails[(i * 7) % emails.length], reason: reasons[(i * i) % 4] });
      if (r.status !== 201) t.fail(`report ${i}: ${r.status} ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, reportUntil(10_000)));
  // The syncer's compaction, sharing the engine's log as embedded mode does: snapshot, trim the stream.
  const compaction = streamJobs(dir, first.events).compact;
  t.match(await compaction.run(), { outcome: 'published', trimmed: 10_003 });
  // And reports after the snapshot: the tail the restarted engine must replay on top of it.
  await Promise.all(Array.from({ length: 32 }, reportUntil(10_500)));
  const before = await Promise.all(emails.map((e) => a.check(e).then((r) => r.text)));
  await first.stop();

  const second = await startTestEngine(t, { dir, workers: 2 });
  t.match(second.logs.find((l) => l.msg === 'stream snapshot loaded'), { reports: 10_000, games: 3 }, 'booted from the snapshot');
  t.equal((await second.events.read('0-0', { count: 100_000 })).length, 500, 'and replayed only the 500 events after it');
  const b = api(http, second.url);
  const after = await Promise.all(emails.map((e) => b.check(e).then((r) => r.text)));
  const diffs = after.flatMap((text, i) => (text === before[i] ? [] : [`${emails[i]}: ${before[i]} -> ${text}`]));
  t.same(diffs.slice(0, 5), [], `all ${emails.length} players answer as before (${diffs.length} differ)`);
  t.same((await b.games()).body, [{ id: 1, name: 'g1' }, { id: 2, name: 'g2' }, { id: 3, name: 'g3' }]);
});
