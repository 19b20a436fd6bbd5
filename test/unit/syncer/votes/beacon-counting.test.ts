// Beacons counted exactly once, on both counters (count-votes.lua on a real Redis, the file log's
// counter): one (decision, kind) counts once however often it comes, in one batch or a later one,
// and a batch delivered again counts nothing; a click before its impression and a complete without
// its start are counted in their own columns; the engines' fold of beacons_counted gives the report.

import { join } from 'node:path';
import t from 'tap';
import { beaconFired, type BeaconFired } from '../../../../core/domain/stream/events.js';
import { foldEvent } from '../../../../core/domain/stream/events.js';
import { StreamState } from '../../../../core/domain/stream/stream-state.js';
import { START } from '../../../../core/domain/stream/event.js';
import type { EventLog } from '../../../../core/store/event-log.js';
import { FileEventLog } from '../../../../core/store/file-event-log.js';
import { RedisVoteCounter } from '../../../../syncer/votes/redis-vote-counter.js';
import { FileVoteCounter } from '../../../../syncer/votes/file-vote-counter.js';
import type { VoteCounter } from '../../../../syncer/votes/vote-counter.js';
import { VOTES_GROUP } from '../../../../syncer/votes/vote-processor.js';
import { STREAM, redisLog } from '../../../helpers/redis-votes.js';
import { scratchDir } from '../../../helpers/scratch-dir.js';

const HOUR = Date.UTC(2026, 10, 24, 10);
const beacon = (decision: string, kind: BeaconFired['kind'], ad = 'ad-1'): BeaconFired => ({
  decision_id: decision,
  kind,
  ad_id: ad,
  country: 'us',
  lang: 'eng',
  issued_at: HOUR + 5 * 60_000,
  expires_at: HOUR + 86_400_000,
});

type Teardown = Parameters<typeof scratchDir>[0];
const counters: [string, (t: Teardown) => Promise<{ events: EventLog; counter: VoteCounter }>][] = [
  [
    'redis (count-votes.lua)',
    async (t) => {
      const { redis, events } = await redisLog(t);
      return { events, counter: new RedisVoteCounter(redis, STREAM, VOTES_GROUP) };
    },
  ],
  [
    'file log',
    async (t) => {
      const events = await FileEventLog.open(join(scratchDir(t), 'events'));
      t.teardown(() => events.close());
      return { events, counter: new FileVoteCounter(events, VOTES_GROUP) };
    },
  ],
];

for (const [name, open] of counters) {
  t.test(`${name}: each (decision, kind) counts once; out-of-order beacons in their own columns`, async (t) => {
    const { events, counter } = await open(t);
    await events.ensureGroup(VOTES_GROUP, START);
    const fire = async (...bs: BeaconFired[]) => {
      for (const b of bs) await events.append(beaconFired(b));
      return counter.count(await events.readGroup(VOTES_GROUP, 'p1', { count: 1000 }), HOUR + 3_600_000);
    };
    const first = await fire(
      beacon('A', 'impression'),
      beacon('A', 'impression'), // the player retried
      beacon('A', 'start'),
      beacon('A', 'click'),
      beacon('B', 'complete'), // no start first
      beacon('C', 'click', 'ad-2'), // before its impression
      beacon('C', 'error', 'ad-2'),
    );
    t.same(first, { votes: 0, beacons: { impressions: 1, starts: 1, clicks: 1, completes_without_start: 1, clicks_without_impression: 1, errors: 1 } });
    // Fired again later, as a second engine would: counts nothing, but C's impression is new.
    const second = await fire(beacon('A', 'impression'), beacon('A', 'click'), beacon('C', 'impression', 'ad-2'), beacon('C', 'click', 'ad-2'));
    t.same(second, { votes: 0, beacons: { impressions: 1 } });
    // The same batch delivered again (a lost acknowledgement): nothing.
    const all = await events.read(START, { count: 1000 });
    const fired = all.filter((e) => e.type === 'beacon_fired');
    t.same(await counter.count(fired, HOUR + 7_200_000), { votes: 0, beacons: {} }, 'a redelivered batch counts nothing');

    const state = StreamState.empty(10);
    for (const e of await events.read(START, { count: 1000 })) foldEvent(state, e);
    const rows = state.reports.query({ fromMs: HOUR, toMs: HOUR + 3_600_000 });
    const columns = (r: (typeof rows)[number]) => Object.fromEntries([...r.counts].map((n, i) => [i, n]).filter(([, n]) => n !== 0));
    t.same(
      rows.map((r) => [r.adId, new Date(r.hourMs).toISOString(), columns(r)]),
      [
        ['ad-1', '2026-11-24T10:00:00.000Z', { 1: 1, 2: 1, 7: 1, 10: 1 }],
        ['ad-2', '2026-11-24T10:00:00.000Z', { 1: 1, 8: 1, 9: 1 }],
      ],
      'the fold: impressions, starts, clicks, completes without start for ad-1; impression, error, click without impression for ad-2',
    );
    t.equal(state.reports.total('impressions'), 2);
  });
}
