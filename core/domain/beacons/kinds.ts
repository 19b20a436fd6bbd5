// What a video player reports back about an ad it was given (docs/architecture.md "Beacons and
// reports"): the VAST tracking events an advertiser pays for, plus the error URL. A kind's index is
// its position here: it picks the kind's slice of a decision's signature (token.ts), so the list
// only ever grows at its end.

export const beaconKinds = ['impression', 'start', 'firstQuartile', 'midpoint', 'thirdQuartile', 'complete', 'click', 'error'] as const;
export type BeaconKind = (typeof beaconKinds)[number];


/**
 * The kind that must have been counted first for a decision, or -1: a click follows an impression,
 * a complete follows a start. One that arrives without it is still counted, in a column of its own
 * (reportColumns), never dropped.
 */
export const prerequisite: readonly number[] = beaconKinds.map((k) =>
  k === 'click' ? beaconKinds.indexOf('impression') : k === 'complete' ? beaconKinds.indexOf('start') : -1,
);

/**
 * The columns of a report row, each a count per ad, market and UTC hour: decisions served, then one
 * per beacon kind, then the beacons counted without their prerequisite. The events that fold into
 * reports name their column, so a reader that does not know one skips it.
 */
export const reportColumns = [
  'decisions',
  'impressions',
  'starts',
  'first_quartiles',
  'midpoints',
  'third_quartiles',
  'completes',
  'clicks',
  'errors',
  'clicks_without_impression',
  'completes_without_start',
] as const;
export type ReportColumn = (typeof reportColumns)[number];

/** The column a beacon of kind k counts in: its own, or its "without" column when it came first. */
export function beaconColumn(kind: number, unmatched: boolean): ReportColumn {
  if (unmatched && beaconKinds[kind] === 'click') return 'clicks_without_impression';
  if (unmatched && beaconKinds[kind] === 'complete') return 'completes_without_start';
  return reportColumns[kind + 1]!;
}
