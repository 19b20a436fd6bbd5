// The games registry and the per-player ban record, kept current by folding events in stream order
// (README "Games and blacklist"). Every engine folds the same events in the same order and so
// reaches the same state: that is how a game id and a duplicate name are decided without a central
// counter.
//
// Per email: each report (game, time, reason, expiry) in fold order, so a report can expire, one
// game's reports can be revoked and an email erased (README "Ban lifecycle", "Erasure"), and a
// check can answer for one game. A check reads the player's reports in force, O(reports of the
// player). The tie rule: the top reason changes only when another reason's count goes strictly
// above it, so among equal counts the one that reached it first wins.
//
// toState()/fromState() are this index's part of the stream snapshot (stream-snapshot.ts): the whole
// fold state, reports in fold order, so folding more events after a load gives exactly what folding
// every event from the start gives. Feed rows carry a key and fold at most once (feed re-pulls).

import { InvalidStateError } from '../../errors.js';
import { REPORT_WINDOW_MS } from './report-rules.js';

export interface Game {
  id: number;
  name: string;
}

export interface Report {
  gameId: number;
  /** Normalised (normaliseEmail). */
  email: string;
  /** Normalised (normaliseReason). */
  reason: string;
  reportedAtMs: number;
  /** When the report stops counting, ms since the epoch; 0 or absent: never. */
  expiresAtMs?: number;
}

export interface BanCheck {
  most_common_reason: string;
  number_of_games_reported: number;
  times_reported_last_90_days: number;
}

/** Every game, in a check: the whole record rather than one game's view of it. */
export const ALL_GAMES = 0;

/**
 * Most reported players are reported once: they get this small record (measured at 1M players:
 * ~1 KB each with a Set, arrays and a Map, against ~0.2 KB like this). A second report upgrades it
 * to a PlayerRecord.
 */
interface SingleReport {
  readonly game: number;
  readonly time: number;
  readonly reason: string;
  /** 0: never expires. */
  readonly expires: number;
}

/**
 * A player reported more than once: each report, in fold order (the order the tie rule reads),
 * as columns. `expires` is null while no report of the player expires (the common case).
 */
interface PlayerRecord {
  games: number[];
  times: number[];
  reasons: string[];
  expires: number[] | null;
}

/**
 * A player in a snapshot: [email, game, time, reason, expires?] (reported once) or
 * [email, games, times, reasons, expires | 0] (each report, in fold order). Snapshots written before
 * reports were kept one by one hold [email, top, topCount, games, times, reasons] instead: see
 * legacyRecord().
 */
export type PlayerState =
  | [email: string, game: number, time: number, reason: string, expires?: number]
  | [email: string, games: number[], times: number[], reasons: string[], expires: number[] | 0]
  | [email: string, top: string, topCount: number, games: number[], times: number[], reasons: (string | number)[]];

export interface BlacklistState {
  games: [id: number, name: string][];
  players: PlayerState[];
  reports: number;
  /** Keys of the blacklist feed's rows already folded (syncer/jobs/sync-blacklist-feed.ts). */
  feedKeys: string[];
  /** Erasures folded so far (README "Erasure"); absent in snapshots written before erasure existed. */
  erasures?: number;
}

export class BlacklistIndex {
  private readonly gamesById = new Map<number, Game>();
  private readonly gameIdsByName = new Map<string, number>();
  private readonly players = new Map<string, SingleReport | PlayerRecord>();
  private readonly feedKeys = new Set<string>();
  private reportCount = 0;
  private erasureCount = 0;

  get games(): readonly Game[] {
    return [...this.gamesById.values()];
  }

  get gameCount(): number {
    return this.gamesById.size;
  }

  get playerCount(): number {
    return this.players.size;
  }

  /** Reports held: folded, less those revoked or erased (expired ones stay until a snapshot drops them). */
  get reports(): number {
    return this.reportCount;
  }

  /** Erasures folded since the stream began: a snapshot store holding an older count may hold erased emails. */
  get erasures(): number {
    return this.erasureCount;
  }

  gameById(id: number): Game | undefined {
    return this.gamesById.get(id);
  }

  gameByName(name: string): Game | undefined {
    const id = this.gameIdsByName.get(name);
    return id === undefined ? undefined : this.gamesById.get(id);
  }

  /** Folds a game creation: the next id, or null when the name is taken (the later event loses). */
  createGame(name: string): Game | null {
    if (this.gameIdsByName.has(name)) return null;
    const game = { id: this.gamesById.size + 1, name };
    this.gamesById.set(game.id, game);
    this.gameIdsByName.set(name, game.id);
    return game;
  }

  /** True when a feed row with this key was folded already. */
  hasFeedRow(key: string): boolean {
    return this.feedKeys.has(key);
  }

