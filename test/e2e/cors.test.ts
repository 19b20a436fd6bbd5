// CORS over real HTTP (README "Browser games (CORS)"): with CORS_ORIGINS set, every answer to an
// allowed Origin carries Access-Control-Allow-Origin, Vary and Access-Control-Expose-Headers —
// successes and errors, synchronous and written after the event log, 404 and 405 — and an OPTIONS
// preflight that may go ahead is a 204 with neither key nor rate limit; any other origin gets no
// CORS header at all, and neither does anyone with CORS_ORIGINS unset. Also: the headers are the
// OpenAPI document's, preflights are counted under their own route, server processes get the
// setting, and an engine with a malformed entry does not start. A real browser calling the engine
// from another origin: test/e2e/cors-browser.test.ts.

import t, { type Test } from 'tap';
import { row } from '../helpers/feed-rows.js';
import { httpClient, type Reply } from '../helpers/http.js';
import { rawRequest } from '../helpers/raw-http.js';
import { ContractChecker, compileAt, documentAjv, loadDocument, pointer } from '../helpers/openapi-doc.js';
import { startProcess } from '../helpers/spawn.js';
import { scratchDir } from '../helpers/scratch-dir.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const PLAY = 'https://play.example.com';
const DEV = 'http://127.0.0.1:5173';
const EXPOSED = 'retry-after, allow, etag, idempotent-replayed';
const ALLOWED_HEADERS = 'x-api-key, authorization, content-type, idempotency-key, if-none-match';

const { doc } = await loadDocument();

/** The CORS headers of an answer (names starting access-control-, and vary). */
const corsHeaders = (r: Reply): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));

/** What an answer to an allowed origin carries. */
const corsFor = (origin: string) => ({ 'access-control-allow-origin': origin, vary: 'origin', 'access-control-expose-headers': EXPOSED });

/** A preflight for `method` on `path` from `origin` (null: no Origin header). */
const preflightHeaders = (origin: string | null, method?: string): Record<string, string> => ({
  ...(origin === null ? {} : { origin }),
  ...(method === undefined ? {} : { 'access-control-request-method': method }),
  'access-control-request-headers': 'x-api-key, content-type',
});

/** Every answer here as the document says, plus the CORS headers as components/headers says. */
function contract(t: Test) {
  const checker = new ContractChecker(doc);
  const ajv = documentAjv(doc);
  const header = (name: string) => compileAt(ajv, pointer('components', 'headers', name, 'schema'));
  const schemas = {
    'access-control-allow-origin': header('AccessControlAllowOrigin'),
    vary: header('Vary'),
    'access-control-expose-headers': header('AccessControlExposeHeaders'),
  };
  return (opKey: string, r: Reply, what: string) => {
    t.same(checker.check(opKey, r), [], `${what}: ${r.status} as the document declares it`);
    for (const [name, validate] of Object.entries(schemas)) t.ok(validate(r.headers[name]), `${what}: ${name} ${String(r.headers[name])} as components/headers declares it`);
  };
}

t.test('CORS_ORIGINS unset (the default): no CORS header on any answer, OPTIONS is a 405 as before', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')] });
  const http = httpClient(t);
  const ad = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY, origin: PLAY });
  t.equal(ad.status, 200);
  t.same(corsHeaders(ad), {}, 'a 200 to a page: no CORS header');
  t.same(corsHeaders(await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { origin: PLAY })), {}, 'a 401: none either');
  const options = await http.send('OPTIONS', `${eng.url}/games`, undefined, preflightHeaders(PLAY, 'POST'));
  t.equal(options.status, 405);
  t.equal(options.headers.allow, 'GET, POST');
  t.same(options.body, { error: 'method_not_allowed', message: 'method not allowed on this route' });
  t.same(corsHeaders(options), {});
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_http_requests_total\{route="unmatched",status="405"\} 1$/m, 'counted as any 405');
  t.match(metrics, /^engine_http_requests_total\{route="preflight",status="204"\} 0$/m);
});

