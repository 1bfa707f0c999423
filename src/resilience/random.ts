import type { Random } from '../core/clock.js';

/**
 * Seeded Random (mulberry32): fast, 32-bit state, uniform in [0, 1). For tests, drills and
 * simulations that must be reproducible; not for anything security-related.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Random that replays `values` in order, then repeats the last one. For tests that pin a draw. */
export function fixedRandom(...values: number[]): Random {
  if (values.length === 0) throw new RangeError('fixedRandom needs at least one value');
  for (const v of values) {
    if (!(v >= 0 && v < 1)) throw new RangeError(`fixedRandom values must be in [0, 1), got ${v}`);
  }
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] as number;
}
