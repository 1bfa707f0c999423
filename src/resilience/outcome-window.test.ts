import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER } from './breaker-policy.js';
import { ManualClock } from './manual-clock.js';
import { OutcomeWindow, TripDetector } from './outcome-window.js';

const fail = { failed: true, slow: false };
const ok = { failed: false, slow: false };

describe('OutcomeWindow', () => {
  it('counts calls, failures and slow calls, and slides by buckets', () => {
    const clock = new ManualClock();
    const w = new OutcomeWindow(clock, { windowMs: 60_000, buckets: 12 });
    w.record(fail);
    w.record({ failed: false, slow: true });
    clock.advance(30_000);
    w.record(ok);
    w.record(ok);
    expect(w.rates()).toEqual({ calls: 4, failures: 1, slow: 1, errorRate: 0.25, slowRate: 0.25 });
    clock.advance(30_000); // the first bucket (0–5 s) leaves
    expect(w.rates()).toMatchObject({ calls: 2, failures: 0, errorRate: 0 });
    clock.advance(1_000_000);
    expect(w.rates()).toEqual({ calls: 0, failures: 0, slow: 0, errorRate: 0, slowRate: 0 });
  });

  it('survives a clock that jumps far ahead, and clears', () => {
    const clock = new ManualClock({ now: 123_456 });
    const w = new OutcomeWindow(clock, { windowMs: 1_000, buckets: 4 });
    w.record(fail);
    clock.advance(10 ** 9);
    w.record(ok);
    expect(w.rates().calls).toBe(1);
    w.clear();
    expect(w.rates().calls).toBe(0);
  });
});

describe('TripDetector', () => {
  it('trips on the 5th consecutive failure, not on 4', () => {
    const d = new TripDetector(new ManualClock(), DEFAULT_CIRCUIT_BREAKER);
    for (let i = 0; i < 4; i++) expect(d.record(fail)).toBeUndefined();
    expect(d.consecutiveFailures()).toBe(4);
    expect(d.record(ok)).toBeUndefined();
    expect(d.consecutiveFailures()).toBe(0);
    for (let i = 0; i < 4; i++) d.record(fail);
    expect(d.record(fail)).toBe('consecutive');
  });

  it('counts slow calls in the streak: only a call both fine and fast ends it', () => {
    const d = new TripDetector(new ManualClock(), DEFAULT_CIRCUIT_BREAKER);
    const slow = { failed: false, slow: true };
    for (let i = 0; i < 4; i++) expect(d.record(slow)).toBeUndefined();
    expect(d.consecutiveFailures()).toBe(4);
    expect(d.record(slow)).toBe('slow-calls');
    d.clear();
    for (let i = 0; i < 4; i++) d.record(slow);
    d.record(ok);
    expect(d.consecutiveFailures()).toBe(0);
    for (let i = 0; i < 4; i++) d.record(i === 2 ? fail : slow);
    expect(d.record(slow)).toBe('consecutive');
  });

  it('needs minimumCalls before a rate trips', () => {
    const d = new TripDetector(new ManualClock(), DEFAULT_CIRCUIT_BREAKER);
    for (let i = 0; i < 19; i++) expect(d.record(i % 2 === 0 ? fail : ok)).toBeUndefined(); // 10 of 19
    expect(d.record(ok)).toBe('error-rate'); // 10 of 20
  });
});
