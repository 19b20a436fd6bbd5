// Reading an index's VAST pieces back as text, for tests that compare them (AdIndex.vastRanges).

import type { AdIndex } from '../../engine/indexes/ad-index.js';
import { R_CLICK, R_ID, R_MEDIA, R_TITLE, R_URL, VAST_RANGES } from '../../engine/indexes/vast.js';

/** The five VAST pieces of the ad at an ordinal: id, title, video URL, media piece, ClickThrough. */
export function vastPiecesOf(index: AdIndex, ordinal: number): string[] {
  const r = new Uint32Array(VAST_RANGES);
  index.vastRanges(ordinal, r);
  return [R_ID, R_TITLE, R_URL, R_MEDIA, R_CLICK].map((at) => index.slabBytes.toString('utf8', r[at], r[at + 1]));
}