  /** Remembers a feed row's key; false when it was there already (the row must not fold again). */
  markFeedRow(key: string): boolean {
    if (this.feedKeys.has(key)) return false;
    this.feedKeys.add(key);
    return true;
  }

  /** Folds a report. Reports of unknown games are ignored (they were refused at the door). */
  addReport(r: Report): boolean {
    if (!this.gamesById.has(r.gameId)) return false;
    this.reportCount++;
    const known = this.players.get(r.email);
    if (known === undefined) {
      this.players.set(r.email, { game: r.gameId, time: r.reportedAtMs, reason: r.reason, expires: r.expiresAtMs ?? 0 });
      return true;
    }
    let p: PlayerRecord;
    if ('games' in known) {
      p = known;
    } else {
      p = upgrade(known);
      this.players.set(r.email, p);
    }
    addTo(p, r);
    return true;
  }

  /**
   * Folds a revocation: every report of `gameId` on this email is removed, as if never made (later
   * reports count again). The number removed.
   */
  revoke(email: string, gameId: number): number {
    const p = this.players.get(email);
    if (p === undefined) return 0;
    if (!('games' in p)) {
      if (p.game !== gameId) return 0;
      this.players.delete(email);
      this.reportCount--;
      return 1;
    }
    const kept = emptyRecord();
    for (let i = 0; i < p.games.length; i++) if (p.games[i] !== gameId) pushReport(kept, p, i);
    const removed = p.games.length - kept.games.length;
    this.reportCount -= removed;
    if (kept.games.length === 0) this.players.delete(email);
    else this.players.set(email, kept.games.length === 1 ? single(kept, 0) : kept);
    return removed;
  }

  /** Folds an erasure: the email's every report is removed. The number removed. */
  erase(email: string): number {
    this.erasureCount++;
    const p = this.players.get(email);
    if (p === undefined) return 0;
    this.players.delete(email);
    const removed = 'games' in p ? p.games.length : 1;
    this.reportCount -= removed;
    return removed;
  }

  /**
   * The ban record at `nowMs`: over every game, or `gameId`'s reports alone. Null when no report is
   * in force (never reported, or each one expired, was revoked or erased).
   */
  check(email: string, nowMs: number, gameId = ALL_GAMES): BanCheck | null {
    const p = this.players.get(email);
    if (p === undefined) return null;
    if (!('games' in p)) {
      if ((gameId !== ALL_GAMES && p.game !== gameId) || !inForce(p.expires, nowMs)) return null;
      return { most_common_reason: p.reason, number_of_games_reported: 1, times_reported_last_90_days: p.time > nowMs - REPORT_WINDOW_MS ? 1 : 0 };
    }
    return checkOf(p, nowMs, gameId);
  }

  /**
   * The ban record as it will be once `pending` (reports of this email not folded yet, in the order
   * they were accepted) are folded after what this index holds: the index itself is not changed.
   */
  checkWith(email: string, nowMs: number, pending: readonly Report[], gameId = ALL_GAMES): BanCheck | null {
    const known = this.players.get(email);
    const p = known === undefined ? emptyRecord() : 'games' in known ? copyOf(known) : upgrade(known);
    for (const r of pending) if (this.gamesById.has(r.gameId)) addTo(p, r);
    return checkOf(p, nowMs, gameId);
  }

  /**
   * The fold state. Reports expired at `nowMs` are left out: they can never count again (a snapshot
   * is how expired reports leave memory).
   */
  toState(nowMs = 0): BlacklistState {
    const players: PlayerState[] = [];
    let reports = 0;
    for (const [email, p] of this.players) {
      if (!('games' in p)) {
        if (nowMs !== 0 && !inForce(p.expires, nowMs)) continue;
        players.push(singleState(email, p));
        reports++;
        continue;
      }
      const live = nowMs === 0 || p.expires === null ? p : withoutExpired(p, nowMs);
      if (live.games.length === 0) continue;
      reports += live.games.length;
      if (live.games.length === 1) {
        players.push(singleState(email, single(live, 0)));
      } else {
        players.push([email, live.games, live.times, live.reasons, live.expires ?? 0]);
      }
    }
    return {
      games: [...this.gamesById.values()].map((g) => [g.id, g.name]),
      players,
      reports,
      feedKeys: [...this.feedKeys],
      erasures: this.erasureCount,
    };
  }

