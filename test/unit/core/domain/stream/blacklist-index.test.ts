// The game-ban rules (README "Games and blacklist") on the folded index: game ids and duplicate
// names, distinct games over all reports, the 90-day window at 89, 90 and 91 days, the most common
// reason with its tie rule, and the input normalisation.

import t from 'tap';
import { REPORT_WINDOW_MS, normaliseEmail, normaliseGameName, normaliseReason } from '../../../../../core/domain/stream/report-rules.js';
import { BlacklistIndex } from '../../../../../core/domain/stream/blacklist-index.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2030, 5, 1, 12);

function withGames(...names: string[]): BlacklistIndex {
  const index = new BlacklistIndex();
  for (const n of names) index.createGame(n);
  return index;
}

t.test('games: ids in creation order; a taken name loses', async (t) => {
  const index = new BlacklistIndex();
  t.same(index.createGame('Space Raiders'), { id: 1, name: 'Space Raiders' });
  t.same(index.createGame('Kart Chaos'), { id: 2, name: 'Kart Chaos' });
  t.equal(index.createGame('Space Raiders'), null, 'duplicate name');
  t.same(index.games, [{ id: 1, name: 'Space Raiders' }, { id: 2, name: 'Kart Chaos' }]);
  t.same(index.gameByName('Kart Chaos'), { id: 2, name: 'Kart Chaos' });
  t.equal(index.gameById(3), undefined);
});

t.test('never reported: null; a report for an unknown game is ignored', async (t) => {
  const index = withGames('g');
  t.equal(index.check('x@example.com', NOW), null);
  t.equal(index.addReport({ gameId: 9, email: 'x@example.com', reason: 'cheating', reportedAtMs: NOW }), false);
  t.equal(index.check('x@example.com', NOW), null);
});

t.test('games are distinct game ids over ALL reports, old ones included; every report counts', async (t) => {
  const index = withGames('a', 'b', 'c');
  const report = (gameId: number, daysAgo: number) =>
    index.addReport({ gameId, email: 'p@example.com', reason: 'cheating', reportedAtMs: NOW - daysAgo * DAY });
  report(1, 1);
  report(1, 2); // same game again: counts as a report, not as another game
  report(2, 400); // old: counts for games, not for the 90 days
  t.same(index.check('p@example.com', NOW), { most_common_reason: 'cheating', number_of_games_reported: 2, times_reported_last_90_days: 2 });
  t.equal(index.reports, 3);
});

t.test('the 90-day window: 89 days counts, 90 and 91 do not (strictly newer than 90 days)', async (t) => {
  for (const [age, counted] of [[89 * DAY, 1], [REPORT_WINDOW_MS - 1, 1], [90 * DAY, 0], [91 * DAY, 0]] as const) {
    const index = withGames('g');
    index.addReport({ gameId: 1, email: 'p@example.com', reason: 'cheating', reportedAtMs: NOW - age });
    t.equal(index.check('p@example.com', NOW)!.times_reported_last_90_days, counted, `${age / DAY} days old`);
  }
  // The same report ages out as the clock moves on.
  const index = withGames('g');
  index.addReport({ gameId: 1, email: 'p@example.com', reason: 'cheating', reportedAtMs: NOW });
  t.equal(index.check('p@example.com', NOW + 89 * DAY)!.times_reported_last_90_days, 1);
  t.equal(index.check('p@example.com', NOW + 90 * DAY)!.times_reported_last_90_days, 0);
});

t.test('reports out of time order (a feed backfill) still count right', async (t) => {
  const index = withGames('g');
  for (const daysAgo of [10, 200, 50, 95, 1, 89, 91]) {
    index.addReport({ gameId: 1, email: 'p@example.com', reason: 'cheating', reportedAtMs: NOW - daysAgo * DAY });
  }
  t.equal(index.check('p@example.com', NOW)!.times_reported_last_90_days, 4, '10, 50, 1 and 89 days');
});

t.test('most common reason; a tie goes to the reason that reached the top count first', async (t) => {
  const sequence = (reasons: string[]) => {
    const index = withGames('g');
    for (const reason of reasons) index.addReport({ gameId: 1, email: 'p@example.com', reason, reportedAtMs: NOW });
    return index.check('p@example.com', NOW)!.most_common_reason;
  };
  t.equal(sequence(['harassment']), 'harassment');
  t.equal(sequence(['cheating', 'harassment', 'harassment']), 'harassment', 'plain majority');
  t.equal(sequence(['cheating', 'harassment']), 'cheating', '1:1, cheating got to 1 first');
  t.equal(sequence(['cheating', 'harassment', 'harassment', 'cheating']), 'harassment', '2:2, harassment got to 2 first');
  t.equal(sequence(['a', 'b', 'c', 'c', 'b', 'a', 'b']), 'b', 'b reaches 3 alone');
  t.equal(sequence(['a', 'b', 'b', 'a', 'a', 'b']), 'a', '3:3, a got to 3 first');
});

