// The events on the write path (docs/architecture.md "Data flow"): what each means and how it folds into the
// stream state (games and reports, topics, votes). Engines fold them in stream order; the syncer
// folds the same events into snapshots. Payloads are validated at the door (routes, feeds, the
// vote processor), so folding trusts them.

import { splitEventId, type LoggedEvent, type NewEvent } from './event.js';
import type { Game, Report } from './blacklist-index.js';
import type { StreamState } from './stream-state.js';
import { topicJson, type Topic } from './topics-index.js';
import type { IdemStamp } from './idempotency.js';
import { Errors, defaultErrorBodies, type ErrorCode } from '../../errors.js';
import type { TopicInput } from './topic-rules.js';
import type { ReportCount } from './ad-reports.js';
import type { BeaconKind } from '../beacons/kinds.js';

export interface GameCreated {
  name: string;
  /** Set when the request carried an Idempotency-Key (idempotency.ts); also on the four below. */
  idem?: IdemStamp;
}

export interface PlayerReported {
  game_id: number;
  email: string;
  reason: string;
  /** ms since the epoch, from the engine's clock when accepted (or the feed's reported_at). */
  reported_at: number;
  /** Set on reports from the blacklist feed: a row folds once however often the feed is pulled. */
  feed_key?: string;
  /** When the report stops counting, ms since the epoch (README "Ban lifecycle"); absent: never. */
  expires_at?: number;
  idem?: IdemStamp;
}

/** Every report of one game on one email revoked (DELETE /blacklist): as if never made. */
export interface ReportsRevoked {
  game_id: number;
  email: string;
}

/**
 * Every trace of an email to be removed (DELETE /players, README "Erasure"). The event itself names
 * the email, so it leaves the stream like any event: trimmed by a compaction once older than
 * EVENT_RETENTION_SECONDS.
 */
export interface PlayerErased {
  email: string;
}

export interface TopicCreated {
  topic: TopicInput;
  /** ms since the epoch, from the accepting engine's clock (or the syncer's, for the topics feed). */
  at: number;
  /** Set on topics from the topics feed: the feed's own id of the topic. */
  feed_key?: string;
  idem?: IdemStamp;
}

export interface TopicUpdated {
  id: number;
  topic: TopicInput;
  at: number;
  idem?: IdemStamp;
}

/** A vote, queued (POST /votes answered 202). Its id is this event's id. */
export interface VoteCast {
  topic_id: number;
  choice_id: number;
  queued_at: number;
  /** The voter, when the game named one: on a one-vote topic only the player's first vote counts. */
  player_id?: string;
  idem?: IdemStamp;
}

/**
 * Votes the processor counted, each exactly once (syncer/votes/): [voteId, choiceId] pairs. Written
 * by the same atomic step that records the votes as processed (count-votes.lua on Redis). A vote the
 * fold refused at its vote_cast (TopicsIndex.castVote) is named here too and not counted.
 */
export interface VotesCounted {
  at: number;
  votes: [voteId: string, choiceId: number][];
}

/**
 * A valid beacon an engine accepted (GET /beacon/{token}): the token's claim, in the stream for the
 * counter (syncer/votes/vote-counter.ts), which counts one (decision_id, kind) once however often it comes.
 */
export interface BeaconFired {
  decision_id: string;
  kind: BeaconKind;
  ad_id: string;
  country: string;
  lang: string;
  /** The decision's time and its token's expiry, ms since the epoch (whole seconds). */
  issued_at: number;
  expires_at: number;
  /** The VAST error code a player put in an error URL's [ERRORCODE], when it sent one. */
  error_code?: number;
}

/**
 * Report counts: decisions an engine served (column "decisions", sent every second or so), or
 * beacons the counter counted, each exactly once (the same atomic step that records them as
 * counted, count-votes.lua on Redis).
 */
export interface ReportCounts {
  at: number;
  counts: ReportCount[];
}

