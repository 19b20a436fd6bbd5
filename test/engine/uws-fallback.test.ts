// If uWebSockets.js cannot load its native binary it silently falls back to a slow pure-JS server.
// The package's UWS_USE_FALLBACK switch forces that path: the engine must say so loudly (error log
// line, engine_uws_native 0) and still answer correctly.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { httpClient } from '../helpers/http.js';
import { EMBEDDED_SERVING, startProcess } from '../helpers/spawn.js';

t.test('on the JS fallback: loud log, metric 0, correct answers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'arcade-edge-fallback-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const proc = startProcess(t, 'embedded/main.ts', {
    UWS_USE_FALLBACK: '1',
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    INTERNAL_PORT: '0',
    ENGINE_WORKERS: '1',
  });
  const [, url] = await proc.waitFor(EMBEDDED_SERVING);
  const internal = /"internal_port":(\d+)/.exec(proc.stdout())![1];
  t.match(proc.stdout(), /"level":"error","time":"[^"]+","msg":"uWebSockets.js is running its pure-JS FALLBACK/);

  const http = httpClient(t);
  const metrics = (await http.get(`http://127.0.0.1:${internal}/metrics`)).text;
  t.match(metrics, /^engine_uws_native 0$/m);
  const ad = await http.get(`${url}/ad_request?country=us&lang=eng`, { 'x-api-key': 'dev-game-key' });
  t.equal(ad.status, 200);
  t.match(ad.body, { id: /^us-eng-/ });
  const bad = await http.get(`${url}/ad_request?country=us`, { 'x-api-key': 'dev-game-key' });
  t.same(bad.body, { error: 'bad_param', message: 'lang is missing' });
  t.equal((await http.send('POST', `${url}/ad_request?country=us&lang=eng`)).status, 405);
  t.equal((await http.get(`${url}/nowhere?x=1`)).status, 404);
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
});
