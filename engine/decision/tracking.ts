// What a server needs to put tracking URLs in its answers and to take beacons back (docs/
// architecture.md "Beacons and reports"): the signer for its decisions, the verifier for beacons,
// the URL prefix every tracking URL starts with, the count of decisions served and the beacon metrics.

import { BeaconSigner, BeaconVerifier } from '../../core/domain/beacons/token.js';
import type { Registry } from 'prom-client';
import { DecisionCounter } from './decision-counter.js';
import { BeaconMetrics } from '../metrics/beacon-metrics.js';
import { localOrigin } from '../../core/runtime/config.js';

/** The path tracking URLs use; the token is its last segment. */
export const BEACON_PATH = '/beacon/';

export class Tracking {
  readonly signer: BeaconSigner;
  readonly verifier: BeaconVerifier;
  readonly decisions = new DecisionCounter();
  readonly metrics: BeaconMetrics;
  /** `<PUBLIC_BASE_URL>/beacon/`: set once the server knows its port when PUBLIC_BASE_URL is unset. */
  beaconUrlPrefix = '';

  constructor(keys: readonly Uint8Array[], ttlSec: number, registry: Registry) {
    this.metrics = new BeaconMetrics(registry);
    this.signer = new BeaconSigner(keys, ttlSec);
    this.verifier = new BeaconVerifier(keys);
  }

  /** Sets where tracking URLs point: the public base URL, or this server's own address. */
  setBase(publicBaseUrl: string | null, host: string, port: number): void {
    this.beaconUrlPrefix = (publicBaseUrl ?? localOrigin(host, port)) + BEACON_PATH;
  }
}