/** One decision for a player: who, which ad (and its campaign), when, and how long it matters to a cap (ms; 0: only to the no-repeat rule). */
export type View = [player: string, adId: string, campaign: string | null, at: number, keepMs: number];

/**
 * Views an engine server answered since its last flush (engine/decision/view-log.ts). Engines fold
 * them into their player memory; `origin` names the server, whose own fold skips them.
 */
export interface AdsViewed {
  origin: string;
  views: View[];
}

/** A report event as the blacklist index takes it. */
export const reportOf = (r: PlayerReported): Report => ({
  gameId: r.game_id,
  email: r.email,
  reason: r.reason,
  reportedAtMs: r.reported_at,
  expiresAtMs: r.expires_at ?? 0,
});

export const gameCreated = (data: GameCreated): NewEvent => ({ type: 'game_created', data });
export const playerReported = (data: PlayerReported): NewEvent => ({ type: 'player_reported', data });
export const reportsRevoked = (data: ReportsRevoked): NewEvent => ({ type: 'reports_revoked', data });
export const playerErased = (data: PlayerErased): NewEvent => ({ type: 'player_erased', data });
export const topicCreated = (data: TopicCreated): NewEvent => ({ type: 'topic_created', data });
export const topicUpdated = (data: TopicUpdated): NewEvent => ({ type: 'topic_updated', data });
export const voteCast = (data: VoteCast): NewEvent => ({ type: 'vote_cast', data });
export const votesCounted = (data: VotesCounted): NewEvent => ({ type: 'votes_counted', data });
export const beaconFired = (data: BeaconFired): NewEvent => ({ type: 'beacon_fired', data });
export const decisionsServed = (data: ReportCounts): NewEvent => ({ type: 'decisions_served', data });
export const beaconsCounted = (data: ReportCounts): NewEvent => ({ type: 'beacons_counted', data });
export const adsViewed = (data: AdsViewed): NewEvent => ({ type: 'ads_viewed', data });

/**
 * What folding an event decided, for the writer waiting on it: the game or topic created or
 * updated, null for a game name already taken or a topic that does not exist, the reports removed
 * by a revocation or an erasure, true otherwise.
 */
export type FoldOutcome = Game | Topic | null | number | true;

export function foldEvent(state: StreamState, e: LoggedEvent): FoldOutcome {
  switch (e.type) {
    case 'game_created':
    case 'player_reported':
    case 'topic_created':
    case 'topic_updated':
    case 'vote_cast': {
      const idem = (e.data as { idem?: IdemStamp }).idem;
      if (idem !== undefined) return foldOnce(state, e, idem);
    }
  }
  return applyEvent(state, e);
}

/**
 * A write sent with an Idempotency-Key (README "Safe retries"): applied and its answer recorded
 * when it is the first to carry its key in the last 24 h (event time), else a no-op whatever its
 * body (the route answers the retry from the record, or 422 when the digests differ).
 */
function foldOnce(state: StreamState, e: LoggedEvent, idem: IdemStamp): FoldOutcome {
  const at = splitEventId(e.id)[0];
  const records = state.idem;
  records.expire(at);
  const first = records.get(idem.key, at);
  if (first !== undefined) {
    // The vote processor counts one vote per key; should it count this one, it stands for the first.
    if (e.type === 'vote_cast') records.twin(e.id, first.id);
    return true;
  }
  const outcome = applyEvent(state, e);
  const answer = answerOf(state, e, outcome);
  if (answer !== null) records.record(idem.key, { id: e.id, digest: idem.digest, status: answer[0], body: answer[1], at });
  return outcome;
}

const CREATED = '201 Created';
const errorAnswer = (code: ErrorCode): [string, string] => [Errors[code].status, defaultErrorBodies[code].toString()];

/** POST /blacklist's 201 body: the report as normalised, its expiry when it has one. */
export function reportAnswer(r: PlayerReported): string {
  const answer = { game_id: r.game_id, email: r.email, reason: r.reason, ...(r.expires_at === undefined ? {} : { expires_at: new Date(r.expires_at).toISOString() }) };
  return JSON.stringify(answer);
}

