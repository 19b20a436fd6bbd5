// Safe retries over real HTTP (README "Safe retries"): every write route given an Idempotency-Key
// answers a retry with the same key and body its first answer again, byte for byte, and writes
// nothing; the same key with another body is a 422; a malformed key a 400. On one engine (its file
// log), and across two engine processes on one Redis stream, a restart, and two retries racing on
// two engines: the first in the stream wins everywhere, a vote is counted once.

import t from 'tap';
import { START } from '../../core/domain/stream/event.js';
import { eventually } from '../helpers/eventually.js';
import { feedOf, row } from '../helpers/feed-rows.js';
import { httpClient, type Reply, type TestClient } from '../helpers/http.js';
import { startEngineProc, startStack, startSyncer, type EngineProc } from '../helpers/production.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const KEYS = `game:${GAME_KEY},admin:${ADMIN_KEY}`;

function client(http: TestClient) {
  return (base: string, method: string, path: string, body: unknown, key: string, idem?: string) =>
    http.send(method, `${base}${path}`, JSON.stringify(body), {
      'content-type': 'application/json',
      'x-api-key': key,
      ...(idem === undefined ? {} : { 'idempotency-key': idem }),
    });
}

/** A key per route: "retry-POST-/topics/1". */
const idemOf = (route: string) => `retry-${route.replace(' ', '-')}`;

/** The answer's status, content type and bytes: what a retry must get again. */
const answer = (r: Reply) => ({ status: r.status, type: r.headers['content-type'], text: r.text });

