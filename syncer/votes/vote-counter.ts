// The vote processor's one store-specific step (README "Topics and votes" and "Beacons and reports": every
// vote and every beacon counted exactly once, even when the processor crashes and retries): count
// the votes and beacons of a batch the consumer group delivered, record them as processed, tell the
// engines (one votes_counted and one beacons_counted event), and acknowledge the batch. Redis does
// it in one Lua script (redis-vote-counter.ts); embedded mode on its file log (file-vote-counter.ts).
// Which votes count in the end (a second vote of a player, a vote after a topic's end) is the
// fold's decision (TopicsIndex.castVote), not the counter's: the counter processes every vote once.

import type { LoggedEvent } from '../../core/domain/stream/event.js';
import type { BeaconFired, VoteCast } from '../../core/domain/stream/events.js';
import { beaconColumn, beaconKinds, prerequisite, type ReportColumn } from '../../core/domain/beacons/kinds.js';
import { hourStart } from '../../core/domain/stream/ad-reports.js';
import { splitEventId } from '../../core/domain/stream/event.js';
import { IDEMPOTENCY_TTL_MS } from '../../core/domain/stream/idempotency.js';

/**
 * Beacons whose tokens expired this long before the stream's oldest event are forgotten by forget():
 * a margin for clock skew between the engines that issued them and the log.
 */
export const BEACON_FORGET_MARGIN_MS = 3_600_000;

/** What one batch counted that was not counted before. */
export interface Counted {
  votes: number;
  /** Beacons newly counted, by report column. */
  beacons: Partial<Record<ReportColumn, number>>;
}

export interface VoteCounter {
  /** Counts the votes and beacons among `events` not counted before, and acknowledges every event of the batch. */
  count(events: readonly LoggedEvent[], nowMs: number): Promise<Counted>;
  /** Drops the record of votes older than `id` (the stream's oldest event) and of beacons whose tokens expired before it. */
  forgetBefore(id: string): Promise<void>;
  readonly description: string;
}

/** A beacon_fired event as the counters take it. */
export interface BeaconToCount {
  eventId: string;
  decisionId: string;
  kind: number;
  /** Kind that must have been counted first, -1 for none. */
  prerequisite: number;
  adId: string;
  country: string;
  lang: string;
  /** The decision's UTC hour, ms. */
  hourMs: number;
  expiresMs: number;
  column: ReportColumn;
  unmatchedColumn: ReportColumn;
}

const kindIndex = new Map<string, number>(beaconKinds.map((k, i) => [k, i]));

/** A vote as the counters take it: its id, its choice, and its scoped Idempotency-Key ('' for none). */
export type VoteToCount = [id: string, choiceId: number, idemKey: string];

/**
 * Whether a vote carrying an Idempotency-Key is the one its key counts (README "Safe retries"):
 * the fold answers every event carrying a key within 24 h of the first with the first's answer and
 * applies none of them, so the counter counts one vote per key in that window. `countedMs` is the
 * ms of the vote the key last counted (undefined: none). count-votes.lua applies the same rule.
 */
export function countsForKey(voteId: string, countedMs: number | undefined): boolean {
  return countedMs === undefined || Math.abs(splitEventId(voteId)[0] - countedMs) > IDEMPOTENCY_TTL_MS;
}

/** The batch split into votes, beacons, and the other events (acknowledged only). */
export function splitBatch(events: readonly LoggedEvent[]): { votes: VoteToCount[]; beacons: BeaconToCount[]; others: string[] } {
  const votes: VoteToCount[] = [];
  const beacons: BeaconToCount[] = [];
  const others: string[] = [];
  for (const e of events) {
    if (e.type === 'vote_cast') votes.push([e.id, (e.data as VoteCast).choice_id, (e.data as VoteCast).idem?.key ?? '']);
    else if (e.type === 'beacon_fired' && kindIndex.has((e.data as BeaconFired).kind)) beacons.push(beaconToCount(e.id, e.data as BeaconFired));
    else others.push(e.id);
  }
  return { votes, beacons, others };
}

function beaconToCount(eventId: string, b: BeaconFired): BeaconToCount {
  const kind = kindIndex.get(b.kind)!;
  return {
    eventId,
    decisionId: b.decision_id,
    kind,
    prerequisite: prerequisite[kind]!,
    adId: b.ad_id,
    country: b.country,
    lang: b.lang,
    hourMs: hourStart(b.issued_at),
    expiresMs: b.expires_at,
    column: beaconColumn(kind, false),
    unmatchedColumn: beaconColumn(kind, true),
  };
}
