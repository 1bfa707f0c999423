import { describe, expect, it } from 'vitest';
import { fixedRandom, mulberry32 } from './random.js';
import { DEFAULT_SLOW_START, slowStartWeight, weightedOrder } from './slow-start.js';

describe('slowStartWeight', () => {
  it('ramps linearly from the 10 % floor to 1 over 60 s', () => {
    expect([0, 3_000, 6_000, 30_000, 59_999, 60_000, 1e9].map((t) => slowStartWeight(t))).toEqual([
      0.1,
      0.1,
      0.1,
      0.5,
      59_999 / 60_000,
      1,
      1,
    ]);
  });

  it('bends with aggression: (t / window)^(1 / aggression)', () => {
    const opts = { ...DEFAULT_SLOW_START, aggression: 2 };
    expect(slowStartWeight(15_000, opts)).toBeCloseTo(0.5, 12);
    expect(slowStartWeight(15_000, { ...DEFAULT_SLOW_START, aggression: 0.5 })).toBeCloseTo(0.1, 12);
    expect(slowStartWeight(-5, DEFAULT_SLOW_START)).toBe(0.1);
  });
});

describe('weightedOrder', () => {
  it('keeps full-weight targets in place without drawing', () => {
    const random = () => {
      throw new Error('no draw expected');
    };
    expect(weightedOrder(['a', 'b', 'c'], () => 1, random)).toEqual(['a', 'b', 'c']);
  });

  it('moves a target that loses its draw behind the others, keeping it as a fallback', () => {
    const weights: Record<string, number> = { a: 0.3, b: 1, c: 0 };
    const order = (r: number) => weightedOrder(['a', 'b', 'c'], (id) => weights[id] ?? 1, fixedRandom(r));
    expect(order(0.29)).toEqual(['a', 'b', 'c']);
    expect(order(0.3)).toEqual(['b', 'a', 'c']);
  });

  it('gives a recovering target its weight share of first places', () => {
    const random = mulberry32(1);
    let first = 0;
    for (let i = 0; i < 10_000; i++)
      if (weightedOrder(['a', 'b'], (id) => (id === 'a' ? 0.25 : 1), random)[0] === 'a') first++;
    expect(first).toBeGreaterThan(2_300);
    expect(first).toBeLessThan(2_700);
  });
});
