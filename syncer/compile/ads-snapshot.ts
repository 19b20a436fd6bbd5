// Pure: validated ads → a versioned, encoded ads snapshot. The version embeds a hash of the content,
// so the same ads give the same hash and the sync job can skip publishing an unchanged feed.

import type { Ad } from '../../core/domain/ads/feed.js';
import { adsContentHash, encodeAdsSnapshot, snapshotVersion, type AdsSnapshot } from '../../core/domain/ads/snapshot.js';

export interface CompiledSnapshot {
  readonly snapshot: AdsSnapshot;
  readonly bytes: Buffer;
  readonly contentHash: string;
}

/** `contentHash`: pass adsContentHash(ads) when already computed (the sync job hashes first). */
export function compileAdsSnapshot(ads: Ad[], nowMs: number, streamOffset = '0', contentHash = adsContentHash(ads)): CompiledSnapshot {
  const snapshot: AdsSnapshot = {
    kind: 'ads',
    version: snapshotVersion(nowMs, contentHash),
    createdAt: new Date(nowMs).toISOString(),
    streamOffset,
    ads,
  };
  return { snapshot, bytes: encodeAdsSnapshot(snapshot), contentHash };
}

/** The content-hash prefix a version carries (see snapshotVersion). */
export function versionHash(version: string): string {
  return version.slice(version.lastIndexOf('-') + 1);
}
