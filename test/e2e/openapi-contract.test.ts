// Real answers against engine/openapi.json. Over HTTP, every documented operation is routed (no
// 404 not_found, no 405) and every other method on a documented path is a 405. Then each operation
// is driven through every status it documents — success, 304 (the ETag just answered sent back in
// If-None-Match), 400, 401, 403, the 404s, 409, 413, 415, 429 (an engine with a tiny rate limit),
// 503 (an engine whose event log cannot be read and that has no ads; writes with the log failing)
// — and every answer must be one the document declares for
// that operation and status: content-type, body schema, required headers. An undocumented status
// fails, and so does a documented one that no request produced, or a documented content type of
// it (GET /ad_request's 200 in JSON and in VAST). Then the document's input rules
// are the server's: every query parameter, the key headers, the ids in paths and the body fields
// with rules are sent values on both sides of each rule, and the document's own schema decides
// the outcome (a value it refuses is a 400 naming it, one it allows is not a 400), as is the
// query-string limit the document states.

import t, { type Test } from 'tap';
import type { EventLog } from '../../core/store/event-log.js';
import type { FileEventLog } from '../../core/store/file-event-log.js';
import { eventually } from '../helpers/eventually.js';
import { httpClient, type Reply, type TestClient } from '../helpers/http.js';
import { startVoteProcessor } from '../helpers/vote-processor.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';
import { TEST_BEACON_KEY } from '../helpers/spawn.js';
import { BeaconSigner } from '../../core/domain/beacons/token.js';
import { countryCode, langCode } from '../../engine/decision/market.js';
import { ContractChecker, HTTP_METHODS, compileAt, deref, documentAjv, loadDocument, operations, pointer, under, type Operation } from '../helpers/openapi-doc.js';

const { doc } = await loadDocument();
const ops = operations(doc);

