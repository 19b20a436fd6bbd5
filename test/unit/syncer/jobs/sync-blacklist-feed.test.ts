// The blacklist feed (BLACKLIST_FEED_URL) on a real engine, file log and HTTP feed: JSON array or
// JSON lines, validated row by row, merged once however often it is pulled, and its keys carried in
// the compaction snapshot so a fresh syncer does not merge them again.

import t from 'tap';
import { gameCreated } from '../../../../core/domain/stream/events.js';
import { START } from '../../../../core/domain/stream/event.js';
import { startFeedServer } from '../../../helpers/feed-server.js';
import { httpClient } from '../../../helpers/http.js';
import { row } from '../../../helpers/feed-rows.js';
import { GAME_KEY, startTestEngine } from '../../../helpers/test-engine.js';
import { eventually } from '../../../helpers/eventually.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';
import { streamJobs } from '../../../helpers/stream-jobs.js';

t.test('blacklist feed: JSON array or JSON lines, validated row by row, merged once however often pulled', async (t) => {
  const dir = scratchDir(t);
  const eng = await startTestEngine(t, { ads: [row('a', 'us', 'eng')], dir });
  const http = httpClient(t);
  const check = async (email: string) => (await http.get(`${eng.url}/blacklist/check?email=${encodeURIComponent(email)}&api_key=${GAME_KEY}`)).body;
  await eng.events.append(gameCreated({ name: 'Space Raiders' }));
  await eng.events.append(gameCreated({ name: 'Kart Chaos' }));
  const day = new Date(Date.now() - 86_400_000).toISOString();
  // One instant for the row given twice: two Date.now() calls may straddle a millisecond, and then
  // the rows differ and both merge.
  const recent = Date.now() - 1000;
  const rows = [
    { game_id: 1, email: ' Cheater@Example.com ', reason: 'Cheating', reported_at: day },
    { game_name: 'Kart Chaos', email: 'cheater@example.com', reason: 'cheating', reported_at: recent },
    { game_name: 'Kart Chaos', email: 'cheater@example.com', reason: 'cheating', reported_at: recent }, // same row twice
    { game_name: 'No Such Game', email: 'x@example.com', reason: 'spam', reported_at: day },
    { game_id: 1, email: 'not-an-email', reason: 'spam', reported_at: day },
    // The email rule of POST /blacklist: nothing a check could not name.
    { game_id: 1, email: 'jos\u00e9@example.com', reason: 'spam', reported_at: day },
    { game_id: 1, email: 'a\u0000b@example.com', reason: 'spam', reported_at: day },
    { game_id: 1, email: 'y@example.com', reason: 'spam', reported_at: 'yesterday' },
    { game_id: 1, email: 'y@example.com', reason: 'spam', reported_at: new Date(Date.now() + 86_400_000).toISOString() },
    { email: 'y@example.com', reason: 'spam', reported_at: day },
    'just a string',
  ];
  const feed = await startFeedServer(t, { body: JSON.stringify(rows) });
  const j = streamJobs(dir, eng.events, { BLACKLIST_FEED_URL: feed.url });
  t.same(await j.feed!.run(), { outcome: 'merged', merged: 2 });
  await eng.engine.follower.check();
  const seen = () =>
    eventually(() => check('cheater@example.com'), (body) => (body as { number_of_games_reported?: number }).number_of_games_reported === 2, 2_000, 'the merged reports', 20);
  t.same(await seen(), { most_common_reason: 'cheating', number_of_games_reported: 2, times_reported_last_90_days: 2 });
  const metrics = await j.metrics.registry.getSingleMetricAsString('syncer_blacklist_feed_rows_total');
  for (const [result, n] of Object.entries({ merged: 2, duplicate_row: 1, unknown_game: 1, bad_email: 3, bad_reported_at: 1, reported_at_in_future: 1, missing_game: 1, not_an_object: 1 })) {
    t.match(metrics, new RegExp(`result="${result}"} ${n}\\b`), `${result}: ${n}`);
  }

  t.same(await j.feed!.run(), { outcome: 'unchanged', merged: 0 }, 'pulled again: every row is known');
  const streamLength = (await eng.events.read(START, { count: 100 })).length;
  t.equal(streamLength, 4, 'two games and two reports: nothing appended twice');

  feed.respond = { body: [JSON.stringify({ game_id: 2, email: 'new@example.com', reason: 'spam', reported_at: day }), '{broken', ''].join('\n') };
  t.same(await j.feed!.run(), { outcome: 'merged', merged: 1 }, 'JSON lines; a line that is not JSON is one dropped row');
  feed.respond = { body: 'this is not a feed' };
  t.match(await j.feed!.run(), { outcome: 'feed_rejected', merged: 0 });
  t.equal((await eng.events.read(START, { count: 100 })).length, 5);
  // The compaction snapshot carries the merged rows' keys: a fresh syncer does not merge them again.
  await j.compact.run();
  feed.respond = { body: JSON.stringify(rows) };
  const fresh = streamJobs(dir, eng.events, { BLACKLIST_FEED_URL: feed.url, EVENT_RETENTION_SECONDS: '3600' });
  t.same(await fresh.feed!.run(), { outcome: 'unchanged', merged: 0 });
});
