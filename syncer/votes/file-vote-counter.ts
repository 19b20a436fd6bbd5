// VoteCounter for embedded mode, on the file event log. The atomic step is one append: the
// votes_counted and beacons_counted events both count (engines fold them into tallies and reports)
// and record what they counted as processed (they are in the log, fsynced, before anything else
// happens; beacons_counted carries the "<decision id>:<kind>" keys it counted, which on Redis live
// in a sorted set instead). The acknowledgement comes after; a crash between the two delivers the
// batch again, and what the log's counted events name is not counted twice. The record is rebuilt
// from the log at the first call and kept in memory after. A vote sent with an Idempotency-Key
// counts once per key within 24 h (countsForKey): the record of which key counted when is rebuilt
// from the vote_cast events the counted events name.

import { beaconsCounted, votesCounted, type ReportCounts, type VoteCast, type VotesCounted } from '../../core/domain/stream/events.js';
import type { EventLog } from '../../core/store/event-log.js';
import { START, compareEventIds, encodeEvent, splitEventId, type EncodedEvent } from '../../core/domain/stream/event.js';
import type { ReportCount } from '../../core/domain/stream/ad-reports.js';
import { BEACON_FORGET_MARGIN_MS, countsForKey, splitBatch, type Counted, type VoteCounter } from './vote-counter.js';
import { IDEMPOTENCY_TTL_MS } from '../../core/domain/stream/idempotency.js';

const SCAN_BATCH = 10_000;

/** beacons_counted as this counter writes it: the counts plus the keys it counted, with their expiry. */
interface FileBeaconsCounted extends ReportCounts {
  keys?: [key: string, expiresMs: number][];
}

interface Processed {
  votes: Set<string>;
  /** "<decision id>:<kind>" → the token's expiry (ms). */
  beacons: Map<string, number>;
  /** Scoped Idempotency-Key → ms of the vote it counted. */
  keys: Map<string, number>;
}

export class FileVoteCounter implements VoteCounter {
  readonly description = 'votes_counted and beacons_counted events in the file log';
  private record: Processed | null = null;

  constructor(
    private readonly log: EventLog,
    private readonly group: string,
  ) {}

  async count(events: Parameters<VoteCounter['count']>[0], nowMs: number): Promise<Counted> {
    const counted: Counted = { votes: 0, beacons: {} };
    if (events.length === 0) return counted;
    const record = this.record ?? (this.record = await this.scan());
    const { votes, beacons } = splitBatch(events);
    // New votes; of those carrying a key, the one the key counts (the others are recorded, not counted).
    const keysCounted = new Map<string, number>();
    const fresh: [string, number][] = [];
    const skipped: string[] = [];
    for (const [id, choice, key] of votes) {
      if (record.votes.has(id)) continue;
      if (key !== '') {
        if (!countsForKey(id, keysCounted.get(key) ?? record.keys.get(key))) {
          skipped.push(id);
          continue;
        }
        keysCounted.set(key, splitEventId(id)[0]);
      }
      fresh.push([id, choice]);
    }
    // Beacons counted by this batch, decided in stream order (a click after its impression in the same batch is matched).
    const keys = new Map<string, number>();
    const seen = (key: string) => record.beacons.has(key) || keys.has(key);
    const rows = new Map<string, ReportCount>();
    for (const b of beacons) {
      const key = `${b.decisionId}:${b.kind}`;
      if (seen(key)) continue;
      keys.set(key, b.expiresMs);
      const column = b.prerequisite >= 0 && !seen(`${b.decisionId}:${b.prerequisite}`) ? b.unmatchedColumn : b.column;
      const rowKey = `${b.adId}\0${b.country}\0${b.lang}\0${b.hourMs}\0${column}`;
      const row = rows.get(rowKey);
      if (row === undefined) rows.set(rowKey, [b.adId, b.country, b.lang, b.hourMs, column, 1]);
      else row[5]++;
      counted.beacons[column] = (counted.beacons[column] ?? 0) + 1;
    }
    const batch: EncodedEvent[] = [];
    if (fresh.length > 0) batch.push(encodeEvent(votesCounted({ at: nowMs, votes: fresh })));
    if (rows.size > 0) {
      const data: FileBeaconsCounted = { at: nowMs, counts: [...rows.values()], keys: [...keys] };
      batch.push(encodeEvent(beaconsCounted(data)));
    }
    if (batch.length > 0) await this.log.appendBatch(batch);
    for (const [id] of fresh) record.votes.add(id);
    for (const id of skipped) record.votes.add(id);
    for (const [key, ms] of keysCounted) record.keys.set(key, ms);
    for (const [key, expires] of keys) record.beacons.set(key, expires);
    await this.log.ack(this.group, events.map((e) => e.id));
    counted.votes = fresh.length;
    return counted;
  }

  async forgetBefore(id: string): Promise<void> {
    if (this.record === null) return;
    for (const voteId of this.record.votes) if (compareEventIds(voteId, id) < 0) this.record.votes.delete(voteId);
    const before = splitEventId(id)[0] - BEACON_FORGET_MARGIN_MS;
    for (const [key, expires] of this.record.beacons) if (expires < before) this.record.beacons.delete(key);
    const keysBefore = splitEventId(id)[0] - IDEMPOTENCY_TTL_MS;
    for (const [key, ms] of this.record.keys) if (ms < keysBefore) this.record.keys.delete(key);
  }

  /** Every vote and beacon named by a counted event still in the log, and the keys of the votes counted. */
  private async scan(): Promise<Processed> {
    const record: Processed = { votes: new Set(), beacons: new Map(), keys: new Map() };
    const keyOf = new Map<string, string>(); // vote id → its scoped key, for votes cast with one
    let after = START;
    for (;;) {
      const batch = await this.log.read(after, { count: SCAN_BATCH });
      if (batch.length === 0) return record;
      for (const e of batch) {
        if (e.type === 'vote_cast') {
          const key = (e.data as VoteCast).idem?.key;
          if (key !== undefined) keyOf.set(e.id, key);
        } else if (e.type === 'votes_counted') {
          for (const [id] of (e.data as VotesCounted).votes) {
            record.votes.add(id);
            const key = keyOf.get(id);
            if (key !== undefined) record.keys.set(key, splitEventId(id)[0]);
          }
        }
        else if (e.type === 'beacons_counted') for (const [key, expires] of (e.data as FileBeaconsCounted).keys ?? []) record.beacons.set(key, expires);
      }
      after = batch[batch.length - 1]!.id;
    }
  }
}
