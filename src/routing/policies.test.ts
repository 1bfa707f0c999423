import { describe, expect, it } from 'vitest';
import { fmt } from './policies.js';

/** What the trace wrote before the fast path: the reference. */
const reference = (n: number): string =>
  Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : 'unknown';

describe('fmt (a score as traced)', () => {
  it('writes what String(Math.round(n * 1000) / 1000) writes', () => {
    const fixed = [
      0,
      -0,
      0.0004,
      0.0005,
      0.001,
      0.005,
      0.01,
      0.05,
      0.1,
      0.12,
      0.125,
      0.1234,
      0.9995,
      1,
      1.5,
      1.05,
      1.005,
      2.675,
      10,
      12.3456,
      99.9999,
      100.001,
      1234.5678,
      1e6 + 0.001,
      999_999_999.999,
      1e9,
      1e9 + 0.5,
      1e12,
      1.5e15,
      1e21,
      1e22,
      -1,
      -12.345,
      -0.0004,
      1e-7,
      Number.MAX_VALUE,
      Infinity,
      -Infinity,
      Number.NaN,
    ];
    for (const n of fixed) expect(fmt(n), String(n)).toBe(reference(n));
    let seed = 12345;
    const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const differ: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const n = random() * 10 ** Math.floor(random() * 14 - 4);
      if (fmt(n) !== reference(n)) differ.push(n);
    }
    for (let k = 0; k < 100_000; k++) if (fmt(k / 1000) !== reference(k / 1000)) differ.push(k / 1000);
    expect(differ).toEqual([]);
  });
});