t.test('normalisation: emails trimmed and lower-cased, reasons lower_snake, names trimmed', async (t) => {
  t.equal(normaliseEmail('  Player.One@Example.COM '), 'player.one@example.com');
  for (const bad of ['', 'no-at', 'a@b', 'a b@c.d', '@example.com', 'a@@b.c', `${'x'.repeat(250)}@e.com`]) {
    t.equal(normaliseEmail(bad), null, JSON.stringify(bad));
  }
  t.equal(normaliseReason('Terms_Of_Service_Violation'), 'terms_of_service_violation');
  t.equal(normaliseReason(' CHEATING '), 'cheating');
  for (const bad of ['', 'two words', 'trailing_', '_leading', 'double__underscore', 'dash-ed', '9lives', 'x'.repeat(65)]) {
    t.equal(normaliseReason(bad), null, JSON.stringify(bad));
  }
  t.equal(normaliseGameName('  Space Raiders '), 'Space Raiders');
  t.equal(normaliseGameName('   '), null);
});

t.test('the check body by template is byte for byte JSON.stringify', async (t) => {
  const { checkBody } = await import('../../../../../engine/routes/blacklist.js');
  for (const r of [
    { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 0 },
    { most_common_reason: 'terms_of_service_violation', number_of_games_reported: 12345, times_reported_last_90_days: 678 },
  ]) {
    t.equal(checkBody(r), JSON.stringify(r));
  }
  for (const reason of ['cheating', 'a', 'x9_y8']) t.equal(normaliseReason(reason), reason, 'reasons reaching the body are tokens: nothing to escape');
});

t.test('kept check bodies are the template bytes, kept or not, however often asked', async (t) => {
  const { CheckBodies } = await import('../../../../../engine/routes/blacklist.js');
  const bodies = new CheckBodies();
  const bytes = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('utf8'));
  for (let round = 0; round < 2; round++) {
    for (let reason = 0; reason < 300; reason++) { // past the 256 reasons kept
      for (const games of [1, 2, 4, 5, 40]) {
        for (const recent of [0, 1, 15, 16, 678]) {
          const r = { most_common_reason: `reason_${reason}`, number_of_games_reported: games, times_reported_last_90_days: recent };
          if (bytes(bodies.of(r)) !== JSON.stringify(r)) t.fail(JSON.stringify(r));
        }
      }
    }
  }
  t.pass('every body matched');
});

t.test('expiry, revocation and erasure remove reports as if never made; the tie rule reads what is left', async (t) => {
  const index = withGames('a', 'b');
  const add = (gameId: number, reason: string, expiresAtMs = 0) => index.addReport({ gameId, email: 'p@example.com', reason, reportedAtMs: NOW, expiresAtMs });
  add(1, 'cheating', NOW + DAY);
  add(2, 'spam');
  add(2, 'spam');
  add(1, 'cheating');
  t.same(index.check('p@example.com', NOW), { most_common_reason: 'spam', number_of_games_reported: 2, times_reported_last_90_days: 4 });
  t.same(index.check('p@example.com', NOW + DAY), { most_common_reason: 'spam', number_of_games_reported: 2, times_reported_last_90_days: 3 }, 'one expired');
  t.same(index.check('p@example.com', NOW, 1), { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 2 }, "game 1's view");
  t.equal(index.revoke('p@example.com', 2), 2);
  t.same(index.check('p@example.com', NOW), { most_common_reason: 'cheating', number_of_games_reported: 1, times_reported_last_90_days: 2 });
  t.equal(index.check('p@example.com', NOW, 2), null);
  t.equal(index.reports, 2);
  t.equal(index.erase('p@example.com'), 2);
  t.equal(index.check('p@example.com', NOW), null);
  t.same([index.reports, index.playerCount, index.erasures], [0, 0, 1]);
  t.equal(index.erase('p@example.com'), 0, 'nothing left to erase');
  t.equal(index.revoke('nobody@example.com', 1), 0);
});

