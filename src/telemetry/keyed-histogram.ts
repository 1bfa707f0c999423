/**
 * A Prometheus histogram counted by the gateway itself and rendered by prom-client's Registry at scrape
 * time, with the exposition of prom-client's own Histogram (same lines, same order). Why: prom-client 15
 * allocates a closure and a label/value pair, validates the label names and builds a hash string on
 * every `observe`; here an observation is one Map lookup per label (SeriesIndex) and a bucket increment
 * (docs/PERFORMANCE.md has the measurements). The label values are the gateway's own, bounded ones
 * (metric-labels.ts), so they are not validated again.
 */
import type { Registry } from 'prom-client';
import { SeriesIndex } from './keyed-counter.js';

interface Series {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the +Inf bucket is `count`. */
  buckets: number[];
  sum: number;
  count: number;
}

interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
  sharedLabels?: Record<string, string>;
  /** prom-client's shape: `null` on buckets (this histogram keeps no exemplars). */
  exemplar?: null;
}

export class KeyedHistogram<L extends string = string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: SeriesIndex<Series>;
  private readonly upperBounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    options: { labelNames: readonly L[]; buckets: readonly number[]; registers: Registry[] },
  ) {
    this.series = new SeriesIndex(options.labelNames);
    this.upperBounds = [...options.buckets].sort((a, b) => a - b);
    // The registry only calls get/getForPromString/reset and reads name, help, type, aggregator.
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  observe(labels: Partial<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    let series = this.series.find(labels);
    if (!series) {
      series = {
        labels: { ...labels } as Record<string, string>,
        buckets: this.upperBounds.map(() => 0),
        sum: 0,
        count: 0,
      };
      this.series.add(labels, series);
    }
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        series.buckets[i]!++;
        break;
      }
    }
    series.sum += value;
    series.count++;
  }

  reset(): void {
    this.series.clear();
  }

  /** What prom-client's Registry renders: cumulative buckets, +Inf, _sum, _count per series. */
  getForPromString(): { name: string; help: string; type: string; values: Value[]; aggregator: string } {
    const values: Value[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.all) {
      let acc = 0;
      this.upperBounds.forEach((le, i) => {
        acc += s.buckets[i]!;
        values.push({
          value: acc,
          labels: { le },
          metricName: bucketName,
          sharedLabels: s.labels,
          exemplar: null,
        });
      });
      values.push({
        value: s.count,
        labels: { le: '+Inf' },
        metricName: bucketName,
        sharedLabels: s.labels,
        exemplar: null,
      });
      values.push({ value: s.sum, labels: {}, metricName: `${this.name}_sum`, sharedLabels: s.labels });
      values.push({ value: s.count, labels: {}, metricName: `${this.name}_count`, sharedLabels: s.labels });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's `get()` (getMetricsAsJSON): each value's labels with the series' labels merged in. */
  get(): ReturnType<KeyedHistogram['getForPromString']> {
    const data = this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({
      ...rest,
      labels: Object.assign(labels, sharedLabels),
    }));
    return data;
  }
}
