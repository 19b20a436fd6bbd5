// GET|POST /beacon/{token}: a video player reporting an impression, a quartile, a click or an error
// (docs/architecture.md "Beacons and reports"). No API key: players fire tracking URLs without
// headers, so the token's signature is the authorisation. A valid token is written to the stream
// as a beacon_fired event and answered once durable (204, or a 1×1 GIF to a client that asked for
// an image); the counter counts each (decision, kind) once however often and wherever it is fired.
// A server that already accepted that decision and kind answers at once without writing it again.
// A malformed, forged or expired token is refused with its reason and never reaches the stream.

import { beaconKinds } from '../../core/domain/beacons/kinds.js';
import { beaconFired } from '../../core/domain/stream/events.js';
import { CappedMap } from '../../core/domain/stream/capped-map.js';
import { rawQuery } from '../../core/runtime/uws.js';
import { AsyncReply, sendBeacon, sendError, type Handler } from '../../core/runtime/respond.js';
import { countryOf, langOf } from '../decision/market.js';
import { BEACON_PATH } from '../decision/tracking.js';
import { QueryReader } from '../http/query.js';
import { pathParam } from '../http/path-param.js';
import { rejectionIndex } from '../metrics/beacon-metrics.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import type { RouteDeps } from './route-deps.js';

/** (decision, kind) pairs this server accepted lately, so a retrying player does not write again. */
const RECENT_BEACONS = 100_000;
const ROUTE = routeIndex.beacon;
const REFUSAL = { malformed: 'bad_beacon', bad_signature: 'beacon_forged', expired: 'beacon_expired' } as const;
const REFUSAL_STATUS = { malformed: statusIndex['400'], bad_signature: statusIndex['403'], expired: statusIndex['410'] } as const;
const ACCEPT = Buffer.from('accept');
/** A VAST error code as a player substitutes it for [ERRORCODE]: 100–999. */
const ERROR_CODE = /^[1-9]\d\d$/;

export function fireBeacon(deps: RouteDeps): Handler {
  const { tracking, metrics, state, clock } = deps;
  const query = new QueryReader([{ name: 'code', maxLength: 16 }]);
  const recent = new CappedMap<string, true>(RECENT_BEACONS);
  return (res, req) => {
    const startedAt = performance.now();
    const token = pathParam(req, BEACON_PATH);
    const image = req.getHeader(ACCEPT).includes('image/');
    // A query the reader refuses (a repeated code) only loses the code: the beacon still counts.
    const code = query.read(rawQuery(req)) ? query.values[0] : undefined;
    const claim = tracking.verifier.verify(token, clock.now());
    if (typeof claim === 'string') {
      tracking.metrics.rejected.counts[rejectionIndex[claim]]!++;
      sendError(res, REFUSAL[claim], state.draining);
      return metrics.record(ROUTE, REFUSAL_STATUS[claim], startedAt);
    }
    const key = claim.decisionId + claim.kind;
    if (recent.has(key)) {
      tracking.metrics.repeated.counts[claim.kind]!++;
      sendBeacon(res, image, state.draining);
      return metrics.record(ROUTE, image ? statusIndex['200'] : statusIndex['204'], startedAt);
    }
    if (deps.events === null) {
      sendError(res, 'store_unavailable', state.draining);
      return metrics.record(ROUTE, statusIndex['503'], startedAt);
    }
    const reply = new AsyncReply(res, state);
    deps.events
      .append(
        beaconFired({
          decision_id: claim.decisionId,
          kind: beaconKinds[claim.kind]!,
          ad_id: claim.adId,
          country: countryOf(claim.country),
          lang: langOf(claim.lang),
          issued_at: claim.issuedSec * 1000,
          expires_at: claim.expiresSec * 1000,
          ...(code !== undefined && ERROR_CODE.test(code) ? { error_code: Number(code) } : {}),
        }),
      )
      .then(
        () => {
          // Two fires of one beacon may both have been written: the counter counts it once.
          if (recent.has(key)) tracking.metrics.repeated.counts[claim.kind]!++;
          else {
            recent.add(key, true);
            tracking.metrics.accepted.counts[claim.kind]!++;
          }
          reply.beacon(image);
          metrics.record(ROUTE, image ? statusIndex['200'] : statusIndex['204'], startedAt);
        },
        () => {
          reply.error('store_unavailable');
          metrics.record(ROUTE, statusIndex['503'], startedAt);
        },
      );
  };
}
