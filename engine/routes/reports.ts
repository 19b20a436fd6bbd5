// GET /reports/ads?from=&to=[&ad_id=][&country=][&lang=][&format=csv] (README "Beacons and reports", admin
// scope): per ad, market and UTC hour, decisions served, each beacon kind counted once, the
// beacons that came without their prerequisite, and the click-through and completion rates.
// Answered from this server's fold of the stream (AdReports), like the vote tallies: no store call.

import { reportColumns } from '../../core/domain/beacons/kinds.js';
import { hourStart, type ReportRow } from '../../core/domain/stream/ad-reports.js';
import { errorBody } from '../../core/errors.js';
import { STATUS_200, sendJson, sendTyped, type Handler } from '../../core/runtime/respond.js';
import { countryCode, langCode } from '../decision/market.js';
import { routeIndex, statusIndex } from '../metrics/request-metrics.js';
import { streamReadDoor } from './read-door.js';
import type { RouteDeps } from './route-deps.js';

const FROM = 0;
const TO = 1;
const AD_ID = 2;
const COUNTRY = 3;
const LANG = 4;
const FORMAT = 5;
/** `2026-11-24`, `2026-11-24T10:00Z`, `2026-11-24T10:00:00.000Z`, or with an offset for Z. */
const INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const CSV_TYPE = Buffer.from('text/csv; charset=utf-8');
const IMPRESSIONS = reportColumns.indexOf('impressions');
const CLICKS = reportColumns.indexOf('clicks');
const COMPLETES = reportColumns.indexOf('completes');

export const REPORT_PARAMS = [
  { name: 'from', maxLength: 40 },
  { name: 'to', maxLength: 40 },
  { name: 'ad_id', maxLength: 128 },
  { name: 'country', maxLength: 32 },
  { name: 'lang', maxLength: 32 },
  { name: 'format', maxLength: 16 },
] as const;

export function adReports(deps: RouteDeps): Handler {
  const { metrics, state } = deps;
  const door = streamReadDoor(deps, 'reports', REPORT_PARAMS, validate, 'admin');
  return (res, req) => {
    const r = door(res, req);
    if (r === null) return;
    const v = r.values;
    const fromMs = hourStart(instant(v[FROM]!));
    const toMs = instant(v[TO]!);
    const rows = deps.stream.state.reports.query({
      fromMs,
      toMs,
      ...(v[AD_ID] === undefined ? {} : { adId: v[AD_ID] }),
      ...(v[COUNTRY] === undefined ? {} : { country: v[COUNTRY].toLowerCase() }),
      ...(v[LANG] === undefined ? {} : { lang: v[LANG].toLowerCase() }),
    });
    if (v[FORMAT] === 'csv') {
      sendTyped(res, STATUS_200, CSV_TYPE, toCsv(rows), state.draining);
    } else {
      const body = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), columns: reportColumns, rows: rows.map(toJson), totals: totals(rows) };
      sendJson(res, STATUS_200, JSON.stringify(body), state.draining);
    }
    metrics.record(routeIndex.reports, statusIndex['200'], r.startedAt);
  };
}

/** The 400 body for a bad combination of values, or null. */
function validate(v: readonly (string | undefined)[]): Buffer | null {
  for (const [slot, name] of [
    [FROM, 'from'],
    [TO, 'to'],
  ] as const) {
    const value = v[slot];
    if (value === undefined) return errorBody('bad_param', `${name} is missing: an ISO 8601 UTC instant or date, e.g. 2026-11-24T10:00:00Z`);
    if (!INSTANT.test(value) || Number.isNaN(Date.parse(value))) return errorBody('bad_param', `${name} must be an ISO 8601 instant or date, e.g. 2026-11-24T10:00:00Z`);
  }
  if (instant(v[TO]!) <= hourStart(instant(v[FROM]!))) return errorBody('bad_param', 'to must be later than from');
  if (v[COUNTRY] !== undefined && countryCode(v[COUNTRY]) < 0) return errorBody('bad_param', 'country must be a 2-letter ISO 3166-1 alpha-2 code, e.g. "us"');
  if (v[LANG] !== undefined && langCode(v[LANG]) < 0) return errorBody('bad_param', 'lang must be a 3-letter ISO 639-2 code, e.g. "eng"');
  if (v[FORMAT] !== undefined && v[FORMAT] !== 'json' && v[FORMAT] !== 'csv') return errorBody('bad_param', 'format must be json or csv');
  return null;
}

/** A date alone is its midnight UTC. */
const instant = (s: string): number => Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);

const rate = (n: number, of: number): number | null => (of === 0 ? null : Math.round((n / of) * 1e6) / 1e6);

/** Click-through and completion rates of a row's counts (per impression; null without one). */
const rates = (counts: Float64Array): [ctr: number | null, completion: number | null] => [
  rate(counts[CLICKS]!, counts[IMPRESSIONS]!),
  rate(counts[COMPLETES]!, counts[IMPRESSIONS]!),
];

/** Every column of `counts` by name, then the rates. */
function named(counts: Float64Array, into: Record<string, unknown>): Record<string, unknown> {
  for (let c = 0; c < reportColumns.length; c++) into[reportColumns[c]!] = counts[c];
  [into.click_through_rate, into.completion_rate] = rates(counts);
  return into;
}

const toJson = (r: ReportRow): Record<string, unknown> =>
  named(r.counts, { hour: new Date(r.hourMs).toISOString(), ad_id: r.adId, country: r.country, lang: r.lang });

function totals(rows: readonly ReportRow[]): Record<string, unknown> {
  const sums = new Float64Array(reportColumns.length);
  for (const r of rows) for (let c = 0; c < sums.length; c++) sums[c]! += r.counts[c]!;
  return named(sums, {});
}

/** RFC 4180: a header line, then one line per row; every text field quoted, quotes doubled. */
function toCsv(rows: readonly ReportRow[]): string {
  const header = ['hour', 'ad_id', 'country', 'lang', ...reportColumns, 'click_through_rate', 'completion_rate'].join(',');
  const lines = [header];
  for (const r of rows) {
    const [ctr, vcr] = rates(r.counts);
    lines.push([new Date(r.hourMs).toISOString(), quote(r.adId), r.country, r.lang, ...r.counts, ctr ?? '', vcr ?? ''].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

const quote = (s: string): string => `"${s.replaceAll('"', '""')}"`;
