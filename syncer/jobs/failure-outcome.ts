// How a failed job run is counted: one mapping from the typed error a run threw to its outcome
// label, shared by every feed job (campaigns, blacklist feed, topics feed).

import type { ArcadeError } from '../../core/errors.js';

/** The outcome of a run that threw `err`; `otherwise` names a failure after the pull (publish, append). */
export function failureOutcome<Other extends string>(err: unknown, otherwise: Other): 'fetch_failed' | 'feed_rejected' | 'not_leader' | Other {
  switch ((err as Partial<ArcadeError> | null)?.code) {
    case 'FEED_FETCH_FAILED':
      return 'fetch_failed';
    case 'FEED_REJECTED':
      return 'feed_rejected';
    case 'NOT_LEADER':
      return 'not_leader';
    default:
      return otherwise;
  }
}
