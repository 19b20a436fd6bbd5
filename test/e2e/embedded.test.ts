// `npm start` as a user meets it: embedded mode in a real process, on the bundled sample feed or on
// FEED_URL (file:// or http://), printing the URL, the loudly marked dev keys and a curl that works.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { VotesCounted } from '../../core/domain/stream/events.js';
import { FileEventLog } from '../../core/store/file-event-log.js';
import { eventually } from '../helpers/eventually.js';
import { startFeedServer } from '../helpers/feed-server.js';
import { feedOf, row } from '../helpers/feed-rows.js';
import { httpClient } from '../helpers/http.js';
import { EMBEDDED_SERVING, startProcess } from '../helpers/spawn.js';
import { scratchDir } from '../helpers/scratch-dir.js';

const baseEnv = (dir: string) => ({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', INTERNAL_PORT: '0', ENGINE_WORKERS: '1' });

t.test('default: sample feed, dev keys announced, the printed curl answers 200', async (t) => {
  const dir = scratchDir(t);
  const proc = startProcess(t, 'embedded/main.ts', baseEnv(dir));
  const [, url] = await proc.waitFor(EMBEDDED_SERVING);
  const banner = (await proc.waitFor(/try:\s+curl[^\n]*\n/, 30_000, 'stderr')).input!;
  t.match(banner, /DEV-ONLY API KEYS/);
  t.match(banner, /game scope:\s+dev-game-key/);
  t.match(banner, /admin scope:\s+dev-admin-key/);
  t.match(banner, /loopback only \(127\.0\.0\.1, 127\.0\.0\.1\): set API_KEYS \(and HOST\) to serve other machines/);
  const curl = /curl -s '([^']+)' -H 'x-api-key: (dev-game-key)'/.exec(banner);
  t.ok(curl, 'prints a curl to paste');
  const http = httpClient(t);
  const r = await http.get(curl![1]!, { 'x-api-key': curl![2]! });
  t.equal(r.status, 200, 'us/eng has an ad live at any hour in the sample feed');
  t.match(r.body, { id: /^us-eng-/, video_url: /^https:\/\// });
  t.ok(url);

  proc.child.kill('SIGTERM');
  t.same(await proc.exited, { code: 0, signal: null }, 'SIGTERM → exit 0');
});

t.test('FEED_URL=http://… replaces the sample feed; API_KEYS replaces the dev keys', async (t) => {
  const dir = scratchDir(t);
  const feed = await startFeedServer(t, { body: feedOf(row('from-http', 'de', 'deu', 0, 0, { video_url: 'https://x.test/v.mp4' })) });
  const feedUrl = feed.url;

  const proc = startProcess(t, 'embedded/main.ts', { ...baseEnv(dir), FEED_URL: feedUrl, API_KEYS: 'game:integration-key' });
  const [, url] = await proc.waitFor(EMBEDDED_SERVING);
  t.notMatch((await proc.waitFor(/try:\s+curl[^\n]*\n/, 30_000, 'stderr')).input!, /DEV-ONLY/, 'no dev keys when API_KEYS is set');
  const http = httpClient(t);
  const r = await http.get(`${url}/ad_request?country=DE&lang=deu`, { 'x-api-key': 'integration-key' });
  t.same(r.body, { id: 'from-http', video_url: 'https://x.test/v.mp4' });
  t.equal((await http.get(`${url}/ad_request?country=DE&lang=deu`, { 'x-api-key': 'dev-game-key' })).status, 401);
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
});

t.test('FEED_URL=file://… with a feed where every row is invalid: refused, not ready, still up', async (t) => {
  const dir = scratchDir(t);
  const file = join(dir, 'feed.json');
  await writeFile(file, JSON.stringify({ ads: [{ id: 'x', country: 'usa' }] }));
  const proc = startProcess(t, 'embedded/main.ts', { ...baseEnv(dir), FEED_URL: pathToFileURL(file).href });
  const started = await proc.waitFor(/^\{.*"msg":"embedded mode listening, not ready".*$/m);
  t.match(JSON.parse(started[0]), { version: null, not_ready: /^the campaign feed has no valid row/ });
  t.notMatch(proc.stdout(), /embedded mode serving/, 'never says serving');
  const banner = (await proc.waitFor(/try:\s+curl[^\n]*\n/, 30_000, 'stderr')).input!;
  t.match(banner, /arcade-edge \(embedded mode\) listening on http:\/\/127\.0\.0\.1:\d+, not ready: the campaign feed has no valid row/);
  t.notMatch(banner, /serving/, 'the banner does not say serving either');
  const internal = /"internal_port":(\d+)/.exec(proc.stdout());
  t.ok(internal, 'logs its internal port');
  const http = httpClient(t);
  const ready = await http.get(`http://127.0.0.1:${internal![1]}/readyz`);
  t.equal(ready.status, 503);
  t.same(ready.body, { error: 'not_ready', message: 'no ad index loaded yet' });
  t.match(proc.stdout(), /"msg":"campaign sync failed; last good snapshot stays published","service":"arcade-edge","mode":"embedded","job":"sync-campaigns","outcome":"feed_rejected"/);
  proc.child.kill('SIGTERM');
  t.equal((await proc.exited).code, 0);
});

t.test('a bad setting stops start-up with a one-line reason and exit code 78', async (t) => {
  const dir = scratchDir(t);
  const proc = startProcess(t, 'embedded/main.ts', { ...baseEnv(dir), PORT: 'eighty', ENGINE_WORKERS: '0' });
  t.same(await proc.exited, { code: 78, signal: null });
  t.match(proc.stderr(), "arcade-edge: config: PORT must be an integer 0..65535, got 'eighty'\n");
  t.match(proc.stderr(), "arcade-edge: config: ENGINE_WORKERS must be an integer 1..256, got '0'\n");
});

t.test('embedded crash: votes in flight, the process SIGKILLed mid-stream and restarted; tallies = votes answered 202', async (t) => {
  const dir = scratchDir(t);
  const env = { ...baseEnv(dir), VOTE_CLAIM_IDLE_MS: '300' };
  const first = startProcess(t, 'embedded/main.ts', env);
  const [, url] = await first.waitFor(EMBEDDED_SERVING);
  const http = httpClient(t, 32);
  const json = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });
  const created = await http.send('POST', `${url}/topics`, JSON.stringify({ title: 'Crash', choices: [{ description: 'a' }, { description: 'b' }] }), json('dev-admin-key'));
  t.equal(created.status, 201);

  // 16 clients vote until the process dies under them; only 202s count as accepted.
  const accepted: string[] = [];
  let dead = false;
  const client = async () => {
    while (!dead) {
      try {
        const r = await http.send('POST', `${url}/votes`, JSON.stringify({ topic_id: 1, choice_id: 1 + (accepted.length % 2) }), json('dev-game-key'));
        if (r.status === 202) accepted.push((r.body as { id: string }).id);
      } catch {
        return; // the connection died with the process: this vote was never answered 202
      }
    }
  };
  const load = Promise.all(Array.from({ length: 16 }, client));
  const tally = async (base: string) => {
    const r = await http.get(`${base}/topics/1?include_votes=true`, { 'x-api-key': 'dev-game-key' });
    return r.status === 200 ? (r.body as { choices: { votes: number }[] }).choices.reduce((a, c) => a + c.votes, 0) : -1;
  };
  await eventually(() => tally(url!), (n) => n >= 1_000, 60_000, '1,000 votes counted', 20);
  first.child.kill('SIGKILL'); // mid-stream: votes queued, some batches read and not yet counted
  dead = true;
  await first.exited;
  await load;
  t.ok(accepted.length > 1_000, `${accepted.length} votes answered 202 before the kill`);

  const second = startProcess(t, 'embedded/main.ts', env);
  const [, url2] = await second.waitFor(EMBEDDED_SERVING);
  // Settled: at least every accepted vote, and unchanged for half a second.
  let shown = -1;
  for (let i = 0, last = -2; i < 100 && !(shown >= accepted.length && shown === last); i++) {
    last = shown;
    await new Promise((r) => setTimeout(r, 500));
    shown = await tally(url2!);
  }
  let counted = 0;
  for (const id of accepted.slice(-200)) if ((await http.get(`${url2}/votes/${id}?api_key=dev-game-key`)).status === 200) counted++;
  t.equal(counted, 200, 'the last 200 receipts say counted');
  second.child.kill('SIGTERM');
  t.same(await second.exited, { code: 0, signal: null });

  // The log after both lives: every vote recorded (a vote durable when the process died, before
  // its 202 went out, is in it too) is counted exactly once, and the engine showed exactly that.
  const log = await FileEventLog.open(join(dir, 'events'));
  t.teardown(() => log.close());
  const cast = new Set<string>();
  const mentions: string[] = [];
  for (let after = '0-0'; ; ) {
    const batch = await log.read(after, { count: 10_000 });
    if (batch.length === 0) break;
    for (const e of batch) {
      if (e.type === 'vote_cast') cast.add(e.id);
      if (e.type === 'votes_counted') for (const [id] of (e.data as VotesCounted).votes) mentions.push(id);
    }
    after = batch[batch.length - 1]!.id;
  }
  t.ok(accepted.every((id) => cast.has(id)), 'every vote answered 202 is in the log');
  t.equal(mentions.length, cast.size, 'counted once each: as many counts as votes');
  t.same(new Set(mentions), cast, 'the very votes in the log');
  t.equal(shown, cast.size, `the engine's tallies: ${shown} = ${accepted.length} answered 202 + ${cast.size - accepted.length} durable but unanswered at the kill`);
});
