import { describe, expect, it } from 'vitest';
import { CLIENT_TIMEOUT_HEADER, Deadline, DeadlineExceededError, parseClientTimeout } from './deadline.js';
import { ManualClock } from './manual-clock.js';

describe('Deadline', () => {
  it('counts down on the injected clock', () => {
    const clock = new ManualClock({ now: 1_000 });
    const d = new Deadline(5_000, clock);
    expect(d.expiresAt).toBe(6_000);
    expect(d.remaining()).toBe(5_000);
    clock.advance(1_500);
    expect(d.remaining()).toBe(3_500);
    expect(d.elapsed()).toBe(1_500);
    expect(d.expired()).toBe(false);
    clock.advance(3_500);
    expect(d.expired()).toBe(true);
    clock.advance(10);
    expect(d.remaining()).toBe(0);
  });

  it('canFit says whether a step would finish in time', () => {
    const clock = new ManualClock();
    const d = new Deadline(1_000, clock);
    expect(d.canFit(1_000)).toBe(true);
    expect(d.canFit(1_001)).toBe(false);
    expect(d.canFit(-1)).toBe(false);
    clock.advance(1_000);
    expect(d.canFit(0)).toBe(false);
  });

  it('rejects a negative or NaN timeout', () => {
    expect(() => new Deadline(-1, new ManualClock())).toThrow(RangeError);
    expect(() => new Deadline(Number.NaN, new ManualClock())).toThrow(RangeError);
  });

  it('aborts the controller with DeadlineExceededError when the deadline passes', () => {
    const clock = new ManualClock();
    const d = new Deadline(2_000, clock);
    clock.advance(500);
    const controller = new AbortController();
    d.abortOnExpiry(controller);
    d.abortOnExpiry(controller); // one timer, not two
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(1_499);
    expect(controller.signal.aborted).toBe(false);
    clock.advance(1);
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect((controller.signal.reason as DeadlineExceededError).timeoutMs).toBe(2_000);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('aborts at once, without a timer, when already expired', () => {
    const clock = new ManualClock();
    const d = new Deadline(10, clock);
    clock.advance(10);
    const controller = new AbortController();
    d.abortOnExpiry(controller);
    expect(controller.signal.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('dispose clears the timer, so the controller is never aborted', () => {
    const clock = new ManualClock();
    const d = new Deadline(1_000, clock);
    const controller = new AbortController();
    d.abortOnExpiry(controller);
    expect(clock.pendingTimers()).toBe(1);
    d.dispose();
    d.dispose();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(5_000);
    expect(controller.signal.aborted).toBe(false);
  });

  it('arms nothing after dispose', () => {
    const clock = new ManualClock();
    const d = new Deadline(1_000, clock);
    d.dispose();
    const controller = new AbortController();
    d.abortOnExpiry(controller);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(2_000);
    expect(controller.signal.aborted).toBe(false);
  });
});

describe('Deadline against timers that fire early', () => {
  it('has passed once its own timer fired, or a timer clamped to it was marked, whatever the clock says', () => {
    const clock = new ManualClock();
    // A clock whose timers fire 1 ms before they are due, as Node's can against performance.now().
    const early = {
      ...clock,
      now: () => clock.now(),
      setTimeout: (fn: () => void, ms: number) => clock.setTimeout(fn, ms - 1),
      clearTimeout: (h: { id: unknown }) => clock.clearTimeout(h),
    };
    const d = new Deadline(300, early);
    const controller = new AbortController();
    d.abortOnExpiry(controller);
    clock.advance(299);
    expect(controller.signal.aborted).toBe(true);
    expect(d.expired()).toBe(true);
    expect(d.remaining()).toBe(0);

    const other = new Deadline(300, clock);
    clock.advance(299);
    expect(other.expired()).toBe(false);
    other.markPassed();
    expect(other.expired()).toBe(true);
    expect(other.canFit(0)).toBe(false);
  });
});

describe('parseClientTimeout', () => {
  it('uses the maximum when the header is absent', () => {
    expect(parseClientTimeout(undefined, 600_000)).toEqual({
      ok: true,
      timeoutMs: 600_000,
      source: 'default',
      clamped: false,
    });
  });

  it('reads a positive integer', () => {
    expect(parseClientTimeout(' 1500 ', 600_000)).toEqual({
      ok: true,
      timeoutMs: 1_500,
      source: 'header',
      clamped: false,
    });
    expect(parseClientTimeout(['2000'], 600_000)).toMatchObject({ ok: true, timeoutMs: 2_000 });
    expect(parseClientTimeout(['2000', '2000'], 600_000)).toMatchObject({ ok: true, timeoutMs: 2_000 });
  });

  it('clamps to the maximum', () => {
    expect(parseClientTimeout('900000', 600_000)).toEqual({
      ok: true,
      timeoutMs: 600_000,
      source: 'header',
      clamped: true,
    });
    expect(parseClientTimeout('600000', 600_000)).toMatchObject({ timeoutMs: 600_000, clamped: false });
  });

  it.each(['', '0', '-5', '1.5', '1e3', 'abc', '10s', '99999999999999999999'])(
    'rejects %j naming the header',
    (v) => {
      const result = parseClientTimeout(v, 600_000);
      expect(result).toMatchObject({ ok: false, header: CLIENT_TIMEOUT_HEADER, value: v });
      expect(result.ok === false && result.message).toContain('x-switchyard-timeout-ms');
    },
  );

  it('rejects a header repeated with different values, or joined by the server', () => {
    expect(parseClientTimeout(['100', '200'], 600_000)).toMatchObject({ ok: false, value: '100, 200' });
    expect(parseClientTimeout('100, 200', 600_000)).toMatchObject({ ok: false });
    expect(parseClientTimeout([], 600_000)).toMatchObject({ ok: false });
  });
});