/** POST /votes's 202 body: the vote's id (its event's) and what it names. */
export function voteAnswer(id: string, v: VoteCast): string {
  const answer = { id, topic_id: v.topic_id, choice_id: v.choice_id, queued_at: new Date(v.queued_at).toISOString(), ...(v.player_id === undefined ? {} : { player_id: v.player_id }) };
  return JSON.stringify(answer);
}

/**
 * The answer the route gives the request that wrote `e` (engine/routes/: games.ts, blacklist.ts,
 * topics.ts, votes.ts), from the event and its fold outcome; null when no route writes it so.
 * Reports and votes are answered by the same functions on both sides (reportAnswer, voteAnswer);
 * test/e2e/safe-retries.test.ts checks every route's bytes against these.
 */
function answerOf(state: StreamState, e: LoggedEvent, outcome: FoldOutcome): [status: string, body: string] | null {
  switch (e.type) {
    case 'game_created':
      return outcome === null ? errorAnswer('duplicate_game') : [CREATED, JSON.stringify(outcome)];
    case 'player_reported':
      return [CREATED, reportAnswer(e.data as PlayerReported)];
    case 'topic_created':
    case 'topic_updated':
      if (outcome === null || typeof outcome !== 'object') return e.type === 'topic_updated' ? errorAnswer('unknown_topic') : null;
      return [e.type === 'topic_created' ? CREATED : '200 OK', JSON.stringify(topicJson(state.topics, outcome as Topic, false))];
    case 'vote_cast':
      return ['202 Accepted', voteAnswer(e.id, e.data as VoteCast)];
    default:
      return null;
  }
}

function applyEvent(state: StreamState, e: LoggedEvent): FoldOutcome {
  switch (e.type) {
    case 'game_created':
      return state.blacklist.createGame((e.data as GameCreated).name);
    case 'player_reported': {
      const r = e.data as PlayerReported;
      if (r.feed_key !== undefined && !state.blacklist.markFeedRow(r.feed_key)) return true;
      state.blacklist.addReport(reportOf(r));
      return true;
    }
    case 'reports_revoked': {
      const r = e.data as ReportsRevoked;
      return state.blacklist.revoke(r.email, r.game_id);
    }
    case 'player_erased':
      return state.erase((e.data as PlayerErased).email);
    case 'topic_created': {
      const c = e.data as TopicCreated;
      // A feed topic pulled twice before the first fold reached the syncer: the first one stands.
      if (c.feed_key !== undefined && state.topics.byFeed(c.feed_key) !== undefined) return null;
      return state.topics.create(c.topic, c.at, c.feed_key);
    }
    case 'topic_updated': {
      const u = e.data as TopicUpdated;
      return state.topics.update(u.id, u.topic, u.at);
    }
    case 'vote_cast': {
      const v = e.data as VoteCast;
      state.votes.queued(e.id, v.topic_id, v.choice_id, v.queued_at, state.topics.castVote(e.id, v.topic_id, v.player_id, v.queued_at));
      return true;
    }
    case 'votes_counted': {
      const c = e.data as VotesCounted;
      for (const [voteId, choiceId] of c.votes) {
        // A retry's vote the counter met first stands for the first vote (README "Safe retries").
        const vote = state.idem.voteOf(voteId);
        if (state.topics.countVote(vote, choiceId)) state.votes.counted(vote, c.at);
      }
      return true;
    }
    case 'decisions_served':
    case 'beacons_counted':
      state.reports.add((e.data as ReportCounts).counts);
      return true;
    default:
      // beacon_fired folds into nothing here: the counter turns beacons into beacons_counted.
      // ads_viewed neither: engine servers fold views into their player memory (PublicServer.applyEvents).
      // An event type this version does not know (a newer writer): skipped, like the old default.
      return true;
  }
}
