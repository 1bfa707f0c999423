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

/** A label left out: a key apart from every value (an empty label is not an absent one). */
const ABSENT = Symbol('absent');

type Level = Map<string | symbol, unknown>;

/**
 * A metric's series by their label values, one Map level per label name in the metric's label order
 * (counters, gauges and histograms). Finding a series builds no key string: each level is one lookup
 * by a label value, and the values are the gateway's own strings (config names, its own words), whose
 * hashes V8 keeps. `all` holds the series in the order first seen, the order they are exposed in.
 */
export class SeriesIndex<S> {
  readonly all: S[] = [];
  private root: Level = new Map();

  constructor(private readonly labelNames: readonly string[]) {}

  /** The series of these labels, if seen before. */
  find<L extends string>(labels: Partial<Record<L, string>>): S | undefined {
    const last = this.labelNames.length - 1;
    let level: Level | undefined = this.root;
    for (let i = 0; i < last && level; i++) level = level.get(this.key(labels, i)) as Level | undefined;
    return level?.get(this.key(labels, last)) as S | undefined;
  }

  /** A series for labels not seen before (`find` gave undefined). */
  add<L extends string>(labels: Partial<Record<L, string>>, series: S): void {
    const last = this.labelNames.length - 1;
    let level = this.root;
    for (let i = 0; i < last; i++) {
      const key = this.key(labels, i);
      let next = level.get(key) as Level | undefined;
      if (!next) level.set(key, (next = new Map()));
      level = next;
    }
    level.set(this.key(labels, last), series);
    this.all.push(series);
  }

  /** The key of level `i`: the value of the i-th label name, or ABSENT (also for a metric without labels). */
  private key(labels: object, i: number): string | symbol {
    const name = this.labelNames[i];
    return name === undefined ? ABSENT : ((labels as Record<string, string | undefined>)[name] ?? ABSENT);
  }

  clear(): void {
    this.root = new Map();
    this.all.length = 0;
  }
}

/** Values by label set, exposed through prom-client's Registry as its Counter and Gauge are. */
abstract class KeyedValues<L extends string> {
  abstract readonly type: 'counter' | 'gauge';
  readonly aggregator = 'sum';
  private readonly series: SeriesIndex<Series>;

  constructor(
    readonly name: string,
    readonly help: string,
    options: { labelNames: readonly L[]; registers: Registry[] },
  ) {
    this.series = new SeriesIndex(options.labelNames);
    // The registry only calls get/reset and reads name, help, type, aggregator.
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  protected add(labels: Partial<Record<L, string>>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const series = this.series.find(labels);
    if (series) series.value += value;
    else this.series.add(labels, { labels: { ...labels } as Record<string, string>, value });
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
    const values = this.series.all.map((s) => ({ value: s.value, labels: s.labels }));
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