t.test('snapshot state: reports in fold order round-trip; expired ones are left out; old records still load', async (t) => {
  const index = withGames('a', 'b');
  index.addReport({ gameId: 1, email: 'one@example.com', reason: 'cheating', reportedAtMs: NOW, expiresAtMs: NOW + DAY });
  index.addReport({ gameId: 2, email: 'gone@example.com', reason: 'spam', reportedAtMs: NOW, expiresAtMs: NOW + 1 });
  for (const [game, reason, expires] of [[1, 'a', 0], [2, 'b', NOW + 1], [2, 'b', 0], [1, 'a', 0]] as const) {
    index.addReport({ gameId: game, email: 'many@example.com', reason, reportedAtMs: NOW - DAY, expiresAtMs: expires });
  }
  index.erase('nobody@example.com');
  const state = index.toState(NOW + 1);
  t.same(state.players, [
    ['one@example.com', 1, NOW, 'cheating', NOW + DAY],
    ['many@example.com', [1, 2, 1], [NOW - DAY, NOW - DAY, NOW - DAY], ['a', 'b', 'a'], 0],
  ]);
  t.same([state.reports, state.erasures], [4, 1]);
  const loaded = BlacklistIndex.fromState(JSON.parse(JSON.stringify(state)));
  for (const email of ['one@example.com', 'gone@example.com', 'many@example.com']) {
    t.same(loaded.check(email, NOW + 1), index.check(email, NOW + 1), email);
  }
  t.same([loaded.reports, loaded.erasures], [4, 1]);

  // A record written before reports were kept one by one: same answers, every game kept.
  const legacy = BlacklistIndex.fromState({
    games: [[1, 'a'], [2, 'b']],
    players: [['old@example.com', 'spam', 2, [1, 2], [NOW - 100 * DAY, NOW - DAY, NOW], ['cheating', 1, 'spam', 2]]],
    reports: 3,
    feedKeys: [],
  });
  t.same(legacy.check('old@example.com', NOW), { most_common_reason: 'spam', number_of_games_reported: 2, times_reported_last_90_days: 2 });
  t.same([legacy.reports, legacy.erasures], [3, 0]);
  for (const bad of [
    ['x@example.com', [1, 2], [NOW], ['a', 'b'], 0],
    ['x@example.com', [1, 9], [NOW, NOW], ['a', 'b'], 0],
    ['x@example.com', [1, 2], [NOW, NOW], ['a', 'b'], [0]],
    ['x@example.com', 1, NOW, 'a', -5],
  ]) {
    t.throws(() => BlacklistIndex.fromState({ games: [[1, 'a'], [2, 'b']], players: [bad as never], reports: 1, feedKeys: [] }), /bad player/, JSON.stringify(bad));
  }
});

t.test('checks agree with a plain recount over random histories: many reasons and games, expiries, one game', async (t) => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const recount = (reports: { game: number; reason: string; time: number; expires: number }[], now: number, game: number) => {
    const live = reports.filter((r) => (game === 0 || r.game === game) && (r.expires === 0 || r.expires > now));
    if (live.length === 0) return null;
    const counts = new Map<string, number>();
    let top = '';
    let topCount = 0;
    for (const r of live) {
      const c = (counts.get(r.reason) ?? 0) + 1;
      counts.set(r.reason, c);
      if (c > topCount) [top, topCount] = [r.reason, c];
    }
    return { most_common_reason: top, number_of_games_reported: new Set(live.map((r) => r.game)).size, times_reported_last_90_days: live.filter((r) => r.time > now - REPORT_WINDOW_MS).length };
  };
  let mismatches = 0;
  for (let round = 0; round < 300; round++) {
    const games = 1 + rand(80);
    const index = withGames(...Array.from({ length: games }, (_, i) => `g${i}`));
    const reports = Array.from({ length: 1 + rand(150) }, () => ({
      game: 1 + rand(games),
      reason: `r${rand(1 + rand(60))}`,
      time: NOW - rand(200) * DAY,
      expires: rand(3) === 0 ? NOW + (rand(20) - 10) * DAY : 0,
    }));
    for (const r of reports) index.addReport({ gameId: r.game, email: 'p@example.com', reason: r.reason, reportedAtMs: r.time, expiresAtMs: r.expires });
    for (const game of [0, 1 + rand(games)]) {
      if (JSON.stringify(index.check('p@example.com', NOW, game)) !== JSON.stringify(recount(reports, NOW, game))) mismatches++;
    }
  }
  t.equal(mismatches, 0, '600 checks');
});
