// Real answers against engine/openapi.json. Over HTTP, every documented operation is routed (no
// 404 not_found, no 405) and every other method on a documented path is a 405. Then each operation
// is driven through every status it documents — success, 400, 401, 403, the 404s, 409, 413, 415,
// 429 (an engine with a tiny rate limit), 503 (an engine whose event log cannot be read and that has
// no ads; writes with the log failing) — and every answer must be one the document declares for
// that operation and status: content-type, body schema, required headers. An undocumented status
// fails, and so does a documented one that no request produced.

import t, { type Test } from 'tap';
import type { EventLog } from '../../engine/store/event-log.js';
import type { FileEventLog } from '../../engine/store/file-event-log.js';
import { httpClient, type Reply, type TestClient } from '../helpers/http.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';
import { ADMIN_KEY, GAME_KEY, row, startTestEngine } from '../helpers/test-engine.js';
import { ContractChecker, HTTP_METHODS, loadDocument, operations } from './openapi-doc.js';

const { doc } = await loadDocument();
const ops = operations(doc);

/** The real file log, with `read`/`first` (the engine's tail) or `append` (writes) failing while asked. */
function faulty(faults: { reads: boolean; appends: boolean }) {
  return (log: FileEventLog): EventLog =>
    new Proxy(log, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        const fail = (prop === 'read' || prop === 'first') && faults.reads ? 'read' : prop === 'append' && faults.appends ? 'append' : null;
        return (...args: unknown[]) =>
          fail !== null ? Promise.reject(new Error(`injected: event log ${fail} failed`)) : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
}

const jsonWith = (key: string | null, type = 'application/json'): Record<string, string> => ({ 'content-type': type, ...(key === null ? {} : { 'x-api-key': key }) });

/** A request for an operation: its path with ids filled in, a key, and a body for writes. */
function requester(http: TestClient, url: string, adminKey = ADMIN_KEY) {
  return (method: string, path: string, o: { key?: string | null; body?: string; type?: string; query?: string } = {}): Promise<Reply> => {
    const key = o.key === undefined ? adminKey : o.key;
    const target = `${url}${path}${o.query ?? ''}`;
    if (method === 'GET') return http.get(target, key === null ? {} : { 'x-api-key': key });
    return http.send(method, target, o.body ?? '{}', jsonWith(key, o.type));
  };
}

/** A concrete path for a template: `{id}` becomes `id`. */
const fill = (path: string, id = '1'): string => path.replace(/\{\w+\}/g, id);

t.test('the checker refuses what the document does not declare', async (t) => {
  const checker = new ContractChecker(doc);
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    headers: { 'content-type': 'application/json', ...headers },
    text: JSON.stringify(body),
    body,
  });
  t.same(checker.check('GET /ad_request', reply(200, { id: 'a', video_url: 'https://cdn.test/a.mp4' })), []);
  t.match(checker.check('GET /ad_request', reply(500, { error: 'boom', message: 'x' })), [/answered 500, which the document does not declare/]);
  t.match(checker.check('GET /ad_request', reply(200, { id: 'a' })), [/does not match.*video_url/]);
  t.match(checker.check('GET /ad_request', reply(200, { id: 'a', video_url: 'https://x.test/a', extra: 1 })), [/must NOT have additional properties/]);
  t.match(checker.check('GET /ad_request', reply(404, { error: 'unknown_game', message: 'no game with this id' })), [/does not match/], 'a code this status does not carry here');
  t.match(checker.check('GET /ad_request', reply(503, { error: 'not_ready', message: 'x' })), [/required header Retry-After is missing/]);
  t.same(checker.check('GET /ad_request', reply(503, { error: 'not_ready', message: 'x' }, { 'retry-after': '1' })), []);
  t.match(checker.check('GET /ad_request', { ...reply(401, { error: 'unauthorized', message: 'x' }), headers: { 'content-type': 'text/plain' } }), [/content-type text\/plain/]);
  t.match(checker.check('DELETE /ad_request', reply(405, {})), [/not a documented operation/]);
});

/** Every documented operation is routed (no 404 not_found, no 405); other methods on its path are 405. */
async function routedAsDocumented(t: Test, http: TestClient, url: string, adminKey: string): Promise<void> {
  const send = requester(http, url, adminKey);
  for (const o of ops) {
    const r = await send(o.method, fill(o.path), { query: o.path === '/ad_request' ? '?country=us&lang=eng' : '' });
    t.not(r.status, 405, `${o.key} is served (answered ${r.status})`);
    t.not((r.body as { error?: string } | undefined)?.error, 'not_found', `${o.key} is routed`);
  }
  for (const path of Object.keys(doc.paths)) {
    const documented = ops.filter((o) => o.path === path).map((o) => o.method);
    for (const method of HTTP_METHODS.map((m) => m.toUpperCase())) {
      if (documented.includes(method) || method === 'HEAD' || method === 'TRACE') continue;
      const r = await http.send(method, `${url}${fill(path)}`);
      t.equal(r.status, 405, `${method} ${path}: not documented, not served`);
      t.same(String(r.headers.allow).split(', ').sort(), [...documented].sort(), `${method} ${path}: Allow lists the documented methods`);
    }
  }
}

