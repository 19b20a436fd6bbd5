// Requests at the edge of what uWebSockets.js parses, over raw TCP: each gets an answer, and where
// uWS answers by itself (README "HTTP limits") the server closes the connection right after it. A
// request left hanging fails on the raw helper's guard, not on a timing assertion.

import t from 'tap';
import { rawGet, rawRequest } from '../helpers/raw-http.js';
import { row } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const AD = { id: 'a1', video_url: 'https://cdn.test/a1.mp4' };

t.test('uWS limits: answered, in the error shape when a route answers, closed when uWS does', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('a1', 'us', 'eng')] });
  const port = Number(new URL(eng.url).port);
  const ad = '/ad_request?country=us&lang=eng';

  await t.test('header names with _ or . reach the route', async (t) => {
    for (const name of ['X_Request_Id', 'X.Request.Id']) {
      const r = await rawGet(port, ad, { 'x-api-key': GAME_KEY, [name]: '1' });
      t.equal(r.status, 200, name);
      t.same(JSON.parse(r.body), AD, name);
    }
  });

  await t.test('unknown methods: 405 with Allow on a route, 404 elsewhere, and the connection lives on', async (t) => {
    for (const method of ['QUERY', 'PURGE', 'get']) {
      const r = await rawRequest(port, `${method} ${ad} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      t.equal(r.status, 405, method);
      t.equal(r.headers.allow, 'GET', `${method}: Allow`);
      t.same(JSON.parse(r.body), { error: 'method_not_allowed', message: 'method not allowed on this route' }, method);
    }
    const nowhere = await rawRequest(port, 'QUERY /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    t.equal(nowhere.status, 404);
    t.same(JSON.parse(nowhere.body), { error: 'not_found', message: 'no such route' });
    // Kept alive: a request after it on the same connection is answered too.
    const both = await rawRequest(port, `QUERY ${ad} HTTP/1.1\r\nhost: x\r\n\r\nGET ${ad} HTTP/1.1\r\nhost: x\r\nx-api-key: ${GAME_KEY}\r\nconnection: close\r\n\r\n`);
    t.same(both.statuses, [405, 200]);
  });

  // No Connection: close below: the server closes by itself once it has answered.
  const closedBy = (request: string) => rawRequest(port, request);
  const get = (headers: string, target = ad) => `GET ${target} HTTP/1.1\r\nhost: x\r\nx-api-key: ${GAME_KEY}\r\n${headers}\r\n`;

  await t.test('HTTP/1.0: 505, closed', async (t) => {
    const r = await closedBy(`GET ${ad} HTTP/1.0\r\nhost: x\r\nx-api-key: ${GAME_KEY}\r\n\r\n`);
    t.equal(r.status, 505);
    t.equal(r.headers.connection, 'close');
  });

  await t.test('a control byte in a header value or name: 400, closed', async (t) => {
    for (const line of ['x-a: a\x01b\r\n', 'x-a: a\x00b\r\n', 'x\x01a: b\r\n']) {
      const r = await closedBy(get(line));
      t.equal(r.status, 400, JSON.stringify(line));
      t.equal(r.headers.connection, 'close');
    }
  });

  await t.test('98 header lines are served; 99 are 431, closed', async (t) => {
    // host, x-api-key, connection + the padding.
    const pad = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join('');
    const ok = await rawRequest(port, get(`connection: close\r\n${pad(95)}`));
    t.equal(ok.status, 200);
    const over = await closedBy(get(pad(97)));
    t.equal(over.status, 431);
    t.equal(over.headers.connection, 'close');
  });

  await t.test('a request head over 16 KiB: 431, closed', async (t) => {
    const r = await closedBy(get('', `${ad}&x=${'z'.repeat(17 * 1024)}`));
    t.equal(r.status, 431);
    t.equal(r.headers.connection, 'close');
  });
});
