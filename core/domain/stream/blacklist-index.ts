// The games registry and the per-player ban record, kept current by folding events in stream order
// (README "Games and blacklist"). Every engine folds the same events in the same order and so
// reaches the same state: that is how a game id and a duplicate name are decided without a central
// counter. Checks are O(log n) in the player's own reports.
//
// Per email: the distinct games that reported it, every report time (sorted, for the 90-day count),
// and reason counts with the current top. The tie rule: the top reason changes only when another
// reason's count goes strictly above it, so among equal counts the one that reached it first wins.
//
// toState()/fromState() are this index's part of the stream snapshot (stream-snapshot.ts): the whole fold
// state, the current top included, so folding more events after a load gives exactly what folding
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
}

export interface BanCheck {
  most_common_reason: string;
  number_of_games_reported: number;
  times_reported_last_90_days: number;
}

/**
 * Most reported players are reported once: they get this small record (measured at 1M players:
 * ~1 KB each with the general record's Set, array and Map, against ~0.2 KB like this). A second
 * report upgrades it to a PlayerRecord.
 */
interface SingleReport {
  readonly game: number;
  readonly time: number;
  readonly reason: string;
}

interface PlayerRecord {
  games: Set<number>;
  /** Report times, ascending. */
  times: number[];
  reasons: Map<string, number>;
  top: string;
  topCount: number;
}

/** A player in a snapshot: [email, game, time, reason] (reported once) or the whole record. */
export type PlayerState =
  | [email: string, game: number, time: number, reason: string]
  | [email: string, top: string, topCount: number, games: number[], times: number[], reasons: (string | number)[]];

export interface BlacklistState {
  games: [id: number, name: string][];
  players: PlayerState[];
  reports: number;
  /** Keys of the blacklist feed's rows already folded (syncer/jobs/sync-blacklist-feed.ts). */
  feedKeys: string[];
}

export class BlacklistIndex {
  private readonly gamesById = new Map<number, Game>();
  private readonly gameIdsByName = new Map<string, number>();
  private readonly players = new Map<string, SingleReport | PlayerRecord>();
  private readonly feedKeys = new Set<string>();
  private reportCount = 0;

  get games(): readonly Game[] {
    return [...this.gamesById.values()];
  }

  get gameCount(): number {
    return this.gamesById.size;
  }

  get playerCount(): number {
    return this.players.size;
  }