  /** Rebuilds an index from toState(); throws InvalidStateError naming the first bad entry. */
  static fromState(s: BlacklistState): BlacklistIndex {
    const index = new BlacklistIndex();
    if (typeof s !== 'object' || s === null) throw new InvalidStateError('state is not an object');
    if (!Array.isArray(s.games) || !Array.isArray(s.players) || !Array.isArray(s.feedKeys) || !Number.isSafeInteger(s.reports)) {
      throw new InvalidStateError('games, players, feedKeys or reports missing');
    }
    if (s.erasures !== undefined && !(Number.isSafeInteger(s.erasures) && s.erasures >= 0)) throw new InvalidStateError('bad erasures count');
    for (const g of s.games) {
      if (!Array.isArray(g) || g[0] !== index.gamesById.size + 1 || typeof g[1] !== 'string' || index.gameIdsByName.has(g[1])) {
        throw new InvalidStateError(`bad game ${JSON.stringify(g)}`);
      }
      index.createGame(g[1]);
    }
    const players = index.players;
    const games = index.gamesById;
    let reports = 0;
    for (const p of s.players) {
      // The common record (reported once) inline: this loop runs once per player at every boot.
      if (Array.isArray(p) && (p.length === 4 || p.length === 5) && typeof p[0] === 'string' && games.has(p[1] as number) && isTime(p[2]) && typeof p[3] === 'string') {
        const expires = p[4] ?? 0;
        if (!isExpiry(expires)) throw new InvalidStateError(`bad player ${JSON.stringify(p).slice(0, 200)}`);
        players.set(p[0], { game: p[1] as number, time: p[2], reason: p[3], expires });
        reports++;
      } else {
        const record = playerFromState(p, index);
        players.set(p[0], record);
        reports += record.games.length;
      }
    }
    for (const key of s.feedKeys) {
      if (typeof key !== 'string') throw new InvalidStateError(`bad feed key ${JSON.stringify(key)}`);
      index.feedKeys.add(key);
    }
    index.reportCount = reports;
    index.erasureCount = s.erasures ?? 0;
    return index;
  }
}

const isTime = (x: unknown): x is number => Number.isSafeInteger(x);

const isExpiry = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

const inForce = (expires: number, nowMs: number): boolean => expires === 0 || expires > nowMs;

/** A player reported more than once (or a malformed entry: throws). */
function playerFromState(p: PlayerState, index: BlacklistIndex): PlayerRecord {
  const bad = () => new InvalidStateError(`bad player ${JSON.stringify(p).slice(0, 200)}`);
  if (!Array.isArray(p) || typeof p[0] !== 'string') throw bad();
  if (p.length === 6) return legacyRecord(p as Extract<PlayerState, { length: 6 }>, index, bad);
  if (p.length !== 5) throw bad();
  const [, games, times, reasons, expires] = p as Extract<PlayerState, [string, number[], number[], string[], number[] | 0]>;
  if (!Array.isArray(games) || !Array.isArray(times) || !Array.isArray(reasons) || games.length < 2) throw bad();
  if (times.length !== games.length || reasons.length !== games.length || (expires !== 0 && (!Array.isArray(expires) || expires.length !== games.length))) throw bad();
  if (!games.every((g) => index.gameById(g) !== undefined) || !times.every(isTime) || !reasons.every((r) => typeof r === 'string')) throw bad();
  if (expires !== 0 && !expires.every(isExpiry)) throw bad();
  return { games, times, reasons, expires: expires === 0 ? null : expires };
}

/**
 * A record from a snapshot written before reports were kept one by one: distinct games, sorted
 * times and reason counts, with no link between them. Its reports are rebuilt in time order, the
 * top reason's first (so it stays on top under the tie rule), the games given out in turn so each
 * one keeps at least a report. The counts a check answers are unchanged; revoking one game of such
 * a player removes the reports given to that game, which may not be the ones it made.
 */
function legacyRecord(p: [string, string, number, number[], number[], (string | number)[]], index: BlacklistIndex, bad: () => Error): PlayerRecord {
  const [, top, topCount, games, times, flat] = p;
  if (!Array.isArray(games) || !Array.isArray(times) || !Array.isArray(flat) || flat.length % 2 !== 0 || games.length === 0) throw bad();
  if (!games.every((g) => index.gameById(g) !== undefined) || !times.every(isTime)) throw bad();
  for (let i = 1; i < times.length; i++) if (times[i - 1]! > times[i]!) throw bad();
  const reasons: string[] = [];
  let total = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const [reason, count] = [flat[i], flat[i + 1]];
    if (typeof reason !== 'string' || !Number.isSafeInteger(count) || (count as number) < 1) throw bad();
    total += count as number;
  }
  if (total !== times.length || times.length < games.length || typeof top !== 'string' || topCount < 1) throw bad();
  for (let i = 0; i < topCount; i++) reasons.push(top);
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === top) continue;
    for (let n = 0; n < (flat[i + 1] as number); n++) reasons.push(flat[i] as string);
  }
  if (reasons.length !== times.length) throw bad();
  return { games: times.map((_, i) => games[i % games.length]!), times, reasons, expires: null };
}

