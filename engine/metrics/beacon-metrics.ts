// Beacons an engine server took: accepted by kind (durable in the stream, first time this server
// saw that decision and kind), repeated (already accepted here: answered, not appended again), and
// refused by reason. Closed label sets; never a per-ad or per-decision label. What was counted
// exactly once is the syncer's syncer_beacons_counted_total.

import type { Registry } from 'prom-client';
import { beaconKinds } from '../../core/domain/beacons/kinds.js';
import { beaconRejections } from '../../core/domain/beacons/token.js';
import { HotCounter } from './hot-metrics.js';

export const rejectionIndex = Object.fromEntries(beaconRejections.map((r, i) => [r, i])) as Record<(typeof beaconRejections)[number], number>;

export class BeaconMetrics {
  readonly accepted: HotCounter;
  readonly repeated: HotCounter;
  readonly rejected: HotCounter;

  constructor(registry: Registry) {
    const kinds = beaconKinds.map((kind) => ({ kind }));
    this.accepted = new HotCounter({
      name: 'engine_beacons_accepted_total',
      help: 'Beacons with a valid token written to the event log, by kind (each decision and kind once per server; the syncer counts them once overall).',
      labelSets: kinds,
      registers: [registry],
    });
    this.repeated = new HotCounter({
      name: 'engine_beacons_repeated_total',
      help: 'Beacons this server had already accepted for the same decision and kind: answered, not written again.',
      labelSets: kinds,
      registers: [registry],
    });
    this.rejected = new HotCounter({
      name: 'engine_beacons_rejected_total',
      help: 'Beacons refused, by reason (malformed, bad_signature, expired): never counted.',
      labelSets: beaconRejections.map((reason) => ({ reason })),
      registers: [registry],
    });
  }
}
