// The events on the write path (DESIGN.md "Writes"): what each means and how it folds into the
// blacklist index. Engines fold them in stream order; the syncer folds the same events into
// snapshots. Payloads are validated at the door (routes, feeds), so folding trusts them.

import type { LoggedEvent, NewEvent } from '../store/event-log.js';
import type { BlacklistIndex, Game } from '../indexes/blacklist-index.js';

export interface GameCreated {
  name: string;
}

export interface PlayerReported {
  game_id: number;
  email: string;
  reason: string;
  /** ms since the epoch, from the engine's clock when accepted (or the feed's reported_at). */
  reported_at: number;
  /** Set on reports from the blacklist feed: a row folds once however often the feed is pulled. */
  feed_key?: string;
}

export const gameCreated = (data: GameCreated): NewEvent => ({ type: 'game_created', data });
export const playerReported = (data: PlayerReported): NewEvent => ({ type: 'player_reported', data });

/** What folding an event decided: the game created, null for a name already taken, true otherwise. */
export type FoldOutcome = Game | null | true;

export function foldEvent(index: BlacklistIndex, e: LoggedEvent): FoldOutcome {
  switch (e.type) {
    case 'game_created':
      return index.createGame((e.data as GameCreated).name);
    case 'player_reported': {
      const r = e.data as PlayerReported;
      if (r.feed_key !== undefined && !index.markFeedRow(r.feed_key)) return true;
      index.addReport({ gameId: r.game_id, email: r.email, reason: r.reason, reportedAtMs: r.reported_at });
      return true;
    }
    default:
      // Event types of later features (votes, topics) are not this index's business.
      return true;
  }
}
