// Counters and histograms for the request path, kept as plain typed arrays indexed by pre-enumerated
// label sets. prom-client's own inc()/observe() build a label key string on every call from the
// labels object, which at a million calls a second is a measurable share of a request. Here a record is
// an array increment; the label strings are only built at scrape time, in get().
// Both classes implement the shape prom-client's Registry needs (name, help, type, aggregator, get),
// so they register like any metric and merge across server processes with AggregatorRegistry.aggregate.

import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}
/** What prom-client's Registry reads from a metric (its MetricObjectWithValues). */
export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Sample[];
}

interface HotMetricOptions {
  name: string;
  help: string;
  /** Every label combination, in slot order. Slot i is counted by calls passing i. */
  labelSets: readonly Labels[];
  registers: readonly Registry[];
}

abstract class HotMetric {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  protected readonly labelSets: readonly Labels[];

  constructor(opts: HotMetricOptions) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelSets = opts.labelSets;
    for (const r of opts.registers) r.registerMetric(this as never);
  }

  abstract readonly type: 'counter' | 'histogram';
  abstract get(): Promise<MetricSnapshot>;
}

export class HotCounter extends HotMetric {
  readonly type = 'counter' as const;
  readonly counts: Float64Array;

  constructor(opts: HotMetricOptions) {
    super(opts);
    this.counts = new Float64Array(opts.labelSets.length);
  }

  async get(): Promise<MetricSnapshot> {
    const values = this.labelSets.map((labels, i) => ({ labels, value: this.counts[i]! }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class HotHistogram extends HotMetric {
  readonly type = 'histogram' as const;
  /** Per slot: one count per upper bound, then +Inf. Not cumulative; get() accumulates. */
  private readonly buckets: Float64Array;
  private readonly sums: Float64Array;
  private readonly stride: number;

  constructor(
    opts: HotMetricOptions,
    /** Upper bounds in seconds, ascending. */
    private readonly bounds: readonly number[],
  ) {
    super(opts);
    this.stride = bounds.length + 1;
    this.buckets = new Float64Array(opts.labelSets.length * this.stride);
    this.sums = new Float64Array(opts.labelSets.length);
  }

  observe(slot: number, seconds: number): void {
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && seconds > bounds[b]!) b++;
    this.buckets[slot * this.stride + b]!++;
    this.sums[slot]! += seconds;
  }

  async get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (let slot = 0; slot < this.labelSets.length; slot++) {
      const labels = this.labelSets[slot]!;
      let cumulative = 0;
      for (let b = 0; b < this.stride; b++) {
        cumulative += this.buckets[slot * this.stride + b]!;
        const le = b < this.bounds.length ? String(this.bounds[b]) : '+Inf';
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: this.sums[slot]! });
      values.push({ metricName: `${this.name}_count`, labels, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
