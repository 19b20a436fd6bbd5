// Index swaps: a new snapshot is served as soon as it is installed, requests during swaps never fail,
// and a corrupt snapshot is refused with the last good index staying live (metric + log).

import t from 'tap';
import { httpClient } from '../helpers/http.js';
import { row } from '../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../helpers/test-engine.js';

const AD = (eng: { url: string }) => `${eng.url}/ad_request?country=us&lang=eng&api_key=${GAME_KEY}`;

t.test('a published snapshot is served after the swap', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('old', 'us', 'eng')] });
  const http = httpClient(t);
  t.same((await http.get(AD(eng))).body, { id: 'old', video_url: 'https://cdn.test/old.mp4' });
  const version = await eng.publish([row('new', 'us', 'eng')]);
  t.same((await http.get(AD(eng))).body, { id: 'new', video_url: 'https://cdn.test/new.mp4' });
  t.equal(eng.engine.follower.version, version);
  t.match((await http.get(`${eng.internalUrl}/metrics`)).text, `engine_index_info{version="${version}"} 1`);
});

t.test('requests during repeated swaps all succeed, each from one whole index', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('gen-0-a', 'us', 'eng'), row('gen-0-b', 'us', 'eng')] });
  const http = httpClient(t, 16);
  let stop = false;
  const seen: string[] = [];
  const failures: unknown[] = [];
  const loop = async () => {
    while (!stop) {
      const r = await http.get(AD(eng));
      if (r.status === 200) seen.push((r.body as { id: string }).id);
      else failures.push(r);
    }
  };
  const loops = Array.from({ length: 8 }, loop);
  for (let gen = 1; gen <= 20; gen++) await eng.publish([row(`gen-${gen}-a`, 'us', 'eng'), row(`gen-${gen}-b`, 'us', 'eng')]);
  const last = (await http.get(AD(eng))).body as { id: string };
  stop = true;
  await Promise.all(loops);
  t.same(failures, [], 'no request failed across 20 swaps');
  t.ok(seen.length > 0);
  t.ok(seen.every((id) => /^gen-\d+-[ab]$/.test(id)), 'every answer is an ad of some generation');
  t.match(last.id, /^gen-20-[ab]$/, 'ends on the newest generation');
});

t.test('a corrupt snapshot is refused; the last good index stays live', async (t) => {
  const eng = await startTestEngine(t, { ads: [row('good', 'us', 'eng')] });
  const http = httpClient(t);
  const good = eng.engine.follower.version;
  const corruptions: [string, Buffer][] = [
    ['torn-json', Buffer.from('{"kind":"ads","version":"x","createdAt":"2030","streamOffset":"0","data":{"ads":[{"id":')],
    ['wrong-kind', Buffer.from(JSON.stringify({ kind: 'topics', version: 'v', createdAt: 'c', streamOffset: '0', data: { ads: [] } }))],
    ['invalid-row', Buffer.from(JSON.stringify({ kind: 'ads', version: 'v', createdAt: 'c', streamOffset: '0',
      data: { ads: [{ id: 'bad', video_url: 'ftp://x', country: 'us', lang: 'eng', start_hour: 0, end_hour: 0 }] } }))],
  ];
  for (const [name, bytes] of corruptions) {
    const version = `29990101T000000000Z-${name}`;
    await eng.store.put('ads', version, bytes);
    await eng.store.setLatest('ads', version);
    await eng.engine.follower.check();
    t.equal(eng.engine.follower.version, good, `${name}: still on the good version`);
    t.same((await http.get(AD(eng))).body, { id: 'good', video_url: 'https://cdn.test/good.mp4' }, `${name}: still serving`);
    t.ok(eng.logs.some((l) => l.msg === 'snapshot refused; the last good index stays live' && l.version === version), `${name}: logged`);
  }
  const metrics = (await http.get(`${eng.internalUrl}/metrics`)).text;
  t.match(metrics, 'engine_snapshot_load_failures_total{reason="corrupt"} 3');
  t.equal((await http.get(`${eng.internalUrl}/readyz`)).status, 200, 'still ready');

  // A good snapshot after the bad ones is picked up.
  await eng.publish([row('better', 'us', 'eng')]);
  t.same((await http.get(AD(eng))).body, { id: 'better', video_url: 'https://cdn.test/better.mp4' });
});