t.test('over HTTP: every documented operation is routed; other methods on its path are 405', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  await routedAsDocumented(t, httpClient(t), eng.url, ADMIN_KEY);
});

t.test('contract: every answer is declared, and every declared answer is produced', async (t) => {
  const checker = new ContractChecker(doc);
  const http = httpClient(t);
  const expect = async (opKey: string, status: number, reply: Promise<Reply>, what: string): Promise<Reply> => {
    const r = await reply;
    t.equal(r.status, status, `${opKey} ${what}: ${status} (body ${r.text})`);
    t.same(checker.check(opKey, r), [], `${opKey} ${what}: ${r.status} as documented`);
    return r;
  };

  await t.test('a ready engine: successes, 400, 401, 403, 404s, 409, 413, 415, 503 store_unavailable', async (t) => {
    const faults = { reads: false, appends: false };
    const eng = await startTestEngine(t, { ads: [row('us-eng-allday-1', 'us', 'eng')], wrapEvents: faulty(faults) });
    const send = requester(http, eng.url);
    const tooBig = JSON.stringify({ name: 'x'.repeat(20_000) });

    await expect('GET /openapi.json', 200, send('GET', '/openapi.json', { key: null }), 'without a key');

    const ad = 'GET /ad_request';
    await expect(ad, 200, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=US&lang=eng' }), 'an ad');
    await expect(ad, 400, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=usa&lang=eng' }), 'bad country');
    await expect(ad, 400, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=us' }), 'no lang');
    await expect(ad, 401, send('GET', '/ad_request', { key: null, query: '?country=us&lang=eng' }), 'no key');
    await expect(ad, 404, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=zz&lang=zzz' }), 'no ad');
    await expect(ad, 200, http.get(`${eng.url}/ad_request?country=us&lang=eng`, { authorization: `Bearer ${GAME_KEY}` }), 'bearer key');

    const newGame = 'POST /games';
    await expect(newGame, 201, send('POST', '/games', { body: '{"name":"Space Raiders"}' }), 'created');
    await expect(newGame, 409, send('POST', '/games', { body: '{"name":"Space Raiders"}' }), 'duplicate');
    await expect(newGame, 400, send('POST', '/games', { body: '{"name":""}' }), 'empty name');
    await expect(newGame, 400, send('POST', '/games', { body: '{nope' }), 'not JSON');
    await expect(newGame, 400, send('POST', '/games', { query: '?api_key=a&api_key=b' }), 'api_key twice');
    await expect(newGame, 401, send('POST', '/games', { key: null, body: '{"name":"x"}' }), 'no key');
    await expect(newGame, 403, send('POST', '/games', { key: GAME_KEY, body: '{"name":"x"}' }), 'game key');
    await expect(newGame, 413, send('POST', '/games', { body: tooBig }), 'too large');
    await expect(newGame, 415, send('POST', '/games', { body: '{"name":"x"}', type: 'text/plain' }), 'not JSON content-type');

    const games = 'GET /games';
    await expect(games, 200, send('GET', '/games', { key: GAME_KEY }), 'the games');
    await expect(games, 400, send('GET', '/games', { key: null, query: '?api_key=a&api_key=b' }), 'api_key twice');
    await expect(games, 401, send('GET', '/games', { key: null }), 'no key');

    const report = 'POST /blacklist';
    await expect(report, 201, send('POST', '/blacklist', { key: GAME_KEY, body: '{"game_id":1,"email":"Cheater@Example.com","reason":"cheating"}' }), 'reported');
    await expect(report, 201, send('POST', '/blacklist', { key: GAME_KEY, body: '{"game_id":"1","email":"c2@example.com","reason":"Harassment"}' }), 'id as a string');
    await expect(report, 400, send('POST', '/blacklist', { key: GAME_KEY, body: '{"game_id":1,"email":"nope","reason":"cheating"}' }), 'bad email');
    await expect(report, 401, send('POST', '/blacklist', { key: null }), 'no key');
    await expect(report, 404, send('POST', '/blacklist', { key: GAME_KEY, body: '{"game_id":99,"email":"p@example.com","reason":"cheating"}' }), 'unknown game');
    await expect(report, 413, send('POST', '/blacklist', { key: GAME_KEY, body: tooBig }), 'too large');
    await expect(report, 415, send('POST', '/blacklist', { key: GAME_KEY, type: 'text/plain' }), 'not JSON content-type');

    const check = 'GET /blacklist/check';
    await expect(check, 200, send('GET', '/blacklist/check', { key: null, query: `?email=cheater@example.com&api_key=${GAME_KEY}` }), 'reported');
    await expect(check, 400, send('GET', '/blacklist/check', { key: GAME_KEY }), 'no email');
    await expect(check, 400, send('GET', '/blacklist/check', { key: GAME_KEY, query: '?email=nope' }), 'not an email');
    await expect(check, 401, send('GET', '/blacklist/check', { key: null, query: '?email=cheater@example.com' }), 'no key');
    await expect(check, 404, send('GET', '/blacklist/check', { key: GAME_KEY, query: '?email=nobody@example.com' }), 'never reported');

    const newTopic = 'POST /topics';
    const topic = JSON.stringify({ title: 'Best map?', choices: [{ description: 'Dust' }, { description: 'Nuke' }] });
    await expect(newTopic, 201, send('POST', '/topics', { body: topic }), 'created');
    await expect(newTopic, 201, send('POST', '/topics', { key: null, body: JSON.stringify({ api_key: ADMIN_KEY, title: 'Closed', is_active: false, choices: [{ description: 'Yes' }] }) }), 'key in the body, inactive');
    await expect(newTopic, 400, send('POST', '/topics', { body: '{"title":"","choices":[]}' }), 'bad topic');
    await expect(newTopic, 401, send('POST', '/topics', { key: null, body: topic }), 'no key');
    await expect(newTopic, 403, send('POST', '/topics', { key: GAME_KEY, body: topic }), 'game key');
    await expect(newTopic, 413, send('POST', '/topics', { body: tooBig }), 'too large');
    await expect(newTopic, 415, send('POST', '/topics', { body: topic, type: 'text/plain' }), 'not JSON content-type');

    const put = 'PUT /topics/{id}';
    const replacement = JSON.stringify({ api_key: ADMIN_KEY, title: 'Best map?', choices: [{ id: 2, description: 'Nuke' }, { description: 'Mirage' }] });
    await expect(put, 200, send('PUT', '/topics/1', { key: null, body: replacement }), 'replaced, key in the body');
    await expect(put, 400, send('PUT', '/topics/1', { body: '{"title":"x","choices":[{"description":""}]}' }), 'bad choice');
    await expect(put, 401, send('PUT', '/topics/1', { key: null, body: '{"title":"x","choices":[{"description":"a"}]}' }), 'no key');
    await expect(put, 403, send('PUT', '/topics/1', { key: GAME_KEY, body: replacement }), 'game key');
    await expect(put, 404, send('PUT', '/topics/99', { body: replacement }), 'unknown topic');
    await expect(put, 404, send('PUT', '/topics/abc', { body: replacement }), 'not an id');
    await expect(put, 413, send('PUT', '/topics/1', { body: tooBig }), 'too large');
    await expect(put, 415, send('PUT', '/topics/1', { body: replacement, type: 'text/plain' }), 'not JSON content-type');

    const list = 'GET /topics';
    await expect(list, 200, send('GET', '/topics', { key: GAME_KEY, query: '?include_votes=true' }), 'with votes');
    await expect(list, 200, send('GET', '/topics', { key: GAME_KEY }), 'without votes');
    await expect(list, 400, send('GET', '/topics', { key: GAME_KEY, query: '?include_votes=yes' }), 'bad include_votes');
    await expect(list, 401, send('GET', '/topics', { key: null }), 'no key');

    const one = 'GET /topics/{id}';
    await expect(one, 200, send('GET', '/topics/1', { key: GAME_KEY, query: '?include_votes=true' }), 'with votes');
    await expect(one, 200, send('GET', '/topics/1', { key: null, query: `?api_key=${GAME_KEY}` }), 'without votes');
    await expect(one, 400, send('GET', '/topics/1', { key: GAME_KEY, query: '?include_votes=1' }), 'bad include_votes');
    await expect(one, 401, send('GET', '/topics/1', { key: null }), 'no key');
    await expect(one, 404, send('GET', '/topics/99', { key: GAME_KEY }), 'unknown topic');

    const vote = 'POST /votes';
    const cast = await expect(vote, 202, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":1,"choice_id":2}' }), 'queued');
    await expect(vote, 400, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":1}' }), 'no choice');
    await expect(vote, 401, send('POST', '/votes', { key: null, body: '{"topic_id":1,"choice_id":2}' }), 'no key');
    await expect(vote, 404, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":99,"choice_id":2}' }), 'unknown topic');
    await expect(vote, 404, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":1,"choice_id":1}' }), 'unknown choice (dropped by the PUT)');
    await expect(vote, 409, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":2,"choice_id":3}' }), 'inactive topic');
    await expect(vote, 413, send('POST', '/votes', { key: GAME_KEY, body: tooBig }), 'too large');
    await expect(vote, 415, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":1,"choice_id":2}', type: 'text/plain' }), 'not JSON content-type');

    const receipt = 'GET /votes/{id}';
    const voteId = (cast.body as { id: string }).id;
    await expect(receipt, 202, send('GET', `/votes/${voteId}`, { key: GAME_KEY }), 'queued, not counted');
    await expect(receipt, 400, send('GET', `/votes/${voteId}`, { key: null, query: '?api_key=a&api_key=b' }), 'api_key twice');
    await expect(receipt, 401, send('GET', `/votes/${voteId}`, { key: null }), 'no key');
    await expect(receipt, 404, send('GET', '/votes/1-0', { key: GAME_KEY }), 'unknown vote');
    await expect(receipt, 404, send('GET', '/votes/not-a-vote-id', { key: GAME_KEY }), 'not a vote id');
    await startVoteProcessor(t, eng.events);
    let counted: Reply | null = null;
    for (let i = 0; i < 200 && counted?.status !== 200; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 25));
      counted = await send('GET', `/votes/${voteId}`, { key: GAME_KEY });
    }
    t.same(checker.check(receipt, counted!), [], 'counted: 200 as documented');
    t.equal(counted!.status, 200);
    await expect(list, 200, send('GET', '/topics', { key: GAME_KEY, query: '?include_votes=true' }), 'with a counted vote');

    // The event log refuses writes: nothing recorded, 503 store_unavailable with Retry-After.
    faults.appends = true;
    for (const [opKey, method, path, key, body] of [
      [newGame, 'POST', '/games', ADMIN_KEY, '{"name":"Kart Chaos"}'],
      [report, 'POST', '/blacklist', GAME_KEY, '{"game_id":1,"email":"p@example.com","reason":"cheating"}'],
      [newTopic, 'POST', '/topics', ADMIN_KEY, topic],
      [put, 'PUT', '/topics/1', ADMIN_KEY, replacement],
      [vote, 'POST', '/votes', GAME_KEY, '{"topic_id":1,"choice_id":2}'],
    ] as const) {
      const r = await expect(opKey, 503, send(method, path, { key, body }), 'event log down');
      t.match(r.body, { error: 'store_unavailable' });
    }
    faults.appends = false;

    // Outside every operation: an unknown path, a method a path does not take.
    const nowhere = await http.get(`${eng.url}/nowhere`);
    t.equal(nowhere.status, 404);
    t.same(checker.check('components/responses/NotFound', nowhere), [], '404 not_found as documented');
    const deleted = await http.send('DELETE', `${eng.url}/topics/1`);
    t.equal(deleted.status, 405);
    t.same(checker.check('components/responses/MethodNotAllowed', deleted), [], '405 as documented');
  });

  await t.test('an engine with no ads whose event log cannot be read: 503 not_ready everywhere', async (t) => {
    const eng = await startTestEngine(t, { wrapEvents: faulty({ reads: true, appends: false }) });
    const send = requester(http, eng.url);
    for (const o of ops) {
      if (o.key === 'GET /openapi.json') {
        await expect(o.key, 200, send('GET', o.path, { key: null }), 'served regardless');
        continue;
      }
      const r = await expect(o.key, 503, send(o.method, fill(o.path, o.path.startsWith('/votes') ? '1-0' : '1'), { query: o.path === '/ad_request' ? '?country=us&lang=eng' : '' }), 'not ready');
      t.match(r.body, { error: 'not_ready' });
      t.equal(r.headers['retry-after'], '1');
    }
  });

  await t.test('an engine with a rate limit of 1 request per second: 429 on every keyed operation', async (t) => {
    const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1' } });
    const send = requester(http, eng.url);
    for (const o of ops) {
      if (o.key === 'GET /openapi.json') continue;
      // The bucket holds one request: the first may pass (and must be documented too), then 429.
      let r: Reply | null = null;
      for (let i = 0; i < 5 && r?.status !== 429; i++) {
        r = await send(o.method, fill(o.path), { query: o.path === '/ad_request' ? '?country=us&lang=eng' : '' });
        t.same(checker.check(o.key, r), [], `${o.key}: ${r.status} as documented`);
      }
      t.equal(r!.status, 429, `${o.key}: rate limited`);
    }
  });

  t.same(checker.documented().filter((s) => !checker.seen.has(s)), [], 'every documented (operation, status) was produced by a real request');
});

