// Every Redis key and channel arcade-edge uses, built in one place from one prefix, so nothing else
// writes a key string and a deployment sharing a Redis can move all of them at once. On Redis
// Cluster the vote script's keys must share a slot: a prefix with a hash tag (`{arcade}`) does it.

import type { SnapshotKind } from '../domain/ads/snapshot.js';

export interface RedisKeys {
  /** The events stream (games, reports, topics, votes): one Redis Stream. */
  readonly events: string;
  /** Votes already counted: sorted set of vote ids scored by their ms (count-votes.lua). */
  readonly votesProcessed: string;
  /** Votes counted per choice: hash, choice id → count (count-votes.lua). */
  readonly votesTallies: string;
  /** Idempotency-Keys of votes counted: sorted set of scoped keys scored by the counted vote's ms (count-votes.lua). */
  readonly votesIdem: string;
  /** Beacons already counted: sorted set of "<decision id>:<kind>" scored by the token's expiry (count-votes.lua). */
  readonly beaconsProcessed: string;
  /** Pub/sub channel of "<kind> <version>" snapshot notifications. */
  readonly snapshotsChannel: string;
  /** The syncers' leader lock (SET NX PX, value = the holder's token). */
  readonly syncerLeader: string;
  /** Hash of the stored versions of a snapshot kind, version → bytes. */
  snapshotVersions(kind: SnapshotKind): string;
  /** The version engines load for a kind. */
  snapshotLatest(kind: SnapshotKind): string;
  /** Every snapshot key, as a pattern: for descriptions and SCAN, never a key itself. */
  readonly snapshotsPattern: string;
}

const DEFAULT_REDIS_PREFIX = 'arcade';

export function redisKeys(prefix: string = DEFAULT_REDIS_PREFIX): RedisKeys {
  const events = `${prefix}:events`;
  return {
    events,
    ...voteKeys(events),
    snapshotsChannel: `${prefix}:snapshots`,
    syncerLeader: `${prefix}:syncer:leader`,
    snapshotVersions: (kind) => `${prefix}:snap:${kind}:versions`,
    snapshotLatest: (kind) => `${prefix}:snap:${kind}:latest`,
    snapshotsPattern: `${prefix}:snap:*`,
  };
}

/** The vote counter's keys, beside the events stream they count (same hash tag, same slot). */
export function voteKeys(eventsKey: string): Pick<RedisKeys, 'votesProcessed' | 'votesTallies' | 'votesIdem' | 'beaconsProcessed'> {
  return {
    votesProcessed: `${eventsKey}:votes:processed`,
    votesTallies: `${eventsKey}:votes:tallies`,
    votesIdem: `${eventsKey}:votes:idem`,
    beaconsProcessed: `${eventsKey}:beacons:processed`,
  };
}