t.test('every write route: a retry gets the first answer byte for byte and writes nothing; another body 422', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const send = client(http);
  const logged = async () => eng.events.read(START, { count: 10_000 });
  const events = async () => (await logged()).length;
  const get = async (path: string) => (await http.get(`${eng.url}${path}`, { 'x-api-key': GAME_KEY })).text;

  // [route, method, path, API key, body, another body]
  const cases: [string, string, string, string, unknown, unknown][] = [
    ['POST /games', 'POST', '/games', ADMIN_KEY, { name: 'Space Raiders' }, { name: 'Moon Raiders' }],
    ['POST /blacklist', 'POST', '/blacklist', GAME_KEY, { game_id: 1, email: 'Cheater@Example.com', reason: 'cheating' }, { game_id: 1, email: 'cheater@example.com', reason: 'spam' }],
    ['POST /topics', 'POST', '/topics', ADMIN_KEY, { title: 'Best map?', choices: [{ description: 'Dust' }, { description: 'Nuke' }] }, { title: 'Best mode?', choices: [{ description: 'Ranked' }] }],
    ['PUT /topics/1', 'PUT', '/topics/1', ADMIN_KEY, { title: 'Best map!', choices: [{ id: 2, description: 'Nuke' }, { description: 'Mirage' }] }, { title: 'Worst map', choices: [{ description: 'x' }] }],
    ['POST /votes', 'POST', '/votes', GAME_KEY, { topic_id: 1, choice_id: 2 }, { topic_id: 1, choice_id: 3 }],
  ];
  const firsts = new Map<string, Reply>();
  for (const [name, method, path, key, body, other] of cases) {
    const first = await send(eng.url, method, path, body, key, idemOf(name));
    t.ok(first.status >= 200 && first.status < 300, `${name}: ${first.status} ${first.text}`);
    t.equal(first.headers['idempotent-replayed'], undefined, `${name}: the first answer is not a replay`);
    firsts.set(name, first);
    if (name === 'POST /topics') t.equal(first.text, await get('/topics/1'), 'the topic as GET /topics/1 answers it');
    const written = await events();
    // The retry, its body's keys in another order and spaced otherwise: the same request.
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(body as object).reverse()), null, 1);
    const retry = await http.send(method, `${eng.url}${path}`, reordered, { 'content-type': 'application/json', 'x-api-key': key, 'idempotency-key': idemOf(name) });
    t.same(answer(retry), answer(first), `${name}: the retry gets the first answer, byte for byte`);
    t.equal(retry.headers['idempotent-replayed'], 'true', `${name}: marked as a replay`);
    t.match(await send(eng.url, method, path, other, key, idemOf(name)), { status: 422, body: { error: 'idempotency_mismatch', message: /different request/ } }, `${name}: another body under the key`);
    t.equal(await events(), written, `${name}: neither wrote an event`);
  }

  // The recorded answers are the routes' own answers: the same bytes as without the header.
  t.equal(firsts.get('POST /games')!.text, '{"id":1,"name":"Space Raiders"}');
  t.equal(firsts.get('POST /blacklist')!.text, '{"game_id":1,"email":"cheater@example.com","reason":"cheating"}');
  t.match(JSON.parse(firsts.get('PUT /topics/1')!.text), { id: 1, title: 'Best map!', choices: [{ id: 2, description: 'Nuke', votes: null }, { id: 3, description: 'Mirage', votes: null }] });
  const vote = JSON.parse(firsts.get('POST /votes')!.text) as { id: string };
  const plainVote = await send(eng.url, 'POST', '/votes', { topic_id: 1, choice_id: 2 }, GAME_KEY);
  t.same(Object.keys(JSON.parse(firsts.get('POST /votes')!.text)), Object.keys(plainVote.body as object), 'a vote: the same keys in the same order');
  t.match(JSON.parse(firsts.get('POST /votes')!.text), { id: /^\d+-\d+$/, topic_id: 1, choice_id: 2, queued_at: /Z$/ });
  t.equal(firsts.get('PUT /topics/1')!.status, 200);

  // Nothing doubled: one game, one report, one topic, two votes (the keyed one and the plain one).
  t.equal(await get('/games'), '[{"id":1,"name":"Space Raiders"}]');
  t.match(JSON.parse(await get('/blacklist/check?email=cheater@example.com')), { times_reported_last_90_days: 1 });
  t.equal((JSON.parse(await get('/topics')) as unknown[]).length, 1);
  t.equal((await logged()).filter((e) => e.type === 'vote_cast').length, 2);
  t.match(JSON.parse(await get(`/votes/${vote.id}`)), { id: vote.id, status: 'queued' });

  // Scope: the same key on another route, or another path's id, is another key.
  t.equal((await send(eng.url, 'POST', '/games', { name: 'Other' }, ADMIN_KEY, idemOf('POST /topics'))).status, 201);
  t.match(await send(eng.url, 'PUT', '/topics/2', { title: 'x', choices: [{ description: 'a' }] }, ADMIN_KEY, idemOf('PUT /topics/1')), { status: 404, body: { error: 'unknown_topic' } });
  // An answer that wrote nothing (a 404 here) is not recorded: once the topic exists the key writes.
  t.equal((await send(eng.url, 'POST', '/topics', { title: 'Two', choices: [{ description: 'a' }] }, ADMIN_KEY)).status, 201);
  t.equal((await send(eng.url, 'PUT', '/topics/2', { title: 'x', choices: [{ description: 'a' }] }, ADMIN_KEY, idemOf('PUT /topics/1'))).status, 200);

  // A malformed key: 400 bad_header, nothing written.
  const written = await events();
  for (const bad of ['k'.repeat(256), 'two words']) {
    const r = await send(eng.url, 'POST', '/games', { name: 'Bad' }, ADMIN_KEY, bad);
    t.match(r, { status: 400, body: { error: 'bad_header', message: /Idempotency-Key/ } }, JSON.stringify(bad));
  }
  t.equal(await events(), written);
  t.equal((await send(eng.url, 'POST', '/games', { name: 'Max' }, ADMIN_KEY, 'k'.repeat(255))).status, 201, '255 characters is fine');
});

