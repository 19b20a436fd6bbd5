// The embedded vote processor for tests: counts votes on an engine's own file log (as `npm start`
// does), quietly, and stops at teardown.

import { systemClock } from '../../core/runtime/clock.js';
import type { FileEventLog } from '../../core/store/file-event-log.js';
import { SyncerMetrics } from '../../syncer/metrics.js';
import { FileVoteCounter } from '../../syncer/votes/file-vote-counter.js';
import { VOTES_GROUP, VoteProcessor } from '../../syncer/votes/vote-processor.js';
import { quietLogger } from './logger.js';

export async function startVoteProcessor(t: { teardown(fn: () => unknown): void }, events: FileEventLog): Promise<VoteProcessor> {
  const processor = new VoteProcessor({
    events,
    counter: new FileVoteCounter(events, VOTES_GROUP),
    metrics: new SyncerMetrics(),
    log: quietLogger(),
    clock: systemClock,
    claimIdleMs: 1_000,
  });
  await processor.start();
  t.teardown(() => processor.stop());
  return processor;
}