/** The real file log, with `read`/`first` (the engine's tail) or `append`/`appendBatch` (writes) failing while asked. */
function faulty(faults: { reads: boolean; appends: boolean }) {
  return (log: FileEventLog): EventLog =>
    new Proxy(log, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        const fail = (prop === 'read' || prop === 'first') && faults.reads ? 'read' : (prop === 'append' || prop === 'appendBatch') && faults.appends ? 'append' : null;
        return (...args: unknown[]) =>
          fail !== null ? Promise.reject(new Error(`injected: event log ${fail} failed`)) : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
}

const jsonWith = (key: string | null, type = 'application/json'): Record<string, string> => ({ 'content-type': type, ...(key === null ? {} : { 'x-api-key': key }) });

/** A request for an operation: its path with ids filled in, a key, and a body for writes. */
function requester(http: TestClient, url: string, adminKey = ADMIN_KEY) {
  return (method: string, path: string, o: { key?: string | null; body?: string; type?: string; query?: string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const key = o.key === undefined ? adminKey : o.key;
    const target = `${url}${path}${o.query ?? ''}`;
    if (method === 'GET') return http.get(target, key === null ? {} : { 'x-api-key': key });
    return http.send(method, target, o.body ?? '{}', { ...jsonWith(key, o.type), ...o.headers });
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
  const xml = (text: string, type = 'application/xml; charset=utf-8'): Reply => ({ status: 200, headers: { 'content-type': type }, text, body: undefined });
  const vast = '<?xml version="1.0" encoding="UTF-8"?><VAST version="4.2"/>';
  t.same(checker.check('GET /ad_request', xml(vast)), [], 'a VAST document');
  t.match(checker.check('GET /ad_request', xml('<html></html>')), [/does not match/], 'XML that is not VAST');
  t.match(checker.check('GET /ad_request', xml(vast, 'application/xml')), [/content-type application\/xml, not application\/xml; charset=utf-8/]);
  t.match(checker.check('GET /ad_request', xml(vast, 'text/html')), [/answered content-type text\/html, not one of application\/json, application\/xml/], 'an undeclared type is refused');
  t.match(checker.check('GET /ad_request', { ...xml(vast), status: 404 }), [/declares no application\/xml content|content-type/], 'no fill is not XML under 404');
});

/** The query an operation needs to get past its parameter checks. */
const sampleQuery = (path: string): string => (path === '/ad_request' ? '?country=us&lang=eng' : path === '/reports/ads' ? '?from=2026-11-24&to=2026-11-25' : '');

/** Every documented operation is routed (no 404 not_found, no 405); other methods on its path are 405. */
async function routedAsDocumented(t: Test, http: TestClient, url: string, adminKey: string): Promise<void> {
  const send = requester(http, url, adminKey);
  for (const o of ops) {
    const r = await send(o.method, fill(o.path), { query: sampleQuery(o.path) });
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

    const document = await expect('GET /openapi.json', 200, send('GET', '/openapi.json', { key: null }), 'without a key');
    await expect('GET /openapi.json', 304, http.get(`${eng.url}/openapi.json`, { 'if-none-match': String(document.headers.etag) }), 'not modified');

    const ad = 'GET /ad_request';
    await expect(ad, 200, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=US&lang=eng' }), 'an ad');
    await expect(ad, 400, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=usa&lang=eng' }), 'bad country');
    await expect(ad, 400, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=us' }), 'no lang');
    await expect(ad, 401, send('GET', '/ad_request', { key: null, query: '?country=us&lang=eng' }), 'no key');
    await expect(ad, 404, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=zz&lang=zzz' }), 'no ad');
    await expect(ad, 200, http.get(`${eng.url}/ad_request?country=us&lang=eng`, { authorization: `Bearer ${GAME_KEY}` }), 'bearer key');
    await expect(ad, 200, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=us&lang=eng&format=vast' }), 'a VAST ad');
    await expect(ad, 200, http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY, accept: 'application/xml' }), 'VAST by Accept');
    await expect(ad, 200, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=zz&lang=zzz&format=vast' }), 'VAST, no fill');
    await expect(ad, 400, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=us&lang=eng&format=xml' }), 'bad format');
    await expect(ad, 200, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=us&lang=eng&count=2' }), 'count');
    await expect(ad, 200, send('GET', '/ad_request', { key: ADMIN_KEY, query: '?country=us&lang=eng&explain=true' }), 'explain');
    await expect(ad, 403, send('GET', '/ad_request', { key: GAME_KEY, query: '?country=us&lang=eng&explain=true' }), 'explain with a game key');

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
    const gameList = await expect(games, 200, send('GET', '/games', { key: GAME_KEY }), 'the games');
    await expect(games, 200, send('GET', '/games', { key: GAME_KEY, query: '?limit=1' }), 'a page');
    await expect(games, 304, http.get(`${eng.url}/games`, { 'x-api-key': GAME_KEY, 'if-none-match': String(gameList.headers.etag) }), 'not modified');
    await expect(games, 400, send('GET', '/games', { key: GAME_KEY, query: '?cursor=nope' }), 'bad cursor');
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
    await expect(check, 200, send('GET', '/blacklist/check', { key: GAME_KEY, query: '?email=cheater@example.com&game_id=1' }), "one game's view");
    await expect(check, 404, send('GET', '/blacklist/check', { key: GAME_KEY, query: '?email=cheater@example.com&game_id=9' }), 'unknown game');

    const checks = 'POST /blacklist/check';
    await expect(checks, 200, send('POST', '/blacklist/check', { key: GAME_KEY, body: '{"emails":["cheater@example.com","nobody@example.com"]}' }), 'two players');
    await expect(checks, 400, send('POST', '/blacklist/check', { key: GAME_KEY, body: '{"emails":[]}' }), 'no email');
    await expect(checks, 401, send('POST', '/blacklist/check', { key: null, body: '{"emails":["a@b.co"]}' }), 'no key');
    await expect(checks, 404, send('POST', '/blacklist/check', { key: GAME_KEY, body: '{"emails":["a@b.co"],"game_id":9}' }), 'unknown game');
    await expect(checks, 413, send('POST', '/blacklist/check', { key: GAME_KEY, body: tooBig }), 'too large');
    await expect(checks, 415, send('POST', '/blacklist/check', { key: GAME_KEY, body: '{"emails":["a@b.co"]}', type: 'text/plain' }), 'not JSON content-type');

    const revoke = 'DELETE /blacklist';
    await expect(revoke, 200, send('DELETE', '/blacklist', { query: '?email=c2@example.com&game_id=1' }), 'revoked');
    await expect(revoke, 400, send('DELETE', '/blacklist', { query: '?email=c2@example.com' }), 'no game');
    await expect(revoke, 401, send('DELETE', '/blacklist', { key: null, query: '?email=c2@example.com&game_id=1' }), 'no key');
    await expect(revoke, 403, send('DELETE', '/blacklist', { key: GAME_KEY, query: '?email=c2@example.com&game_id=1' }), 'game key');
    await expect(revoke, 404, send('DELETE', '/blacklist', { query: '?email=c2@example.com&game_id=9' }), 'unknown game');

    const erase = 'DELETE /players';
    await expect(erase, 200, send('DELETE', '/players', { query: '?email=erased@example.com' }), 'erased');
    await expect(erase, 400, send('DELETE', '/players', { query: '?email=nope' }), 'not an email');
    await expect(erase, 401, send('DELETE', '/players', { key: null, query: '?email=erased@example.com' }), 'no key');
    await expect(erase, 403, send('DELETE', '/players', { key: GAME_KEY, query: '?email=erased@example.com' }), 'game key');

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
    await expect(put, 409, send('PUT', '/topics/1', { body: '{"title":"x","votes_per_player":"one","choices":[{"description":"a"}]}' }), 'votes_per_player changed');
    await expect(put, 413, send('PUT', '/topics/1', { body: tooBig }), 'too large');
    await expect(put, 415, send('PUT', '/topics/1', { body: replacement, type: 'text/plain' }), 'not JSON content-type');

    const list = 'GET /topics';
    await expect(list, 200, send('GET', '/topics', { key: GAME_KEY, query: '?include_votes=true' }), 'with votes');
    const topicList = await expect(list, 200, send('GET', '/topics', { key: GAME_KEY }), 'without votes');
    const topicPage = await expect(list, 200, send('GET', '/topics', { key: GAME_KEY, query: '?limit=1&include_votes=true' }), 'a page');
    await expect(list, 200, send('GET', '/topics', { key: GAME_KEY, query: `?cursor=${(topicPage.body as { next_cursor: string }).next_cursor}` }), 'the next page');
    await expect(list, 304, http.get(`${eng.url}/topics`, { 'x-api-key': GAME_KEY, 'if-none-match': String(topicList.headers.etag) }), 'not modified');
    await expect(list, 400, send('GET', '/topics', { key: GAME_KEY, query: '?limit=0' }), 'bad limit');
    await expect(list, 400, send('GET', '/topics', { key: GAME_KEY, query: '?include_votes=yes' }), 'bad include_votes');
    await expect(list, 401, send('GET', '/topics', { key: null }), 'no key');

    const one = 'GET /topics/{id}';
    await expect(one, 200, send('GET', '/topics/1', { key: GAME_KEY, query: '?include_votes=true' }), 'with votes');
    const oneTopic = await expect(one, 200, send('GET', '/topics/1', { key: null, query: `?api_key=${GAME_KEY}` }), 'without votes');
    await expect(one, 304, http.get(`${eng.url}/topics/1`, { 'x-api-key': GAME_KEY, 'if-none-match': String(oneTopic.headers.etag) }), 'not modified');
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
    // Polls: a topic that has ended, and one that counts one vote per player.
    const ended = await expect(newTopic, 201, send('POST', '/topics', { body: '{"title":"Ended","ends_at":"2020-01-01T00:00:00+01:00","choices":[{"description":"x"}]}' }), 'with an end, past');
    const endedTopic = ended.body as { id: number; choices: { id: number }[] };
    await expect(vote, 409, send('POST', '/votes', { key: GAME_KEY, body: JSON.stringify({ topic_id: endedTopic.id, choice_id: endedTopic.choices[0]!.id }) }), 'topic closed');
    const poll = await expect(newTopic, 201, send('POST', '/topics', { body: '{"title":"MVP?","votes_per_player":"one","choices":[{"description":"Ana"}]}' }), 'one vote per player');
    const pollVote = JSON.stringify({ topic_id: (poll.body as { id: number }).id, choice_id: (poll.body as { choices: { id: number }[] }).choices[0]!.id, player_id: 'p1' });
    await expect(vote, 202, send('POST', '/votes', { key: GAME_KEY, body: pollVote }), 'queued, with a player');
    await expect(vote, 409, send('POST', '/votes', { key: GAME_KEY, body: pollVote }), 'already voted');
    await expect(vote, 400, send('POST', '/votes', { key: GAME_KEY, body: pollVote.replace(',"player_id":"p1"', '') }), 'no player_id on a one-vote topic');
    // The same player's vote through another engine at the same moment: straight into the log.
    const secondId = await eng.events.append({ type: 'vote_cast', data: { ...JSON.parse(pollVote), queued_at: Date.now() } });
    await eventually(() => send('GET', `/votes/${secondId}`, { key: GAME_KEY }), (r) => r.status === 200, 10_000, 'the second vote refused by the fold', 25);
    await expect('GET /votes/{id}', 200, send('GET', `/votes/${secondId}`, { key: GAME_KEY }), 'refused');
    await expect(vote, 413, send('POST', '/votes', { key: GAME_KEY, body: tooBig }), 'too large');
    await expect(vote, 415, send('POST', '/votes', { key: GAME_KEY, body: '{"topic_id":1,"choice_id":2}', type: 'text/plain' }), 'not JSON content-type');

    const receipt = 'GET /votes/{id}';
    const voteId = (cast.body as { id: string }).id;
    const queued = await expect(receipt, 202, send('GET', `/votes/${voteId}`, { key: GAME_KEY }), 'queued, not counted');
    await expect(receipt, 304, http.get(`${eng.url}/votes/${voteId}`, { 'x-api-key': GAME_KEY, 'if-none-match': String(queued.headers.etag) }), 'not modified');
    await expect(receipt, 400, send('GET', `/votes/${voteId}`, { key: null, query: '?api_key=a&api_key=b' }), 'api_key twice');
    await expect(receipt, 401, send('GET', `/votes/${voteId}`, { key: null }), 'no key');
    await expect(receipt, 404, send('GET', '/votes/1-0', { key: GAME_KEY }), 'unknown vote');
    await expect(receipt, 404, send('GET', '/votes/not-a-vote-id', { key: GAME_KEY }), 'not a vote id');
    await startVoteProcessor(t, eng.events);
    const counted = await eventually(() => send('GET', `/votes/${voteId}`, { key: GAME_KEY }), (r) => r.status === 200, 10_000, 'the vote counted', 25);
    t.same(checker.check(receipt, counted), [], 'counted: 200 as documented');
    t.equal(counted.status, 200);
    await expect(list, 200, send('GET', '/topics', { key: GAME_KEY, query: '?include_votes=true' }), 'with a counted vote');

    // Beacons: signed tracking URLs, no key; the reports that count them, admin only.
    const signer = new BeaconSigner([Buffer.from(TEST_BEACON_KEY)], 3600);
    signer.sign('us-eng-allday-1', countryCode('us'), langCode('eng'), Date.now());
    const [claim, tail] = signer.tokens[0]!.split('.') as [string, string];
    const expired = new BeaconSigner([Buffer.from(TEST_BEACON_KEY)], 60);
    expired.sign('us-eng-allday-1', countryCode('us'), langCode('eng'), Date.now() - 120_000);
    for (const [op, method] of [
      ['GET /beacon/{token}', 'GET'],
      ['POST /beacon/{token}', 'POST'],
    ] as const) {
      await expect(op, 204, send(method, `/beacon/${signer.tokens[method === 'GET' ? 0 : 1]}`, { key: null }), 'recorded');
      await expect(op, 200, http.send(method, `${eng.url}/beacon/${signer.tokens[2]}`, undefined, { accept: 'image/*' }), 'an image request: the pixel');
      await expect(op, 400, send(method, '/beacon/not-a-token', { key: null }), 'malformed');
      await expect(op, 403, send(method, `/beacon/${claim}.6${tail.slice(1)}`, { key: null }), 'forged');
      await expect(op, 410, send(method, `/beacon/${expired.tokens[0]}`, { key: null }), 'expired');
    }
    const reports = 'GET /reports/ads';
    await expect(reports, 200, send('GET', '/reports/ads', { query: '?from=2026-11-24&to=2026-11-25' }), 'JSON');
    await expect(reports, 200, send('GET', '/reports/ads', { query: `?from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}&format=csv` }), 'CSV');
    await expect(reports, 400, send('GET', '/reports/ads', { query: '?from=2026-11-24' }), 'no to');
    await expect(reports, 401, send('GET', '/reports/ads', { key: null, query: '?from=2026-11-24&to=2026-11-25' }), 'no key');
    await expect(reports, 403, send('GET', '/reports/ads', { key: GAME_KEY, query: '?from=2026-11-24&to=2026-11-25' }), 'game key');

    // Safe retries: a retry answered as documented (Idempotent-Replayed), another body under the key 422, a malformed key 400.
    for (const [opKey, method, path, key, body, other, status] of [
      [newGame, 'POST', '/games', ADMIN_KEY, '{"name":"Retried"}', '{"name":"Other"}', 201],
      [report, 'POST', '/blacklist', GAME_KEY, '{"game_id":1,"email":"r@example.com","reason":"cheating"}', '{"game_id":1,"email":"r@example.com","reason":"spam"}', 201],
      [newTopic, 'POST', '/topics', ADMIN_KEY, topic, '{"title":"x","choices":[{"description":"a"}]}', 201],
      [put, 'PUT', '/topics/1', ADMIN_KEY, replacement, '{"title":"x","choices":[{"description":"a"}]}', 200],
      [vote, 'POST', '/votes', GAME_KEY, '{"topic_id":1,"choice_id":2}', '{"topic_id":1,"choice_id":4}', 202],
    ] as const) {
      const headers = { 'idempotency-key': `contract-${opKey.replace(/\W/g, '-')}` };
      const first = await expect(opKey, status, send(method, path, { key, body, headers }), 'with an Idempotency-Key');
      const again = await expect(opKey, status, send(method, path, { key, body, headers }), 'retried');
      t.same([again.headers['idempotent-replayed'], again.text], ['true', first.text], `${opKey}: the first answer, replayed`);
      await expect(opKey, 422, send(method, path, { key, body: other, headers }), 'another body under the key');
      await expect(opKey, 400, send(method, path, { key, body, headers: { 'idempotency-key': 'not a key' } }), 'a malformed Idempotency-Key');
    }

    // The event log refuses writes: nothing recorded, 503 store_unavailable with Retry-After.
    faults.appends = true;
    for (const [op, method] of [
      ['GET /beacon/{token}', 'GET'],
      ['POST /beacon/{token}', 'POST'],
    ] as const) {
      t.match((await expect(op, 503, send(method, `/beacon/${signer.tokens[method === 'GET' ? 3 : 4]}`, { key: null }), 'event log down')).body, { error: 'store_unavailable' });
    }
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
      // A beacon reads nothing of the stream: its token decides (covered on the ready engine).
      if (o.path === '/beacon/{token}') continue;
      const r = await expect(o.key, 503, send(o.method, fill(o.path, o.path.startsWith('/votes') ? '1-0' : '1'), { query: sampleQuery(o.path) }), 'not ready');
      t.match(r.body, { error: 'not_ready' });
      t.equal(r.headers['retry-after'], '1');
    }
  });

  await t.test('an engine with a rate limit of 1 request per second: 429 on every keyed operation', async (t) => {
    const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1' } });
    const send = requester(http, eng.url);
    for (const o of ops) {
      // Not keyed: no key, no rate.
      if ((o.op.security as unknown[]).length === 0) continue;
      // The bucket holds one request: the first may pass (and must be documented too), then 429.
      let r: Reply | null = null;
      for (let i = 0; i < 5 && r?.status !== 429; i++) {
        r = await send(o.method, fill(o.path), { query: sampleQuery(o.path) });
        t.same(checker.check(o.key, r), [], `${o.key}: ${r.status} as documented`);
      }
      t.equal(r!.status, 429, `${o.key}: rate limited`);
    }
  });

  await t.test('the input rules the document states are the server\'s, value for value', async (t) => {
    const eng = await startTestEngine(t, { ads: [row('us-eng-allday-1', 'us', 'eng')] });
    await inputRules(t, http, eng.url, checker);
  });

  t.same(checker.documented().filter((s) => !checker.seen.has(s)), [], 'every documented (operation, status) was produced by a real request');
});

type Json = Record<string, unknown>;
/** A value to send; `absent` sends nothing at all. */
const absent = Symbol('absent');
type Probe = unknown;

const longestEmail = `${'a'.repeat(64)}@${'b'.repeat(185)}.com`;
const emailProbes = [
  'a@b.co', 'A+B@Example.COM', ' a@b.co ', 'a..b@c..d', '!#$%&\'*+-/=?^_`{|}~@x.y', longestEmail, ` ${longestEmail}`, `${'a'.repeat(64)}@example.com`,
  `${'a'.repeat(65)}@example.com`, 'a b@b.co', 'jos\u00e9@example.com', 'a\u0000b@example.com', 'a\u007fb@example.com', '\u212a@example.com',
  'nope', 'a@b', '@b.co', 'a@.co', 'a@b.', 'a@@b.co', 'a@b@c.co', '', ' ', '+',
];

/**
 * Values for every query parameter the document declares (by name): each side of every rule it
 * states (length, pattern, enum, required), and the characters the query reader refuses.
 */
const queryProbes: Record<string, Probe[]> = {
  country: [absent, 'us', 'US', 'uS', 'u', 'usa', 'u1', '', ' us', '\u00fc\u00fc', 'x'.repeat(33)],
  lang: [absent, 'eng', 'EnG', 'en', 'engl', 'e1g', ''],
  player_id: [absent, 'p', 'player 42', '~', 'x'.repeat(128), 'x'.repeat(129), '', '\u00e9', '\u0000', '\t', '\u007f'],
  // GET /ad_request's (json, vast) and GET /reports/ads' (json, csv): each refuses the other's.
  format: [absent, 'json', 'vast', 'csv', 'VAST', 'Json', 'JSON', 'xml', ' vast', '', 'v'.repeat(17), '\u00e9'],
  email: [absent, ...emailProbes],
  game_id: [absent, '1', '9999999999', '10000000000', '0', '007', '-1', '1.5', 'x', ''],
  platform: [absent, 'ios', 'web', 'playstation', 'IOS', 'amiga', '', 'i'.repeat(17), '\u00e9'],
  count: [absent, '1', '5', '0', '6', '01', '1.0', 'two', '', '\u00e9'],
  explain: [absent, 'true', 'false', 'True', '1', '', 'yes'],
  include_votes: [absent, 'true', 'false', 'True', '', '1', 'falsey'],
  limit: [absent, '1', '2', '100', '999', '1000', '0', '1001', '01', '-1', '1.5', 'ten', '', '10000', '\u00e9'],
  // A cursor names the last id of a page: any id is well-formed (past the end, an empty last page).
  cursor: [absent, '1AAAAAAAA', '1AAAAAAAB', `1${'_'.repeat(8)}`, '1-_-_-_-_', '1zzzzzzzz', '2AAAAAAAB', '1AAAAAAA', '1AAAAAAAAA', '1AAAA+AAA', '1AAAA=AAA', 'nope', '', 'c'.repeat(65), '\u00e9'],
  from: [absent, '2026-11-24', '2026-11-24T10Z', '2026-11-24T10:00Z', '2026-11-24T10:30Z', '2026-11-24T10:30:15.5+02:00', 'yesterday', '2026-11-24T10', '', '2026-11-24 10:00', 'x'.repeat(41)],
  to: [absent, '2026-11-25', '2026-11-25T00:00:00.000Z', '2026-11-25T01-01:00', 'tomorrow', '', '2026-11-25T24:00Z'],
  ad_id: [absent, 'us-eng-allday-1', 'other', 'x'.repeat(128), 'x'.repeat(129), '', '\u00e9', '\u0000'],
  api_key: [absent, ADMIN_KEY, 'not a key', ' ', '~', 'k'.repeat(256), 'k'.repeat(257), '', 'k\u00e9', '\u0000', '\u007f'],
};

const idProbes: Probe[] = [absent, 1, '1', 2, 9_999_999_999, '9999999999', 10_000_000_000, '10000000000', 0, '0', '007', -1, '-1', 1.5, '1.5', ' 1', '', null, true, [1]];

const votesPerPlayerProbes: Probe[] = [absent, 'unlimited', 'one', 'two', 'ONE', '', null, 1];
const endsAtProbes: Probe[] = [
  absent, null, '2026-12-01T18:00:00Z', '2026-12-01T18:00Z', '2026-12-01T18:00:00.123+05:30', '2020-01-01T00:00:00-01:00',
  '2026-12-01T18:00:00', '2026-12-01', '2026-12-01T18:00:00.1234Z', 'tomorrow', '', 1_800_000_000_000, true,
];

/** Body fields with rules, by operation: where the field is in the operation's example body, and its values. */
const bodyProbes: Record<string, { field: string; at: (string | number)[]; values: Probe[] }[]> = {
  'POST /blacklist': [
    { field: 'game_id', at: ['game_id'], values: idProbes },
    { field: 'email', at: ['email'], values: [absent, ...emailProbes, '\t a@b.co \n', 5, null] },
    {
      field: 'reason',
      at: ['reason'],
      values: [absent, 'cheating', 'Cheating', ' cheating\n', 'snake_case_2', 'two words', '_x', 'x_', 'x__y', '1x', '', 'a'.repeat(64), 'a'.repeat(65), ` ${'a'.repeat(64)} `, '\u212aick', 'caf\u00e9', 7],
    },
    {
      field: 'expires_at',
      at: ['expires_at'],
      values: [absent, null, '2099-01-01T00:00:00Z', '2099-01-01T00:00:00.5+02:00', '2099-01-01T00:00:00', '2099-02-30T00:00:00Z', '2099-01-01', 5, ''],
    },
  ],
  'POST /blacklist/check': [
    { field: 'emails[0]', at: ['emails', 0], values: [...emailProbes, 5, null] },
    { field: 'game_id', at: ['game_id'], values: idProbes },
  ],
  'POST /votes': [
    { field: 'topic_id', at: ['topic_id'], values: idProbes },
    { field: 'choice_id', at: ['choice_id'], values: idProbes },
    { field: 'player_id', at: ['player_id'], values: [absent, null, 'p', 'player 42', '~', 'x'.repeat(128), 'x'.repeat(129), '', '\u00e9', '\u0000', '\t', '\u007f', 42, ['p']] },
  ],
  'POST /topics': [
    { field: 'votes_per_player', at: ['votes_per_player'], values: votesPerPlayerProbes },
    { field: 'ends_at', at: ['ends_at'], values: endsAtProbes },
  ],
  'PUT /topics/{id}': [
    { field: 'choices[0].id', at: ['choices', 0, 'id'], values: [...idProbes.filter((v) => v !== absent), 2] },
    { field: 'votes_per_player', at: ['votes_per_player'], values: votesPerPlayerProbes },
    { field: 'ends_at', at: ['ends_at'], values: endsAtProbes },
  ],
};

/** Path parameters: refused values name nothing (404 with the operation's code), never a 400. */
const pathProbes: Record<string, string[]> = {
  'GET /topics/{id}': ['1', '9999999999', '10000000000', '0', '007', '-1', '1.0', '1e3', 'abc'],
  'PUT /topics/{id}': ['1', '0', '007', '10000000000'],
  'GET /votes/{id}': ['1-0', '01-0', '1', '1-0-0', 'a-b', `${'1'.repeat(17)}-0`],
};

const withValue = (body: unknown, at: (string | number)[], value: Probe): unknown => {
  const copy = structuredClone(body) as Json;
  let holder = copy as Record<string | number, unknown>;
  for (const key of at.slice(0, -1)) holder = holder[key] as Record<string | number, unknown>;
  if (value === absent) delete holder[at[at.length - 1]!];
  else holder[at[at.length - 1]!] = value;
  return copy;
};

const show = (v: Probe): string => (v === absent ? '(absent)' : JSON.stringify(v).slice(0, 40));

/** The operation's path with an id that exists (topic 1) or is well-formed (a vote id). */
const concrete = (o: Operation): string => fill(o.path, o.path.startsWith('/votes') ? '1-0' : '1');

/** The operation's query parameters (refs followed), with where each is in the document. */
const queryParams = (o: Operation): { value: Json; at: string }[] => {
  const at = pointer('paths', o.path, o.method.toLowerCase(), 'parameters');
  return ((o.op.parameters ?? []) as Json[]).map((p, i) => deref(doc, p, under(at, String(i)))).filter((p) => p.value.in === 'query');
};

/** `name=example` for each required query parameter but `except`. */
const requiredQuery = (o: Operation, except = ''): string[] =>
  queryParams(o)
    .filter((p) => p.value.required === true && p.value.name !== except)
    .map((p) => `${String(p.value.name)}=${encodeURIComponent(String(p.value.example))}`);

async function inputRules(t: Test, http: TestClient, url: string, checker: ContractChecker): Promise<void> {
  const ajv = documentAjv(doc);
  const send = requester(http, url);
  const keyed = ops.filter((o) => (o.op.security as unknown[]).length > 0);
  const exampleBody = (o: Operation): unknown => {
    const media = (o.op.requestBody as { content: Record<string, { examples: Record<string, { value: unknown }> }> }).content['application/json']!;
    return Object.values(media.examples)[0]!.value;
  };
  // Everything the example bodies name exists: game 1, topic 1 with choices 1 and 2.
  for (const o of ['POST /games', 'POST /topics']) {
    const op = ops.find((x) => x.key === o)!;
    t.match(await send(op.method, op.path, { body: JSON.stringify(exampleBody(op)) }), { status: 201 }, `${o} from its example`);
  }
  const answer = (o: Operation, what: string, refused: boolean, r: Reply, name: string, code: string): void => {
    t.same(checker.check(o.key, r), [], `${o.key} ${what}: ${r.status} as documented`);
    if (!refused) {
      t.not(r.status, 400, `${o.key} ${what}: allowed by the document, not a 400 (${r.text.slice(0, 80)})`);
      return;
    }
    const body = r.body as { error?: string; message?: string } | undefined;
    t.ok(r.status === 400 && body?.error === code && body.message?.startsWith(`${name} `), `${o.key} ${what}: refused by the document, a 400 ${code} naming ${name} (${r.status} ${r.text.slice(0, 80)})`);
  };

  // Query parameters, the key's included: the others as their examples, the key in a header unless probed.
  for (const o of keyed) {
    const body = o.op.requestBody === undefined ? undefined : JSON.stringify(exampleBody(o));
    for (const { value: param, at: paramAt } of queryParams(o)) {
      const name = String(param.name);
      const probes = queryProbes[name];
      if (!t.ok(probes, `${o.key}: query parameter ${name} has probes`) || probes === undefined) continue;
      const validate = compileAt(ajv, under(paramAt, 'schema'));
      const verdicts = probes.map((v) => (v === absent ? param.required !== true : validate(v)));
      t.ok(verdicts.includes(true) && verdicts.includes(false), `${o.key} ${name}: probes on both sides of its rules`);
      for (const [i, value] of probes.entries()) {
        const query = requiredQuery(o, name);
        if (value !== absent) query.push(`${name}=${encodeURIComponent(String(value))}`);
        const r = await send(o.method, concrete(o), {
          key: name === 'api_key' ? null : ADMIN_KEY,
          query: query.length === 0 ? '' : `?${query.join('&')}`,
          body,
        });
        answer(o, `${name}=${show(value)}`, !verdicts[i]!, r, name, 'bad_param');
      }
    }
  }

  // Body fields: the operation's example with one field changed; its request schema decides.
  for (const [key, fields] of Object.entries(bodyProbes)) {
    const o = ops.find((x) => x.key === key)!;
    const validate = compileAt(ajv, pointer('paths', o.path, o.method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema'));
    for (const { field, at, values } of fields) {
      const verdicts = values.map((v) => validate(withValue(exampleBody(o), at, v)));
      t.ok(verdicts.includes(true) && verdicts.includes(false), `${key} ${field}: probes on both sides of its rules`);
      for (const [i, value] of values.entries()) {
        const body = JSON.stringify(withValue(exampleBody(o), at, value));
        const r = await send(o.method, concrete(o), { key: ADMIN_KEY, body });
        answer(o, `${field}: ${show(value)}`, !verdicts[i]!, r, field, 'bad_body');
      }
    }
  }

  // Path ids: the document's schema for the parameter decides; what it refuses names nothing.
  for (const [key, values] of Object.entries(pathProbes)) {
    const o = ops.find((x) => x.key === key)!;
    const i = ((o.op.parameters ?? []) as Json[]).findIndex((p) => p.in === 'path');
    const param = (o.op.parameters as Json[])[i]!;
    const validate = compileAt(ajv, under(pointer('paths', o.path, o.method.toLowerCase(), 'parameters', String(i)), 'schema'));
    // A path carries text: an integer parameter takes only an integer's canonical form.
    const integer = (param.schema as Json).$ref === '#/components/schemas/Id' || (param.schema as Json).type === 'integer';
    const code = o.path.startsWith('/votes') ? 'unknown_vote' : 'unknown_topic';
    for (const value of values) {
      const allowed = integer ? /^-?(0|[1-9][0-9]*)$/.test(value) && validate(Number(value)) : validate(value);
      const r = await send(o.method, fill(o.path, value), { key: ADMIN_KEY, body: o.op.requestBody === undefined ? undefined : JSON.stringify(exampleBody(o)) });
      t.same(checker.check(o.key, r), [], `${o.key} id ${value}: ${r.status} as documented`);
      t.not(r.status, 400, `${o.key} id ${value}: never a 400`);
      if (!allowed) t.match(r, { status: 404, body: { error: code } }, `${o.key} id ${value}: refused by the document, names nothing`);
    }
  }

  // The query-string limit the document states, on every keyed operation: that many bytes pass, one more is a 400.
  const limit = Number(/over (\d+) bytes/.exec(String(doc.components.responses.BadParam!.description))?.[1]);
  t.ok(limit > 0, `the document states the query-string limit (${limit} bytes)`);
  for (const o of keyed) {
    const base = requiredQuery(o).join('&');
    const padded = (bytes: number) => `?${base}${base === '' ? '' : '&'}pad=${'x'.repeat(bytes - base.length - (base === '' ? 4 : 5))}`;
    const body = o.op.requestBody === undefined ? undefined : JSON.stringify(exampleBody(o));
    const path = concrete(o);
    t.equal(padded(limit).length - 1, limit);
    const fits = await send(o.method, path, { key: ADMIN_KEY, query: padded(limit), body });
    t.same(checker.check(o.key, fits), [], `${o.key} a ${limit}-byte query: ${fits.status} as documented`);
    t.not(fits.status, 400, `${o.key}: a ${limit}-byte query string is read`);
    const over = await send(o.method, path, { key: ADMIN_KEY, query: padded(limit + 1), body });
    t.same(checker.check(o.key, over), [], `${o.key} a ${limit + 1}-byte query: as documented`);
    t.match(over, { status: 400, body: { error: 'bad_param', message: `query string is longer than ${limit} bytes` } }, `${o.key}: one byte more is a 400`);
  }

  // Header keys are looked up, never refused for their form: 401, as the schemes say.
  for (const o of keyed) {
    const query = requiredQuery(o).join('&');
    const target = `${url}${concrete(o)}${query === '' ? '' : `?${query}`}`;
    const body = o.op.requestBody === undefined ? undefined : JSON.stringify(withValue(exampleBody(o), ['api_key'], absent));
    const call = (headers: Record<string, string>) => http.send(o.method, target, body, { 'content-type': 'application/json', ...headers });
    for (const [what, headers, status] of [
      ['x-api-key of 1000 characters', { 'x-api-key': 'k'.repeat(1000) }, 401],
      ['x-api-key with a space', { 'x-api-key': 'not a key' }, 401],
      ['Authorization: Basic', { authorization: `Basic ${ADMIN_KEY}` }, 401],
      ['an empty Bearer token', { authorization: 'Bearer   ' }, 401],
    ] as const) {
      const r = await call(headers);
      t.same(checker.check(o.key, r), [], `${o.key} ${what}: ${r.status} as documented`);
      t.equal(r.status, status, `${o.key} ${what}`);
    }
    const empty = await call({ 'x-api-key': '', authorization: `bearer  ${ADMIN_KEY} ` });
    t.not(empty.status, 401, `${o.key}: an empty x-api-key is absent; the Bearer token (any case, trimmed) is read`);
  }
}

