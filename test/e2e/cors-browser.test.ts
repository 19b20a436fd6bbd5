// A browser game, for real: headless Chromium (Debian's `chromium`, driven by playwright-core, which
// downloads no browser of its own) loads a page from one origin and calls an engine on another
// with fetch, as a game on a portal would (README "Browser games (CORS)"). From an origin in
// CORS_ORIGINS the page reads the answers: a keyed GET and a JSON POST with an Idempotency-Key
// (both preflighted), an error's body, an exposed header. The page holds a game key only, as a
// browser game should (anyone can read a page's key). From any other origin fetch rejects, as
// the browser, not the test, decides. The headers themselves, over raw HTTP: test/e2e/cors.test.ts.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import t, { type Test } from 'tap';
import { requireTool } from '../deploy/tools.js';
import { row } from '../helpers/feed-rows.js';
import { httpClient } from '../helpers/http.js';
import { ADMIN_KEY, GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const GAME_PAGE = Buffer.from('<!doctype html><html><head><meta charset="utf-8"><title>Space Raiders</title></head><body><p>a game</p></body></html>');

/** A web server on its own loopback port serving the game's page: its origin, http://127.0.0.1:<port>. */
async function pageOrigin(t: Test): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(GAME_PAGE);
    else res.writeHead(404).end();
  });
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Headless Chromium, closed at teardown; fails naming the Debian package when it is not installed. */
async function launchChromium(t: Test): Promise<Browser> {
  const executablePath = requireTool('chromium', 'chromium');
  let browser: Browser | null = null;
  t.teardown(() => browser?.close());
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  return browser;
}

t.test('a page on a listed origin calls the engine with fetch and reads the answers; another origin cannot', async (t) => {
  const game = await pageOrigin(t);
  const stranger = await pageOrigin(t);
  const eng = await startTestEngine(t, { ads: [row('us-eng-allday-1', 'us', 'eng')], env: { CORS_ORIGINS: game } });
  const browser = await launchChromium(t);
  const http = httpClient(t);
  const created = await http.send('POST', `${eng.url}/games`, '{"name":"Space Raiders"}', { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY });
  t.same(created.body, { id: 1, name: 'Space Raiders' }, 'the game exists (its admin made it, not the page)');

  const page = await browser.newPage();
  await page.goto(`${game}/`);
  t.equal(await page.evaluate('location.origin'), game, 'the page runs on its own origin');
  const seen = await page.evaluate(
    async ({ engine, gameKey }) => {
      // A key header is not CORS-safelisted: Chromium asks the engine first (a preflight).
      const ad = await fetch(`${engine}/ad_request?country=us&lang=eng`, { headers: { 'x-api-key': gameKey } });
      // JSON and an Idempotency-Key: preflighted too.
      const reported = await fetch(`${engine}/blacklist`, {
        method: 'POST',
        headers: { 'x-api-key': gameKey, 'content-type': 'application/json', 'idempotency-key': 'report-cheater-1' },
        body: JSON.stringify({ game_id: 1, email: 'cheater@example.com', reason: 'cheating' }),
      });
      // An error answer is readable too: a simple request (no preflight) without a key.
      const refused = await fetch(`${engine}/ad_request?country=us&lang=eng`);
      // A header the browser hides unless exposed: Allow on a 405.
      const wrongMethod = await fetch(`${engine}/votes`);
      return {
        ad: { status: ad.status, type: ad.headers.get('content-type'), body: await ad.json() },
        reported: { status: reported.status, body: await reported.json() },
        refused: { status: refused.status, body: await refused.json() },
        wrongMethod: { status: wrongMethod.status, allow: wrongMethod.headers.get('allow') },
      };
    },
    { engine: eng.url, gameKey: GAME_KEY },
  );
  t.same(seen.ad, { status: 200, type: 'application/json', body: { id: 'us-eng-allday-1', video_url: 'https://cdn.test/us-eng-allday-1.mp4' } });
  t.same(seen.reported, { status: 201, body: { game_id: 1, email: 'cheater@example.com', reason: 'cheating' } }, 'the POST went through and its answer is readable');
  t.same(seen.refused, { status: 401, body: { error: 'unauthorized', message: 'missing or unknown API key' } });
  t.same(seen.wrongMethod, { status: 405, allow: 'POST' }, 'an exposed header is readable');

  const other = await browser.newPage();
  await other.goto(`${stranger}/`);
  // What the page's fetch comes to. (Functions sent to the page declare no named function inside:
  // tsx would wrap those in a `__name` helper the page does not have.)
  const attempt = (headers: Record<string, string>) =>
    other.evaluate(
      ({ engine, headers }) =>
        fetch(`${engine}/ad_request?country=us&lang=eng`, { headers }).then(
          (r) => `answered ${r.status}`,
          (err: unknown) => `${(err as Error).name}: ${(err as Error).message}`,
        ),
      { engine: eng.url, headers },
    );
  const rejected = { preflighted: await attempt({ 'x-api-key': GAME_KEY }), simple: await attempt({}) };
  t.same(rejected, { preflighted: 'TypeError: Failed to fetch', simple: 'TypeError: Failed to fetch' }, 'fetch rejects on an origin not listed');

  // The engine saw the preflights: two allowed (one per URL, then cached), one refused.
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, /^engine_http_requests_total\{route="preflight",status="204"\} 2$/m);
  t.match(metrics, /^engine_http_requests_total\{route="preflight",status="405"\} 1$/m);
  t.match(metrics, /^engine_http_requests_total\{route="blacklist",status="201"\} 1$/m, 'the POST was written once');
  const check = await http.get(`${eng.url}/blacklist/check?email=cheater@example.com`, { 'x-api-key': GAME_KEY });
  t.match(check.body, { number_of_games_reported: 1, times_reported_last_90_days: 1 }, 'and read back');
});