t.test('two engines on one Redis stream: a retry on B of A\'s write gets A\'s answer; racing retries write once; a restart remembers', async (t) => {
  const stack = await startStack(t, feedOf('ad-1'));
  await startSyncer(t, stack); // its vote processor counts the votes
  const [a, b] = [await startEngineProc(t, stack, { API_KEYS: KEYS }), await startEngineProc(t, stack, { API_KEYS: KEYS })];
  for (const e of [a, b]) await eventually(async () => (await stack.http.get(`${e.internal}/readyz`)).status, (s) => s === 200, 10_000, 'ready');
  const send = client(stack.http);
  const on = (e: EngineProc) => (method: string, path: string, body: unknown, key: string, idem?: string) => send(e.base, method, path, body, key, idem);
  const get = async (e: EngineProc, path: string) => (await stack.http.get(`${e.base}${path}`, { 'x-api-key': GAME_KEY })).text;

  const game = await on(a)('POST', '/games', { name: 'Space Raiders' }, ADMIN_KEY, 'g-1');
  t.equal(game.status, 201);
  const onB = await on(b)('POST', '/games', { name: 'Space Raiders' }, ADMIN_KEY, 'g-1');
  t.same(answer(onB), answer(game), 'B answers A\'s 201, not a 409');
  t.equal(onB.headers['idempotent-replayed'], 'true');
  t.match(await on(b)('POST', '/games', { name: 'Moon' }, ADMIN_KEY, 'g-1'), { status: 422, body: { error: 'idempotency_mismatch' } });

  const topic = await on(a)('POST', '/topics', { title: 'T', choices: [{ description: 'a' }, { description: 'b' }] }, ADMIN_KEY, 't-1');
  t.same(answer(await on(b)('POST', '/topics', { title: 'T', choices: [{ description: 'a' }, { description: 'b' }] }, ADMIN_KEY, 't-1')), answer(topic));

  // Retries racing on both engines at once: whichever event is first in the stream is the write.
  const race = async (method: string, path: string, body: unknown, key: string, idem: string) => {
    const [x, y] = await Promise.all([on(a)(method, path, body, key, idem), on(b)(method, path, body, key, idem)]);
    t.same(answer(x), answer(y), `${path}: both engines answer the same`);
    t.ok(x.status < 300, `${path}: ${x.status} ${x.text}`);
    return x;
  };
  await race('POST', '/blacklist', { game_id: 1, email: 'p@example.com', reason: 'cheating' }, GAME_KEY, 'r-1');
  const votes = [];
  for (let i = 0; i < 5; i++) votes.push(JSON.parse((await race('POST', '/votes', { topic_id: 1, choice_id: 1 }, GAME_KEY, `v-${i}`)).text) as { id: string });
  const games = await race('POST', '/games', { name: 'Race' }, ADMIN_KEY, 'g-2');
  t.match(JSON.parse(games.text), { id: 2, name: 'Race' });

  for (const e of [a, b]) {
    t.equal(await get(e, '/games'), '[{"id":1,"name":"Space Raiders"},{"id":2,"name":"Race"}]', 'one game per key');
    await eventually(async () => JSON.parse(await get(e, '/blacklist/check?email=p@example.com')), (c) => c.times_reported_last_90_days === 1, 5_000, 'one report');
    // The vote processor counts one vote per key, and each answered vote id is the counted one.
    await eventually(async () => JSON.parse(await get(e, '/topics/1?include_votes=true')).choices[0].votes, (n) => n === 5, 10_000, 'five votes counted');
    for (const v of votes) t.match(JSON.parse(await get(e, `/votes/${v.id}`)), { id: v.id, choice_id: 1, created: /Z$/ }, 'the answered vote is counted');
  }

  // A restart: the records are rebuilt from the stream; a retry on the new engine gets the first answer.
  a.proc.child.kill('SIGTERM');
  const c = await startEngineProc(t, stack, { API_KEYS: KEYS });
  await eventually(async () => (await stack.http.get(`${c.internal}/readyz`)).status, (s) => s === 200, 10_000, 'C ready');
  const again = await on(c)('POST', '/games', { name: 'Space Raiders' }, ADMIN_KEY, 'g-1');
  t.same(answer(again), answer(game), 'after a restart, the first answer');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(await get(c, '/games'), '[{"id":1,"name":"Space Raiders"},{"id":2,"name":"Race"}]');
});
