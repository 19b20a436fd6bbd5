// The ad reports every engine answers GET /reports/ads from (README "Beacons and reports"): per ad, market and
// UTC hour, a count per report column (decisions served, each beacon kind, beacons that came
// without their prerequisite). Folded from decisions_served and beacons_counted events in stream
// order like the vote tallies, and carried in the stream snapshot, so every engine and the syncer
// agree and trimming the stream loses nothing.
//
// Bounded by time: hours more than REPORT_HOURS_KEPT before the newest hour folded are dropped.
// The newest hour comes from the events, not a clock, so every fold drops the same rows.
// A row costs ~200 B: 1,000 ads served every hour of the 7 days kept is ~34 MB per process.

import { InvalidStateError } from '../../errors.js';
import { reportColumns, type ReportColumn } from '../beacons/kinds.js';

export const REPORT_HOURS_KEPT = 7 * 24;
export const MS_PER_HOUR = 3_600_000;
const COLUMNS = reportColumns.length;
const columnIndex = new Map<string, number>(reportColumns.map((c, i) => [c, i]));

/** One count to add: [ad id, country, lang, hour start (epoch ms), column, n]. */
export type ReportCount = [adId: string, country: string, lang: string, hourMs: number, column: ReportColumn, n: number];

/** A row in a snapshot: [hour start ms, ad id, country, lang, ...one count per column]. */
export type ReportRowState = [hourMs: number, adId: string, country: string, lang: string, ...counts: number[]];

export interface ReportsState {
  /** The columns the rows' counts follow, in order (a newer writer may have more). */
  columns: string[];
  rows: ReportRowState[];
}

/** One row of a query's answer. */
export interface ReportRow {
  readonly hourMs: number;
  readonly adId: string;
  readonly country: string;
  readonly lang: string;
  /** One count per reportColumns entry. */
  readonly counts: Float64Array;
}

export interface ReportQuery {
  /** First hour included (epoch ms, any instant in it). */
  fromMs: number;
  /** End, exclusive (epoch ms). */
  toMs: number;
  adId?: string;
  country?: string;
  lang?: string;
}

interface Row {
  readonly adId: string;
  readonly country: string;
  readonly lang: string;
  readonly counts: Float64Array;
}

export class AdReports {
  /** Hour start ms → `country lang adId` → row. */
  private readonly hours = new Map<number, Map<string, Row>>();
  private newestHour = -Infinity;

  /** Adds counts; an unknown column (a newer writer's) is skipped. */
  add(counts: readonly ReportCount[]): void {
    for (const [adId, country, lang, hourMs, column, n] of counts) {
      const c = columnIndex.get(column);
      if (c === undefined) continue;
      this.row(hourStart(hourMs), adId, country, lang).counts[c]! += n;
    }
    this.prune();
  }

  /** Rows in [fromMs, toMs) matching the filters, by hour then ad id. */
  query(q: ReportQuery): ReportRow[] {
    const out: ReportRow[] = [];
    const hours = [...this.hours.keys()].filter((h) => h + MS_PER_HOUR > q.fromMs && h < q.toMs).sort((a, b) => a - b);
    for (const h of hours) {
      const rows = [...this.hours.get(h)!.values()].filter(
        (r) => (q.adId === undefined || r.adId === q.adId) && (q.country === undefined || r.country === q.country) && (q.lang === undefined || r.lang === q.lang),
      );
      rows.sort((a, b) => (a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : a.country < b.country ? -1 : a.country > b.country ? 1 : a.lang < b.lang ? -1 : 1));
      for (const r of rows) out.push({ hourMs: h, adId: r.adId, country: r.country, lang: r.lang, counts: r.counts });
    }
    return out;
  }

  /** Sum of one column over every row (totals, tests). */
  total(column: ReportColumn): number {
    const c = columnIndex.get(column)!;
    let n = 0;
    for (const rows of this.hours.values()) for (const r of rows.values()) n += r.counts[c]!;
    return n;
  }

  toState(): ReportsState {
    const rows: ReportRowState[] = [];
    for (const [h, byKey] of this.hours) for (const r of byKey.values()) rows.push([h, r.adId, r.country, r.lang, ...r.counts]);
    return { columns: [...reportColumns], rows };
  }

  /** Rebuilds from toState(); throws InvalidStateError naming the first bad entry. */
  static fromState(s: ReportsState | undefined): AdReports {
    const reports = new AdReports();
    // A snapshot from before reports existed has none.
    if (s === undefined) return reports;
    if (typeof s !== 'object' || s === null || !Array.isArray(s.columns) || !Array.isArray(s.rows)) throw new InvalidStateError('reports missing');
    const map = s.columns.map((c) => (typeof c === 'string' ? columnIndex.get(c) : undefined));
    for (const r of s.rows) {
      const bad = () => new InvalidStateError(`bad report row ${JSON.stringify(r).slice(0, 200)}`);
      if (!Array.isArray(r) || !isCount(r[0]) || r[0] % MS_PER_HOUR !== 0 || typeof r[1] !== 'string' || typeof r[2] !== 'string' || typeof r[3] !== 'string') throw bad();
      if (r.length !== 4 + map.length) throw bad();
      const row = reports.row(r[0], r[1], r[2], r[3]);
      for (let i = 0; i < map.length; i++) {
        const n = r[4 + i];
        if (!isCount(n)) throw bad();
        const c = map[i];
        if (c !== undefined) row.counts[c]! += n;
      }
    }
    reports.prune();
    return reports;
  }

  private row(hourMs: number, adId: string, country: string, lang: string): Row {
    let rows = this.hours.get(hourMs);
    if (rows === undefined) {
      rows = new Map();
      this.hours.set(hourMs, rows);
      if (hourMs > this.newestHour) this.newestHour = hourMs;
    }
    const key = `${country} ${lang} ${adId}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { adId, country, lang, counts: new Float64Array(COLUMNS) };
      rows.set(key, row);
    }
    return row;
  }

  private prune(): void {
    const oldest = this.newestHour - (REPORT_HOURS_KEPT - 1) * MS_PER_HOUR;
    for (const h of this.hours.keys()) if (h < oldest) this.hours.delete(h);
  }
}

export const hourStart = (ms: number): number => ms - (((ms % MS_PER_HOUR) + MS_PER_HOUR) % MS_PER_HOUR);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
