import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKOFF,
  DEFAULT_MAX_WAIT_MS,
  backoffCeilingMs,
  backoffDelayMs,
  decideWait,
  hintedDelayMs,
} from './backoff.js';
import { fixedRandom, mulberry32 } from './random.js';

const ALMOST_ONE = 0.999999;

describe('backoff defaults', () => {
  it('are base 500 ms, cap 8 s, max wait 5 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 500, capMs: 8_000 });
    expect(DEFAULT_MAX_WAIT_MS).toBe(5_000);
  });
});

describe('backoffCeilingMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffCeilingMs(n))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
  });

  it('survives huge, negative, fractional and NaN retry numbers', () => {
    expect(backoffCeilingMs(10_000)).toBe(8_000);
    expect(backoffCeilingMs(-3)).toBe(500);
    expect(backoffCeilingMs(1.9)).toBe(1_000);
    expect(backoffCeilingMs(Number.NaN)).toBe(500);
  });

  it('honours custom options', () => {
    expect(backoffCeilingMs(3, { baseMs: 25, capMs: 250 })).toBe(200);
    expect(backoffCeilingMs(4, { baseMs: 25, capMs: 250 })).toBe(250);
  });
});

describe('backoffDelayMs (full jitter)', () => {
  it('spans the whole window [0, ceiling)', () => {
    expect(backoffDelayMs(2, fixedRandom(0))).toBe(0);
    expect(backoffDelayMs(2, fixedRandom(0.5))).toBe(1_000);
    expect(backoffDelayMs(2, fixedRandom(ALMOST_ONE))).toBe(1_999);
  });

  it('never leaves [0, ceiling) even with a misbehaving random', () => {
    expect(backoffDelayMs(0, () => 1)).toBeLessThan(500);
    expect(backoffDelayMs(0, () => 7)).toBeLessThan(500);
    expect(backoffDelayMs(0, () => -1)).toBe(0);
    expect(backoffDelayMs(0, () => Number.NaN)).toBe(0);
  });

  it('averages about half the ceiling over many draws', () => {
    const random = mulberry32(1);
    let sum = 0;
    for (let i = 0; i < 5_000; i++) sum += backoffDelayMs(3, random);
    expect(sum / 5_000).toBeGreaterThan(1_900);
    expect(sum / 5_000).toBeLessThan(2_100);
  });
});

describe('hintedDelayMs', () => {
  it('draws from [h, 1.5h]', () => {
    expect(hintedDelayMs(1_000, fixedRandom(0))).toBe(1_000);
    expect(hintedDelayMs(1_000, fixedRandom(0.5))).toBe(1_250);
    expect(hintedDelayMs(1_000, fixedRandom(ALMOST_ONE))).toBe(1_500);
  });

  it('is 0 for a zero or negative hint', () => {
    expect(hintedDelayMs(0, fixedRandom(0.7))).toBe(0);
    expect(hintedDelayMs(-10, fixedRandom(0.7))).toBe(0);
  });
});

describe('decideWait', () => {
  const base = { retry: 0, remainingMs: 60_000 };

  it('waits a jittered hint when it fits', () => {
    expect(decideWait({ ...base, hintMs: 2_000, random: fixedRandom(0.5) })).toEqual({
      action: 'wait',
      ms: 2_500,
      source: 'hint',
    });
  });

  it('waits 0 for a hint of 0', () => {
    expect(decideWait({ ...base, hintMs: 0, random: fixedRandom(0.9) })).toEqual({
      action: 'wait',
      ms: 0,
      source: 'hint',
    });
  });

  it('fails over at once when the hint exceeds the max same-target wait', () => {
    expect(decideWait({ ...base, hintMs: 5_001, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'hint-too-long',
    });
    expect(decideWait({ ...base, hintMs: 5_000, random: fixedRandom(0) }).action).toBe('wait');
    expect(decideWait({ ...base, hintMs: 800, maxWaitMs: 500, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'hint-too-long',
    });
  });

  it('fails over at once when the hint does not fit in the deadline (after the reserve)', () => {
    expect(decideWait({ retry: 0, hintMs: 3_000, remainingMs: 2_999, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'deadline',
    });
    expect(
      decideWait({ retry: 0, hintMs: 3_000, remainingMs: 4_000, reserveMs: 1_500, random: fixedRandom(0) }),
    ).toEqual({ action: 'failover', reason: 'deadline' });
  });

  it('reports hint-too-long before deadline when both apply', () => {
    expect(decideWait({ retry: 0, hintMs: 9_000, remainingMs: 1_000, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'hint-too-long',
    });
  });

  it('trims the jitter so the wait stays within the max wait and the deadline, never below the hint', () => {
    const high = fixedRandom(ALMOST_ONE);
    expect(decideWait({ ...base, hintMs: 4_000, random: high })).toEqual({
      action: 'wait',
      ms: 5_000,
      source: 'hint',
    });
    expect(decideWait({ retry: 0, hintMs: 2_000, remainingMs: 2_200, random: high })).toEqual({
      action: 'wait',
      ms: 2_200,
      source: 'hint',
    });
    expect(decideWait({ retry: 0, hintMs: 2_000, remainingMs: 2_000, random: high })).toEqual({
      action: 'wait',
      ms: 2_000,
      source: 'hint',
    });
  });

  it('rounds a fractional hint up', () => {
    expect(decideWait({ ...base, hintMs: 10.2, random: fixedRandom(0) })).toEqual({
      action: 'wait',
      ms: 11,
      source: 'hint',
    });
  });

  it('ignores an invalid hint and backs off instead', () => {
    for (const hintMs of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(decideWait({ ...base, hintMs, random: fixedRandom(0.5) })).toEqual({
        action: 'wait',
        ms: 250,
        source: 'backoff',
      });
    }
  });

  it('backs off with full jitter when there is no hint', () => {
    expect(decideWait({ ...base, retry: 1, random: fixedRandom(0.5) })).toEqual({
      action: 'wait',
      ms: 500,
      source: 'backoff',
    });
    expect(
      decideWait({ ...base, retry: 1, backoff: { baseMs: 100, capMs: 150 }, random: fixedRandom(0.5) }),
    ).toEqual({ action: 'wait', ms: 75, source: 'backoff' });
  });

  it('trims a backoff to the max wait and to the time available', () => {
    expect(decideWait({ ...base, retry: 5, random: fixedRandom(ALMOST_ONE) })).toEqual({
      action: 'wait',
      ms: 5_000,
      source: 'backoff',
    });
    expect(
      decideWait({ retry: 5, remainingMs: 1_200, reserveMs: 1_000, random: fixedRandom(ALMOST_ONE) }),
    ).toEqual({
      action: 'wait',
      ms: 200,
      source: 'backoff',
    });
  });

  it('fails over on a spent deadline, hint or not', () => {
    expect(decideWait({ retry: 0, remainingMs: 0, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'deadline',
    });
    expect(decideWait({ retry: 0, remainingMs: 500, reserveMs: 500, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'deadline',
    });
    expect(decideWait({ retry: 0, hintMs: 0, remainingMs: 0, random: fixedRandom(0) })).toEqual({
      action: 'failover',
      reason: 'deadline',
    });
  });
});