t.test('an allowed origin: every answer carries the CORS headers, synchronous or after the event log', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { CORS_ORIGINS: `${PLAY},${DEV}` } });
  const http = httpClient(t);
  const check = contract(t);
  const from = (origin: string, key: string | null = GAME_KEY): Record<string, string> => ({ origin, ...(key === null ? {} : { 'x-api-key': key }) });
  const json = (origin: string, key: string): Record<string, string> => ({ ...from(origin, key), 'content-type': 'application/json' });

  const ad = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, from(PLAY));
  t.equal(ad.status, 200);
  t.match(ad.body, { id: 'a' });
  t.same(corsHeaders(ad), corsFor(PLAY), 'GET /ad_request 200 (the hot path)');
  check('GET /ad_request', ad, 'ad 200');
  const vast = await http.get(`${eng.url}/ad_request?country=us&lang=eng&format=vast`, from(DEV));
  t.equal(vast.status, 200);
  t.same(corsHeaders(vast), corsFor(DEV), 'a VAST 200, to the other origin listed: that one');
  const beacon = /<Impression[^>]*>http:\/\/127\.0\.0\.1:\d+(\/beacon\/[^<]+)<\/Impression>/.exec(vast.text)?.[1];
  t.ok(beacon, `the VAST answer has an impression URL: ${vast.text.slice(0, 400)}`);
  const fired = await http.send('POST', `${eng.url}${beacon}`, undefined, from(PLAY, null));
  t.equal(fired.status, 204, 'a beacon fired from the page: 204 once durable');
  t.same(corsHeaders(fired), corsFor(PLAY), 'a beacon answered after the event log: the CORS headers');

  const cases: [string, string, Promise<Reply>, number][] = [
    ['GET /ad_request', 'no key: 401', http.get(`${eng.url}/ad_request?country=us&lang=eng`, from(PLAY, null)), 401],
    ['GET /ad_request', 'bad query: 400', http.get(`${eng.url}/ad_request?country=usa&lang=eng`, from(PLAY)), 400],
    ['GET /ad_request', 'no ad: 404', http.get(`${eng.url}/ad_request?country=fr&lang=fra`, from(PLAY)), 404],
    ['GET /blacklist/check', 'not reported: 404', http.get(`${eng.url}/blacklist/check?email=a@b.co`, from(PLAY)), 404],
    ['POST /games', 'written: 201 after the event log', http.send('POST', `${eng.url}/games`, '{"name":"Space Raiders"}', json(PLAY, ADMIN_KEY)), 201],
    ['POST /games', 'game key: 403', http.send('POST', `${eng.url}/games`, '{"name":"x"}', json(PLAY, GAME_KEY)), 403],
    ['POST /blacklist', 'bad body: 400 after reading it', http.send('POST', `${eng.url}/blacklist`, '{"game_id":1}', json(PLAY, GAME_KEY)), 400],
    ['POST /topics', 'not JSON: 415', http.send('POST', `${eng.url}/topics`, 'x', { ...from(PLAY, ADMIN_KEY), 'content-type': 'text/plain' }), 415],
    ['GET /beacon/{token}', 'malformed token: 400', http.get(`${eng.url}/beacon/garbage`, from(PLAY, null)), 400],
    ['GET /openapi.json', 'the document', http.get(`${eng.url}/openapi.json`, from(PLAY, null)), 200],
  ];
  for (const [opKey, what, reply, status] of cases) {
    const r = await reply;
    t.equal(r.status, status, `${opKey} ${what} (body ${r.text})`);
    t.same(corsHeaders(r), corsFor(PLAY), `${opKey} ${what}: the CORS headers`);
    check(opKey, r, `${opKey} ${what}`);
  }
  const games = await http.get(`${eng.url}/games`, from(PLAY));
  t.match(games, { status: 200, body: [{ name: 'Space Raiders' }] }, 'the write is read back');

  const nowhere = await http.get(`${eng.url}/nowhere`, from(PLAY));
  t.equal(nowhere.status, 404);
  t.same(corsHeaders(nowhere), corsFor(PLAY), 'an unknown path: 404 with the CORS headers');
  check('components/responses/NotFound', nowhere, '404 not_found');
  const deleted = await http.send('DELETE', `${eng.url}/topics/1`, undefined, from(PLAY));
  t.equal(deleted.status, 405);
  t.same(corsHeaders(deleted), corsFor(PLAY), 'a method the path does not take: 405 with the CORS headers');
  check('components/responses/MethodNotAllowed', deleted, '405');

  // On the wire: each header once, as sent (a raw request: no client merging or splitting lines).
  const { lines } = await rawRequest(eng.engine.port, `GET /games HTTP/1.1\r\nHost: localhost\r\nOrigin: ${DEV}\r\nx-api-key: ${GAME_KEY}\r\nConnection: close\r\n\r\n`);
  t.match(lines[0], /^HTTP\/1\.1 200 /);
  t.same(lines.filter((l) => /^(access-control-|vary:)/i.test(l)), [`access-control-allow-origin: ${DEV}`, 'vary: origin', `access-control-expose-headers: ${EXPOSED}`], 'one line each, after the status');
});

