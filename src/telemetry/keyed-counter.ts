/**
 * A Prometheus counter counted by the gateway itself and rendered by prom-client's Registry at scrape
 * time, with the exposition of prom-client's own Counter — the counters' counterpart of
 * keyed-histogram.ts (why, and what it bought: docs/PERFORMANCE.md). The label values are the
 * gateway's own, bounded ones (metric-labels.ts), so they are not validated again.
 */
import type { Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  value: number;
}

/** Separates label values in a series key; a label left out is marked apart from an empty one. */
const SEP = '\u0000';
const ABSENT = '\u0001';

/** One series' key: its label values in the metric's label order (counters, gauges and histograms). */
export function seriesKey<L extends string>(
  labelNames: readonly L[],
  labels: Partial<Record<L, string>>,
): string {
  let key = '';
  for (const name of labelNames) key += (labels[name] ?? ABSENT) + SEP;
  return key;
}

/** Values by label set, exposed through prom-client's Registry as its Counter and Gauge are. */
abstract class KeyedValues<L extends string> {
  abstract readonly type: 'counter' | 'gauge';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();
  private readonly labelNames: readonly L[];

  constructor(
    readonly name: string,
    readonly help: string,
    options: { labelNames: readonly L[]; registers: Registry[] },
  ) {
    this.labelNames = options.labelNames;
    // The registry only calls get/reset and reads name, help, type, aggregator.
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  protected add(labels: Partial<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const key = seriesKey(this.labelNames, labels);
    const series = this.series.get(key);
    if (series) series.value += value;
    else this.series.set(key, { labels: { ...labels } as Record<string, string>, value });
  }

  reset(): void {
    this.series.clear();
  }

  get(): {
    name: string;
    help: string;
    type: string;
    values: { value: number; labels: Record<string, string> }[];
    aggregator: string;
  } {
    const values = [...this.series.values()].map((s) => ({ value: s.value, labels: s.labels }));
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }
}

export class KeyedCounter<L extends string = string> extends KeyedValues<L> {
  readonly type = 'counter';

  inc(labels: Partial<Record<L, string>>, value = 1): void {
    if (value < 0) throw new Error('It is not possible to decrease a counter');
    this.add(labels, value);
  }
}

/**
 * A gauge counted the same way (requests in flight: one up and one down per request), with the
 * exposition of prom-client's own Gauge; prom-client's `inc`/`dec` validate and hash the labels each
 * time. Label sets stay once seen (at 0 when nothing is in flight), as prom-client's do.
 */
export class KeyedGauge<L extends string = string> extends KeyedValues<L> {
  readonly type = 'gauge';

  inc(labels: Partial<Record<L, string>>, value = 1): void {
    this.add(labels, value);
  }

  dec(labels: Partial<Record<L, string>>, value = 1): void {
    this.add(labels, -value);
  }
}
