// "A write is acknowledged only once the event is durable": reports answered 201 by an engine that
// is then SIGKILLed (no shutdown, no flush) are all there when it comes back. Embedded file log.

import t from 'tap';
import { validateFeed } from '../../core/domain/ads/feed.js';
import { FsSnapshotStore } from '../../core/store/fs-snapshot-store.js';
import { compileAdsSnapshot } from '../../syncer/compile/ads-snapshot.js';
import { publishSnapshot } from '../../syncer/publish/publish-snapshot.js';
import { httpClient } from '../helpers/http.js';
import { startProcess } from '../helpers/spawn.js';
import { row } from '../helpers/feed-rows.js';
import { ADMIN_KEY, GAME_KEY } from '../helpers/test-engine.js';
import { scratchDir } from '../helpers/scratch-dir.js';

t.test('acknowledged reports survive SIGKILL of the engine', async (t) => {
  const dir = scratchDir(t);
  const compiled = compileAdsSnapshot(validateFeed({ ads: [row('a', 'us', 'eng')] }).ads, Date.now());
  await publishSnapshot(new FsSnapshotStore(dir), null, 'ads', compiled.snapshot.version, compiled.bytes);
  const env = { DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', INTERNAL_PORT: '0', ENGINE_WORKERS: '2', API_KEYS: `game:${GAME_KEY},admin:${ADMIN_KEY}` };
  const http = httpClient(t, 32);
  const start = async () => {
    const proc = startProcess(t, 'engine/main.ts', env);
    const [, port] = await proc.waitFor(/"msg":"engine listening".*?"port":(\d+)/);
    return { proc, url: `http://127.0.0.1:${port}` };
  };
  const post = (url: string, path: string, body: unknown, key: string) =>
    http.send('POST', `${url}${path}`, JSON.stringify(body), { 'content-type': 'application/json', 'x-api-key': key });

  const first = await start();
  t.equal((await post(first.url, '/games', { name: 'g' }, ADMIN_KEY)).status, 201);
  // 300 reports from 32 clients; the engine is killed the moment the last answer is in.
  let next = 0;
  let acknowledged = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < 300) {
        next++;
        if ((await post(first.url, '/blacklist', { game_id: 1, email: 'p@example.com', reason: 'cheating' }, GAME_KEY)).status === 201) acknowledged++;
      }
    }),
  );
  first.proc.child.kill('SIGKILL');
  await first.proc.exited;
  t.equal(acknowledged, 300);

  const second = await start();
  const check = await http.get(`${second.url}/blacklist/check?email=p@example.com`, { 'x-api-key': GAME_KEY });
  t.same(check.body, { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 300 }, 'all 300 acknowledged reports are there');
});
