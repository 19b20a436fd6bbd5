// VoteCounter on Redis: count-votes.lua does the whole step atomically (processed sets, tallies,
// XACK, the votes_counted and beacons_counted events). The script is kept as a file so it can be
// read and reviewed as Lua; ioredis runs it by SHA and loads it when Redis does not know it (after
// a restart).
//
// Keys: the processed sets and the tallies hash sit beside the stream (`<stream>:votes:processed`,
// `<stream>:votes:tallies`, `<stream>:votes:idem`, `<stream>:beacons:processed`). On Redis Cluster a script's keys must
// share a slot: give the stream key a hash tag (`{arcade}:events`) and these follow it.

import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { packagePath } from '../../core/runtime/package-root.js';
import { splitEventId } from '../../core/domain/stream/event.js';
import type { ReportColumn } from '../../core/domain/beacons/kinds.js';
import { BEACON_FORGET_MARGIN_MS, splitBatch, type Counted, type VoteCounter } from './vote-counter.js';
import { IDEMPOTENCY_TTL_MS } from '../../core/domain/stream/idempotency.js';
import { voteKeys } from '../../core/store/redis-keys.js';

const SCRIPT = readFileSync(packagePath('syncer/votes/count-votes.lua'), 'utf8');

type CountVotes = (stream: string, processed: string, tallies: string, beacons: string, idem: string, ...args: (string | number)[]) => Promise<(string | number)[]>;

export class RedisVoteCounter implements VoteCounter {
  readonly description: string;
  private readonly processedKey: string;
  readonly talliesKey: string;
  readonly beaconsKey: string;
  readonly idemKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly group: string,
  ) {
    ({ votesProcessed: this.processedKey, votesTallies: this.talliesKey, beaconsProcessed: this.beaconsKey, votesIdem: this.idemKey } = voteKeys(streamKey));
    this.description = `redis ${this.talliesKey} (count-votes.lua)`;
    if (!('countVotes' in redis)) redis.defineCommand('countVotes', { numberOfKeys: 5, lua: SCRIPT });
  }

  async count(events: Parameters<VoteCounter['count']>[0], nowMs: number): Promise<Counted> {
    if (events.length === 0) return { votes: 0, beacons: {} };
    const { votes, beacons, others } = splitBatch(events);
    const args: (string | number)[] = [this.group, nowMs, votes.length, beacons.length];
    for (const v of votes) args.push(v[0]);
    for (const v of votes) args.push(v[1]);
    for (const v of votes) args.push(v[2]);
    for (const b of beacons) {
      args.push(b.eventId, b.decisionId, b.kind, b.prerequisite, b.adId, b.country, b.lang, b.hourMs, b.expiresMs, b.column, b.unmatchedColumn);
    }
    for (const id of others) args.push(id);
    const run = (this.redis as unknown as { countVotes: CountVotes }).countVotes.bind(this.redis);
    const reply = await run(this.streamKey, this.processedKey, this.talliesKey, this.beaconsKey, this.idemKey, ...args);
    const counted: Counted = { votes: Number(reply[0]), beacons: {} };
    for (let i = 1; i + 1 < reply.length; i += 2) counted.beacons[String(reply[i]) as ReportColumn] = Number(reply[i + 1]);
    return counted;
  }

  async forgetBefore(id: string): Promise<void> {
    const [ms] = splitEventId(id);
    await this.redis.zremrangebyscore(this.processedKey, '-inf', `(${ms}`);
    await this.redis.zremrangebyscore(this.beaconsKey, '-inf', `(${ms - BEACON_FORGET_MARGIN_MS}`);
    // A vote still to come under a key is within 24 h of the vote it counted, and not older than the stream.
    await this.redis.zremrangebyscore(this.idemKey, '-inf', `(${ms - IDEMPOTENCY_TTL_MS}`);
  }
}
