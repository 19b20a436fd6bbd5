// ENGINE_WORKERS > 1: server processes share the public port, each installs every snapshot, and
// /metrics adds up their request counts.

import t from 'tap';
import { Agent, request } from 'undici';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

t.test('two server processes on one port, both swapped, metrics merged', async (t) => {
  const eng = await startTestEngine(t, { workers: 2, ads: [row('v1', 'us', 'eng')] });
  const http = httpClient(t);
  const ready = await http.get(`${eng.internalUrl}/readyz`);
  t.same(ready.body, { status: 'ready', version: eng.engine.follower.version, workers: 2 });

  // Fresh connections spread over both processes by the kernel: all must see the new version.
  await eng.publish([row('v2', 'us', 'eng')]);
  const ids = new Set<string>();
  const N = 64;
  for (let i = 0; i < N; i++) {
    const agent = new Agent({ connections: 1 });
    const r = await request(`${eng.url}/ad_request?country=us&lang=eng&api_key=${GAME_KEY}`, { dispatcher: agent });
    ids.add(((await r.body.json()) as { id: string }).id);
    await agent.close();
  }
  t.same([...ids], ['v2'], 'every connection, whichever process took it, serves the new index');
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, `engine_http_requests_total{route="ad_request",status="200"} ${N}\n`);
  t.match(metrics, 'engine_workers 2');
});