  get reports(): number {
    return this.reportCount;
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
      this.players.set(r.email, { game: r.gameId, time: r.reportedAtMs, reason: r.reason });
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

  /** The ban record at `nowMs`, or null when the email was never reported. */
  check(email: string, nowMs: number): BanCheck | null {
    const p = this.players.get(email);
    if (p === undefined) return null;
    if (!('games' in p)) {
      return { most_common_reason: p.reason, number_of_games_reported: 1, times_reported_last_90_days: p.time > nowMs - REPORT_WINDOW_MS ? 1 : 0 };
    }
    return checkOf(p, nowMs);
  }

  /**
   * The ban record as it will be once `pending` (reports of this email not folded yet, in the order
   * they were accepted) are folded after what this index holds: the index itself is not changed.
   */
  checkWith(email: string, nowMs: number, pending: readonly Report[]): BanCheck | null {
    const known = this.players.get(email);
    let p: PlayerRecord | null = known === undefined ? null : 'games' in known ? copyOf(known) : upgrade(known);
    for (const r of pending) {
      if (!this.gamesById.has(r.gameId)) continue;
      if (p === null) p = upgrade({ game: r.gameId, time: r.reportedAtMs, reason: r.reason });
      else addTo(p, r);
    }
    return p === null ? null : checkOf(p, nowMs);
  }

  toState(): BlacklistState {
    const players: PlayerState[] = [];
    for (const [email, p] of this.players) {
      if ('games' in p) players.push([email, p.top, p.topCount, [...p.games], p.times, [...p.reasons].flat()]);
      else players.push([email, p.game, p.time, p.reason]);
    }
    return { games: [...this.gamesById.values()].map((g) => [g.id, g.name]), players, reports: this.reportCount, feedKeys: [...this.feedKeys] };
  }

  /** Rebuilds an index from toState(); throws InvalidStateError naming the first bad entry. */
  static fromState(s: BlacklistState): BlacklistIndex {
    const index = new BlacklistIndex();
    if (typeof s !== 'object' || s === null) throw new InvalidStateError('state is not an object');
    if (!Array.isArray(s.games) || !Array.isArray(s.players) || !Array.isArray(s.feedKeys) || !Number.isSafeInteger(s.reports)) {
      throw new InvalidStateError('games, players, feedKeys or reports missing');
    }
    for (const g of s.games) {
      if (!Array.isArray(g) || g[0] !== index.gamesById.size + 1 || typeof g[1] !== 'string' || index.gameIdsByName.has(g[1])) {
        throw new InvalidStateError(`bad game ${JSON.stringify(g)}`);
      }
      index.createGame(g[1]);
    }
    const players = index.players;
    const games = index.gamesById;
    for (const p of s.players) {
      // The common record (reported once) inline: this loop runs once per player at every boot.
      if (Array.isArray(p) && p.length === 4 && typeof p[0] === 'string' && games.has(p[1]) && isTime(p[2]) && typeof p[3] === 'string') {
        players.set(p[0], { game: p[1], time: p[2], reason: p[3] });
      } else {
        players.set(p[0], playerFromState(p, index));
      }
    }
    for (const key of s.feedKeys) {
      if (typeof key !== 'string') throw new InvalidStateError(`bad feed key ${JSON.stringify(key)}`);
      index.feedKeys.add(key);
    }
    index.reportCount = s.reports;
    return index;
  }
}

const isTime = (x: unknown): x is number => Number.isSafeInteger(x);

/** A player reported more than once (or a malformed entry: throws). */
function playerFromState(p: PlayerState, index: BlacklistIndex): PlayerRecord {
  const bad = () => new InvalidStateError(`bad player ${JSON.stringify(p).slice(0, 200)}`);
  if (!Array.isArray(p) || typeof p[0] !== 'string' || p.length !== 6) throw bad();
  const [, top, topCount, games, times, flat] = p;
  if (!Array.isArray(games) || !Array.isArray(times) || !Array.isArray(flat) || flat.length % 2 !== 0) throw bad();
  if (!games.every((g) => index.gameById(g) !== undefined) || !times.every(isTime)) throw bad();
  for (let i = 1; i < times.length; i++) if (times[i - 1]! > times[i]!) throw bad();
  const reasons = new Map<string, number>();
  for (let i = 0; i < flat.length; i += 2) {
    const [reason, count] = [flat[i], flat[i + 1]];
    if (typeof reason !== 'string' || !Number.isSafeInteger(count) || (count as number) < 1) throw bad();
    reasons.set(reason, count as number);
  }
  if (reasons.get(top) !== topCount || [...reasons.values()].some((c) => c > topCount)) throw bad();
  return { games: new Set(games), times, reasons, top, topCount };
}

/** A player's single report as the general record, for a second one to join. */
function upgrade(one: SingleReport): PlayerRecord {
  return { games: new Set([one.game]), times: [one.time], reasons: new Map([[one.reason, 1]]), top: one.reason, topCount: 1 };
}

function copyOf(p: PlayerRecord): PlayerRecord {
  return { games: new Set(p.games), times: [...p.times], reasons: new Map(p.reasons), top: p.top, topCount: p.topCount };
}

/** One more report on a record; the top reason moves only when another reason's count passes it. */
function addTo(p: PlayerRecord, r: Report): void {
  p.games.add(r.gameId);
  insertSorted(p.times, r.reportedAtMs);
  const count = (p.reasons.get(r.reason) ?? 0) + 1;
  p.reasons.set(r.reason, count);
  if (count > p.topCount) {
    p.topCount = count;
    p.top = r.reason;
  }
}

function checkOf(p: PlayerRecord, nowMs: number): BanCheck {
  return {
    most_common_reason: p.top,
    number_of_games_reported: p.games.size,
    times_reported_last_90_days: p.times.length - firstAbove(p.times, nowMs - REPORT_WINDOW_MS),
  };
}

/** Appends in the common case (reports arrive in time order), else inserts in place. */
function insertSorted(xs: number[], x: number): void {
  if (xs.length === 0 || xs[xs.length - 1]! <= x) {
    xs.push(x);
    return;
  }
  xs.splice(firstAbove(xs, x), 0, x);
}

/** Index of the first element greater than x. */
function firstAbove(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