t.test('an origin not listed, or none: no CORS header at all, answers otherwise the same', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { CORS_ORIGINS: PLAY } });
  const http = httpClient(t);
  for (const origin of ['https://evil.example.com', 'https://play.example.com:8443', 'http://play.example.com', `${PLAY}/`, 'HTTPS://PLAY.EXAMPLE.COM', 'null', '']) {
    const headers: Record<string, string> = origin === '' ? { 'x-api-key': GAME_KEY } : { origin, 'x-api-key': GAME_KEY };
    const ad = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, headers);
    t.equal(ad.status, 200, `Origin '${origin}': served as usual`);
    t.same(corsHeaders(ad), {}, `Origin '${origin}': no CORS header`);
    const refused = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, origin === '' ? {} : { origin });
    t.equal(refused.status, 401);
    t.same(corsHeaders(refused), {}, `Origin '${origin}': no CORS header on a 401`);
  }
});

t.test('preflights: 204 for an allowed origin and a method the path takes, with no key and no rate limit; else the 405', async (t) => {
  // A rate of 1 with a burst of 1: one keyed request empties the key's bucket.
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { CORS_ORIGINS: `${PLAY},${DEV}`, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '1' } });
  const http = httpClient(t);
  const checker = new ContractChecker(doc);
  const preflight = (path: string, origin: string | null, method?: string) => http.send('OPTIONS', `${eng.url}${path}`, undefined, preflightHeaders(origin, method));

  t.equal((await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY, origin: PLAY })).status, 200);
  const limited = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY, origin: PLAY });
  t.equal(limited.status, 429, 'the key is over its rate');
  t.same(corsHeaders(limited), corsFor(PLAY), '429 with the CORS headers: a page can read Retry-After');
  t.equal(limited.headers['retry-after'], '1');

  for (const [path, method, methods] of [
    ['/ad_request', 'GET', 'GET'],
    ['/games', 'POST', 'GET, POST'],
    ['/games', 'GET', 'GET, POST'],
    ['/topics/7', 'PUT', 'GET, PUT'],
    ['/votes', 'POST', 'POST'],
    ['/blacklist', 'DELETE', 'POST, DELETE'],
    ['/players', 'DELETE', 'DELETE'],
    ['/beacon/anything', 'POST', 'GET, POST'],
    ['/openapi.json', 'GET', 'GET'],
  ] as const) {
    const r = await preflight(path, PLAY, method);
    t.equal(r.status, 204, `OPTIONS ${path} for ${method}: 204, no key, not rate limited`);
    t.equal(r.text, '');
    t.same(corsHeaders(r), {
      'access-control-allow-origin': PLAY,
      vary: 'origin',
      'access-control-allow-methods': methods,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
    }, `OPTIONS ${path}: the path's methods and the headers a page may send`);
    t.equal(r.headers['content-type'], undefined);
    t.same(checker.check('components/responses/Preflight', r), [], `OPTIONS ${path}: as components/responses/Preflight says`);
  }
  t.equal((await preflight('/games', DEV, 'POST')).headers['access-control-allow-origin'], DEV, 'each listed origin gets itself');

  for (const [what, path, origin, method] of [
    ['an origin not listed', '/games', 'https://evil.example.com', 'POST'],
    ['no Origin', '/games', null, 'POST'],
    ['a method the path does not take', '/games', PLAY, 'DELETE'],
    ['a method in lower case (methods are case-sensitive)', '/games', PLAY, 'post'],
    ['no Access-Control-Request-Method', '/games', PLAY, undefined],
  ] as const) {
    const r = await preflight(path, origin, method);
    t.equal(r.status, 405, `${what}: 405`);
    t.equal(r.headers.allow, 'GET, POST', `${what}: Allow lists the path's methods`);
    t.same(r.body, { error: 'method_not_allowed', message: 'method not allowed on this route' });
    t.same(corsHeaders(r), {}, `${what}: no CORS header`);
    t.same(checker.check('components/responses/MethodNotAllowed', r), [], `${what}: as components/responses/MethodNotAllowed says`);
  }
  const unknown = await preflight('/nowhere', PLAY, 'GET');
  t.equal(unknown.status, 404, 'OPTIONS on a path that is not one: 404');
  t.same(corsHeaders(unknown), corsFor(PLAY));

  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_http_requests_total\{route="preflight",status="204"\} 10$/m, 'preflights counted under their own route');
  t.match(metrics, /^engine_http_requests_total\{route="preflight",status="405"\} 5$/m);
  t.match(metrics, /^engine_http_requests_total\{route="ad_request",status="429"\} 1$/m);
});

