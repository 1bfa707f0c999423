import { describe, expect, it } from 'vitest';
import { LatencyWindow } from './latency-window.js';
import { ManualClock } from './manual-clock.js';
import { mulberry32 } from './random.js';

describe('LatencyWindow', () => {
  it('has no quantiles when empty', () => {
    const w = new LatencyWindow(new ManualClock());
    expect(w.snapshot()).toEqual({ count: 0, p50Ms: undefined, p95Ms: undefined, p99Ms: undefined });
  });

  it('reports quantiles within 5 % of the exact ones', () => {
    const w = new LatencyWindow(new ManualClock());
    const random = mulberry32(7);
    const samples: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      const v = 50 + random() * random() * 20_000; // skewed towards fast answers
      samples.push(v);
      w.record(v);
    }
    samples.sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = samples[Math.ceil(q * samples.length) - 1] as number;
      const got = w.quantile(q) as number;
      expect(Math.abs(got - exact) / exact).toBeLessThan(0.05);
    }
  });

  it('is exact enough on a single value and clamps to [minMs, maxMs]', () => {
    const w = new LatencyWindow(new ManualClock());
    w.record(1_000);
    expect(Math.abs((w.quantile(0.5) as number) - 1_000)).toBeLessThan(50);
    const tiny = new LatencyWindow(new ManualClock());
    tiny.record(1);
    expect(tiny.quantile(0.5)).toBe(10);
    const huge = new LatencyWindow(new ManualClock());
    huge.record(10 * 3_600_000);
    expect(huge.quantile(1)).toBeLessThanOrEqual(600_000);
    expect(huge.quantile(1)).toBeGreaterThan(540_000);
  });

  it('ignores invalid samples', () => {
    const w = new LatencyWindow(new ManualClock());
    w.record(Number.NaN);
    w.record(-5);
    w.record(Number.POSITIVE_INFINITY);
    expect(w.count()).toBe(0);
  });

  it('forgets samples once they leave the 15-minute window, one bucket at a time', () => {
    const clock = new ManualClock();
    const w = new LatencyWindow(clock);
    for (let i = 0; i < 10; i++) w.record(100);
    clock.advance(7 * 60_000);
    for (let i = 0; i < 10; i++) w.record(5_000);
    expect(w.count()).toBe(20);
    clock.advance(8 * 60_000); // the first minute's bucket leaves
    expect(w.count()).toBe(10);
    expect(w.quantile(0.5)).toBeGreaterThan(4_700);
    clock.advance(7 * 60_000);
    expect(w.count()).toBe(0);
    expect(w.quantile(0.5)).toBeUndefined();
  });

  it('keeps bounded state whatever the traffic (bins × buckets)', () => {
    const clock = new ManualClock();
    const w = new LatencyWindow(clock, { windowMs: 10_000, buckets: 10 });
    for (let i = 0; i < 100_000; i++) {
      w.record(100 + (i % 1_000));
      if (i % 1_000 === 0) clock.advance(100);
    }
    expect(w.count()).toBeLessThanOrEqual(100_000);
    expect(w.count()).toBeGreaterThan(0);
    clock.advance(1_000_000);
    expect(w.count()).toBe(0);
    w.clear();
    expect(w.count()).toBe(0);
  });
});
