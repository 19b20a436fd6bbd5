// The blacklist feed's rows with an expiry (README "Ban lifecycle"): expires_at read like
// reported_at, after it, and a row without one keeping the key it always had.

import t from 'tap';
import { createHash } from 'node:crypto';
import { parseBlacklistFeed } from '../../../../syncer/feed/blacklist-feed.js';
import { BlacklistIndex } from '../../../../core/domain/stream/blacklist-index.js';

const NOW = Date.UTC(2030, 0, 1);

t.test('expires_at: taken after reported_at, refused otherwise; rows without it keep their old key', async (t) => {
  const games = new BlacklistIndex();
  games.createGame('g');
  const rows = [
    { game_id: 1, email: 'a@example.com', reason: 'cheating', reported_at: '2029-12-01T00:00:00Z' },
    { game_id: 1, email: 'a@example.com', reason: 'cheating', reported_at: '2029-12-01T00:00:00Z', expires_at: '2030-06-01T00:00:00Z' },
    { game_id: 1, email: 'b@example.com', reason: 'cheating', reported_at: '2029-12-01T00:00:00Z', expires_at: null },
    { game_id: 1, email: 'c@example.com', reason: 'cheating', reported_at: '2029-12-01T00:00:00Z', expires_at: '2029-11-01T00:00:00Z' },
    { game_id: 1, email: 'd@example.com', reason: 'cheating', reported_at: '2029-12-01T00:00:00Z', expires_at: 'soon' },
  ];
  const v = parseBlacklistFeed(JSON.stringify(rows), games, NOW);
  t.same(v.rejectedByReason.bad_expires_at, 2);
  t.same(v.reports.map((r) => [r.email, r.expires_at]), [
    ['a@example.com', undefined],
    ['a@example.com', Date.UTC(2030, 5, 1)],
    ['b@example.com', undefined],
  ]);
  const at = Date.UTC(2029, 11, 1);
  const oldKey = createHash('sha256').update(`1\na@example.com\ncheating\n${at}`).digest('base64url').slice(0, 22);
  t.equal(v.reports[0]!.feed_key, oldKey, 'the key rows had before expiry existed');
  t.not(v.reports[1]!.feed_key, oldKey, 'an expiry makes another row');
});