t.test('CORS_ORIGINS=*: any page, answered `*`; a request without Origin gets no CORS header', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], env: { CORS_ORIGINS: '*' } });
  const http = httpClient(t);
  const check = contract(t);
  for (const origin of [PLAY, 'https://anyone.example', 'null']) {
    const ad = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY, origin });
    t.same(corsHeaders(ad), corsFor('*'), `Origin ${origin}: *`);
    check('GET /ad_request', ad, `Origin ${origin}`);
  }
  t.same(corsHeaders(await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY })), {});
  const r = await http.send('OPTIONS', `${eng.url}/votes`, undefined, preflightHeaders('https://anyone.example', 'POST'));
  t.equal(r.status, 204);
  t.equal(r.headers['access-control-allow-origin'], '*');
});

t.test('server processes get the setting (ENGINE_WORKERS=2)', async (t) => {
  const eng = await startTestEngine(t, { workers: 2, ads: [row('a', 'us', 'eng')], env: { CORS_ORIGINS: PLAY } });
  const http = httpClient(t);
  const ad = await http.get(`${eng.url}/ad_request?country=us&lang=eng`, { 'x-api-key': GAME_KEY, origin: PLAY });
  t.equal(ad.status, 200);
  t.same(corsHeaders(ad), corsFor(PLAY));
  t.equal((await http.send('OPTIONS', `${eng.url}/games`, undefined, preflightHeaders(PLAY, 'POST'))).status, 204);
});

t.test('a malformed CORS_ORIGINS entry stops the engine at start: exit 78, naming it', async (t) => {
  const proc = startProcess(t, 'engine/main.ts', {
    DATA_DIR: scratchDir(t),
    PORT: '0',
    INTERNAL_PORT: '0',
    API_KEYS: `game:${GAME_KEY}`,
    CORS_ORIGINS: `${PLAY}/,https://ok.example`,
  });
  t.same(await proc.exited, { code: 78, signal: null });
  t.equal(
    proc.stderr(),
    `engine: config: CORS_ORIGINS entry '${PLAY}/' must be an origin, scheme://host[:port] with no path or trailing slash (e.g. https://play.example.com), in '${PLAY}/,https://ok.example'\n`,
  );
});
