import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KeyedCounter, KeyedGauge } from './keyed-counter.js';

const labelNames = ['route', 'type', 'reason'] as const;
type Labels = Partial<Record<(typeof labelNames)[number], string>>;
const increments: [Labels, number | undefined][] = [
  [{ route: 'a', type: 'input' }, 12],
  [{ route: 'a', type: 'output' }, undefined], // 1
  [{ route: 'a', type: 'input' }, 0.5],
  [{ route: 'b', type: 'input', reason: '' }, 3], // an empty label is not an absent one
  [{ route: 'b', type: 'input' }, 0],
];

function both(): { theirs: Registry; ours: Registry; keyed: KeyedCounter<(typeof labelNames)[number]> } {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Counter({ name: 'c_total', help: 'Help.', labelNames, registers: [theirs] });
  const keyed = new KeyedCounter('c_total', 'Help.', { labelNames, registers: [ours] });
  for (const [labels, value] of increments) {
    reference.inc(labels, value);
    keyed.inc(labels, value);
  }
  return { theirs, ours, keyed };
}

describe('KeyedCounter', () => {
  it("renders exactly what prom-client's Counter renders for the same increments", async () => {
    const { theirs, ours } = both();
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('c_total{route="a",type="input"} 12.5');
    expect(text).toContain('c_total{route="b",type="input",reason=""} 3');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('refuses what prom-client refuses, and reset empties it', async () => {
    const { ours, keyed } = both();
    expect(() => keyed.inc({ route: 'a' }, -1)).toThrow(/decrease/);
    expect(() => keyed.inc({ route: 'a' }, Number.NaN)).toThrow(TypeError);
    keyed.reset();
    expect(await ours.metrics()).toBe('# HELP c_total Help.\n# TYPE c_total counter\n');
  });
});

describe('KeyedGauge', () => {
  it("renders exactly what prom-client's Gauge renders for the same increments and decrements", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Gauge({ name: 'g', help: 'Help.', labelNames: ['route'], registers: [theirs] });
    const keyed = new KeyedGauge('g', 'Help.', { labelNames: ['route'], registers: [ours] });
    for (const g of [reference, keyed]) {
      g.inc({ route: 'a' });
      g.inc({ route: 'a' });
      g.inc({ route: 'b' });
      g.dec({ route: 'a' });
      g.dec({ route: 'b' });
      g.inc({}, 2);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('g{route="a"} 1');
    expect(text).toContain('g{route="b"} 0');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });
});
