// VoteCounter on Redis: count-votes.lua does the whole step atomically (processed set, tallies,
// XACK, the votes_counted event). The script is kept as a file so it can be read and reviewed as
// Lua; ioredis runs it by SHA and loads it when Redis does not know it (after a restart).
//
// Keys: the processed set and the tallies hash sit beside the stream (`<stream>:votes:processed`,
// `<stream>:votes:tallies`). On Redis Cluster a script's keys must share a slot: give the stream
// key a hash tag (`{arcade}:events`) and these follow it.

import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { packagePath } from '../../core/runtime/package-root.js';
import { splitEventId } from '../../core/domain/stream/event.js';
import { splitBatch, type VoteCounter } from './vote-counter.js';
import { voteKeys } from '../../core/store/redis-keys.js';

const SCRIPT = readFileSync(packagePath('syncer/votes/count-votes.lua'), 'utf8');

type CountVotes = (stream: string, processed: string, tallies: string, ...args: (string | number)[]) => Promise<number>;

export class RedisVoteCounter implements VoteCounter {
  readonly description: string;
  private readonly processedKey: string;
  readonly talliesKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly group: string,
  ) {
    ({ votesProcessed: this.processedKey, votesTallies: this.talliesKey } = voteKeys(streamKey));
    this.description = `redis ${this.talliesKey} (count-votes.lua)`;
    if (!('countVotes' in redis)) redis.defineCommand('countVotes', { numberOfKeys: 3, lua: SCRIPT });
  }

  async count(events: Parameters<VoteCounter['count']>[0], nowMs: number): Promise<number> {
    if (events.length === 0) return 0;
    const { votes, others } = splitBatch(events);
    const run = (this.redis as unknown as { countVotes: CountVotes }).countVotes.bind(this.redis);
    return run(this.streamKey, this.processedKey, this.talliesKey, this.group, nowMs, votes.length, ...votes.map((v) => v[0]), ...votes.map((v) => v[1]), ...others);
  }

  async forgetBefore(id: string): Promise<void> {
    const [ms] = splitEventId(id);
    await this.redis.zremrangebyscore(this.processedKey, '-inf', `(${ms}`);
  }
}
