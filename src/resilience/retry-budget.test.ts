import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { DEFAULT_RETRY_BUDGET, RetryBudget } from './retry-budget.js';

function drain(budget: RetryBudget, key: string): number {
  let granted = 0;
  while (budget.tryAcquireRetry(key)) granted++;
  return granted;
}

describe('RetryBudget', () => {
  it('defaults to 20 % over 10 s with a floor of 1/s', () => {
    expect(DEFAULT_RETRY_BUDGET).toEqual({ ratio: 0.2, floorPerSecond: 1, ttlMs: 10_000, buckets: 10 });
    const budget = new RetryBudget({ clock: new ManualClock() });
    expect(budget.snapshot('t')).toEqual({ requests: 0, retries: 0, allowance: 10, available: 10 });
  });

  it('allows only the floor when there is no traffic', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), floorPerSecond: 0.5 });
    expect(drain(budget, 't')).toBe(5);
    expect(budget.snapshot('t')).toMatchObject({ retries: 5, available: 0 });
  });

  it('grants ratio × requests on top of the floor', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), floorPerSecond: 0 });
    for (let i = 0; i < 15; i++) budget.recordRequest('t');
    expect(budget.snapshot('t')).toMatchObject({ requests: 15, available: 3 });
    expect(drain(budget, 't')).toBe(3);
    for (let i = 0; i < 4; i++) budget.recordRequest('t');
    expect(budget.tryAcquireRetry('t')).toBe(false); // 0.2 × 19 = 3.8 < 4
    budget.recordRequest('t');
    expect(budget.tryAcquireRetry('t')).toBe(true); // 0.2 × 20 = 4
  });

  it('keeps a retry storm to ratio × traffic + floor', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock });
    let retries = 0;
    // 10 s of 5 req/s against a target that fails every time; each failure wants a retry.
    for (let ms = 0; ms < 10_000; ms += 200) {
      clock.advance(ms === 0 ? 0 : 200);
      budget.recordRequest('t');
      if (budget.tryAcquireRetry('t')) retries++;
    }
    // 50 requests → 0.2 × 50 + 1/s × 10 s = 20 retries, not 50.
    expect(retries).toBe(20);
  });

  it('forgets deposits and withdrawals after the TTL', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, floorPerSecond: 0, ttlMs: 10_000, buckets: 10 });
    for (let i = 0; i < 10; i++) budget.recordRequest('t');
    expect(drain(budget, 't')).toBe(2);
    clock.advance(9_999);
    expect(budget.snapshot('t')).toMatchObject({ requests: 10, retries: 2, available: 0 });
    clock.advance(1);
    expect(budget.snapshot('t')).toEqual({ requests: 0, retries: 0, allowance: 0, available: 0 });
  });

  it('slides bucket by bucket', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, floorPerSecond: 0, ttlMs: 10_000, buckets: 10 });
    for (let i = 0; i < 10; i++) budget.recordRequest('t'); // bucket [0, 1 s)
    clock.advance(5_000);
    for (let i = 0; i < 20; i++) budget.recordRequest('t'); // bucket [5, 6 s)
    expect(budget.snapshot('t').requests).toBe(30);
    clock.advance(5_000); // now 10 s: the first bucket has left the window
    expect(budget.snapshot('t').requests).toBe(20);
    clock.advance(5_000);
    expect(budget.snapshot('t').requests).toBe(0);
  });

  it('recycles ring slots without mixing old counts into new buckets', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock, floorPerSecond: 0, ttlMs: 1_000, buckets: 2 });
    for (let i = 0; i < 5; i++) budget.recordRequest('t'); // epoch 0, slot 0
    clock.advance(1_000); // epoch 2, slot 0 again
    budget.recordRequest('t');
    expect(budget.snapshot('t').requests).toBe(1);
  });

  it('keeps keys apart', () => {
    const budget = new RetryBudget({ clock: new ManualClock(), floorPerSecond: 0 });
    for (let i = 0; i < 5; i++) budget.recordRequest('a');
    expect(budget.tryAcquireRetry('b')).toBe(false);
    expect(budget.tryAcquireRetry('a')).toBe(true);
    expect(budget.tryAcquireRetry('a')).toBe(false);
  });

  it('prunes keys whose window is empty', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ clock });
    budget.recordRequest('a');
    clock.advance(5_000);
    budget.recordRequest('b');
    budget.snapshot('c'); // reading does not create state
    expect(budget.size()).toBe(2);
    clock.advance(5_000);
    budget.prune();
    expect(budget.size()).toBe(1);
    clock.advance(5_000);
    budget.prune();
    expect(budget.size()).toBe(0);
  });

  it('works with a clock that starts far from zero', () => {
    const clock = new ManualClock({ now: 123_456_789.5 });
    const budget = new RetryBudget({ clock, floorPerSecond: 0 });
    for (let i = 0; i < 5; i++) budget.recordRequest('t');
    expect(budget.tryAcquireRetry('t')).toBe(true);
    clock.advance(10_000);
    expect(budget.snapshot('t').requests).toBe(0);
  });

  it('rejects nonsensical options', () => {
    const clock = new ManualClock();
    expect(() => new RetryBudget({ clock, ratio: -0.1 })).toThrow(RangeError);
    expect(() => new RetryBudget({ clock, floorPerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => new RetryBudget({ clock, ttlMs: 0 })).toThrow(RangeError);
    expect(() => new RetryBudget({ clock, buckets: 1.5 })).toThrow(RangeError);
  });

  it("adds the other instances' counts (setRemote) to its own, and publishes only its own", () => {
    const budget = new RetryBudget({ clock: new ManualClock(), floorPerSecond: 0.5 }); // 5 per window
    for (let i = 0; i < 10; i++) budget.recordRequest('t'); // + 0.2 × 10 = 2
    budget.setRemote(new Map([['t', { requests: 10, retries: 5 }]])); // + 2, − 5
    expect(budget.snapshot('t')).toMatchObject({ requests: 20, retries: 5, allowance: 9, available: 4 });
    expect(drain(budget, 't')).toBe(4);
    expect(budget.localCounts('t')).toEqual({ requests: 10, retries: 4 });
    expect([...budget.keys()]).toEqual(['t']);
    budget.setRemote(new Map());
    expect(budget.snapshot('t')).toMatchObject({ requests: 10, retries: 4, available: 3 });
  });
});
