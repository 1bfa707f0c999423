import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { KeyedHistogram } from './keyed-histogram.js';

const labelNames = ['route', 'outcome', 'error_type'] as const;
const buckets = [0.1, 0.5, 1, 5];
type Labels = Partial<Record<(typeof labelNames)[number], string>>;
const observations: [Labels, number][] = [
  [{ route: 'a', outcome: 'ok' }, 0.05],
  [{ route: 'a', outcome: 'ok' }, 0.1], // on a bound: counted in that bucket
  [{ route: 'b', outcome: 'error', error_type: 'timeout' }, 7], // above every bound: +Inf only
  [{ route: 'a', outcome: 'ok' }, 0.7],
  [{ route: 'b', outcome: 'error', error_type: '' }, 0.2], // an empty label is not an absent one
  [{ route: 'a', outcome: 'ok' }, 0],
];

function both(): { theirs: Registry; ours: Registry; keyed: KeyedHistogram<(typeof labelNames)[number]> } {
  const theirs = new Registry();
  const ours = new Registry();
  const reference = new Histogram({
    name: 'h_seconds',
    help: 'Help.',
    labelNames,
    buckets,
    registers: [theirs],
  });
  const keyed = new KeyedHistogram('h_seconds', 'Help.', { labelNames, buckets, registers: [ours] });
  for (const [labels, value] of observations) {
    reference.observe(labels, value);
    keyed.observe(labels, value);
  }
  return { theirs, ours, keyed };
}

describe('KeyedHistogram', () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const { theirs, ours } = both();
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.1",route="a",outcome="ok"} 3');
    expect(text).toContain('h_seconds_bucket{le="+Inf",route="b",outcome="error",error_type="timeout"} 1');
  });

  it('gives the same JSON as prom-client, and reset empties it', async () => {
    const { theirs, ours, keyed } = both();
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    keyed.reset();
    expect(await ours.metrics()).toBe('# HELP h_seconds Help.\n# TYPE h_seconds histogram\n');
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const { keyed } = both();
    expect(() => keyed.observe({ route: 'a' }, Number.NaN)).toThrow(TypeError);
  });
});