const emptyRecord = (): PlayerRecord => ({ games: [], times: [], reasons: [], expires: null });

/** A player's single report as the general record, for a second one to join. */
function upgrade(one: SingleReport): PlayerRecord {
  return { games: [one.game], times: [one.time], reasons: [one.reason], expires: one.expires === 0 ? null : [one.expires] };
}

/** A player reported once, as a snapshot holds it: the expiry only when there is one. */
const singleState = (email: string, p: SingleReport): PlayerState =>
  p.expires === 0 ? [email, p.game, p.time, p.reason] : [email, p.game, p.time, p.reason, p.expires];

/** Report i of a record, alone. */
function single(p: PlayerRecord, i: number): SingleReport {
  return { game: p.games[i]!, time: p.times[i]!, reason: p.reasons[i]!, expires: p.expires?.[i] ?? 0 };
}

function copyOf(p: PlayerRecord): PlayerRecord {
  return { games: [...p.games], times: [...p.times], reasons: [...p.reasons], expires: p.expires === null ? null : [...p.expires] };
}

/** One more report at the end of the fold order. */
function addTo(p: PlayerRecord, r: Report): void {
  const expires = r.expiresAtMs ?? 0;
  pushReport(p, { games: [r.gameId], times: [r.reportedAtMs], reasons: [r.reason], expires: expires === 0 ? null : [expires] }, 0);
}

/** Appends report i of `from` to `to`. */
function pushReport(to: PlayerRecord, from: PlayerRecord, i: number): void {
  const expires = from.expires?.[i] ?? 0;
  if (expires !== 0 && to.expires === null) to.expires = new Array<number>(to.games.length).fill(0);
  to.games.push(from.games[i]!);
  to.times.push(from.times[i]!);
  to.reasons.push(from.reasons[i]!);
  to.expires?.push(expires);
}

function withoutExpired(p: PlayerRecord, nowMs: number): PlayerRecord {
  const live = emptyRecord();
  for (let i = 0; i < p.games.length; i++) if (inForce(p.expires![i]!, nowMs)) pushReport(live, p, i);
  if (live.expires?.every((e) => e === 0)) live.expires = null;
  return live;
}

/** Reasons and games seen by one check, reused: checks run one at a time on one thread. */
const seenReasons: string[] = [];
const seenCounts: number[] = [];
const seenGames: number[] = [];
/** Past this many distinct reasons (games) a check counts in a Map (Set): linear scans would cost more. */
const LINEAR_REASONS = 32;

/**
 * The check over the reports in force (of one game, or all), read in fold order: the top reason
 * moves only when another reason's count goes strictly above it, so among equal counts the one that
 * reached it first wins. Null when none is in force. Most records hold a few reports with fewer
 * reasons: they are counted in the scratch arrays above, with no allocation.
 */
function checkOf(p: PlayerRecord, nowMs: number, gameId: number): BanCheck | null {
  const since = nowMs - REPORT_WINDOW_MS;
  seenReasons.length = 0;
  seenCounts.length = 0;
  seenGames.length = 0;
  let counts: Map<string, number> | null = null;
  let games: Set<number> | null = null;
  let top = '';
  let topCount = 0;
  let recent = 0;
  for (let i = 0; i < p.games.length; i++) {
    const game = p.games[i]!;
    if ((gameId !== ALL_GAMES && game !== gameId) || (p.expires !== null && !inForce(p.expires[i]!, nowMs))) continue;
    if (games !== null) games.add(game);
    else if (!seenGames.includes(game)) {
      seenGames.push(game);
      if (seenGames.length > LINEAR_REASONS) games = new Set(seenGames);
    }
    if (p.times[i]! > since) recent++;
    const reason = p.reasons[i]!;
    let count: number;
    if (counts === null) {
      const at = seenReasons.indexOf(reason);
      if (at >= 0) {
        count = ++seenCounts[at]!;
      } else if (seenReasons.length < LINEAR_REASONS) {
        seenReasons.push(reason);
        seenCounts.push(1);
        count = 1;
      } else {
        counts = new Map(seenReasons.map((r, j) => [r, seenCounts[j]!]));
        count = 1;
        counts.set(reason, 1);
      }
    } else {
      count = (counts.get(reason) ?? 0) + 1;
      counts.set(reason, count);
    }
    if (count > topCount) {
      topCount = count;
      top = reason;
    }
  }
  return topCount === 0 ? null : { most_common_reason: top, number_of_games_reported: games?.size ?? seenGames.length, times_reported_last_90_days: recent };
}
