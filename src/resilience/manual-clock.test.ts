import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { fixedRandom, mulberry32 } from './random.js';
import { systemClock, systemRandom } from './system-clock.js';

describe('ManualClock', () => {
  it('stands still until advanced', () => {
    const clock = new ManualClock({ now: 100 });
    expect(clock.now()).toBe(100);
    clock.advance(50);
    expect(clock.now()).toBe(150);
  });

  it('fires due timers in due order, ties in creation order, with now() at each due time', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`b2@${clock.now()}`), 20);
    clock.advance(25);
    expect(log).toEqual(['a@10', 'b1@20', 'b2@20']);
    expect(clock.now()).toBe(25);
    clock.advance(5);
    expect(log).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
  });

  it('fires timers scheduled by a firing timer within the same advance', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.setTimeout(() => log.push(clock.now()), 5);
    }, 10);
    clock.advance(15);
    expect(log).toEqual([10, 15]);
  });

  it('does not fire a timer before its due time, and advance(0) fires timers due now', () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 10);
    clock.advance(9.999);
    expect(fired).toBe(0);
    clock.setTimeout(() => fired++, 0);
    clock.advance(0);
    expect(fired).toBe(1);
  });

  it('clearTimeout removes a pending timer and ignores unknown handles', () => {
    const clock = new ManualClock();
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 10);
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerIn()).toBe(10);
    clock.clearTimeout(h);
    clock.clearTimeout({ id: 999 });
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextTimerIn()).toBeUndefined();
  });

  it('treats negative or NaN delays as 0', () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, -5);
    clock.setTimeout(() => fired++, Number.NaN);
    clock.advance(0);
    expect(fired).toBe(2);
  });

  it('rejects going back in time', () => {
    const clock = new ManualClock();
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('keeps a wall clock that advances with now() and can be stepped alone', () => {
    const clock = new ManualClock({ now: 5, wallNow: 1_000_000 });
    clock.advance(10);
    expect(clock.wallNow()).toBe(1_000_010);
    clock.setWallNow(0);
    expect(clock.wallNow()).toBe(0);
    expect(clock.now()).toBe(15);
    expect(new ManualClock().wallNow()).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('mulberry32', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(seqA);
  });

  it('stays in [0, 1) and is roughly uniform', () => {
    const r = mulberry32(7);
    const bins = [0, 0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      const v = r();
      expect(v >= 0 && v < 1).toBe(true);
      bins[Math.floor(v * 4)]! += 1;
    }
    for (const n of bins) expect(n).toBeGreaterThan(2_300);
  });
});

describe('fixedRandom', () => {
  it('replays values then repeats the last', () => {
    const r = fixedRandom(0.1, 0.9);
    expect([r(), r(), r()]).toEqual([0.1, 0.9, 0.9]);
  });
  it('rejects values outside [0, 1)', () => {
    expect(() => fixedRandom()).toThrow(RangeError);
    expect(() => fixedRandom(1)).toThrow(RangeError);
    expect(() => fixedRandom(-0.1)).toThrow(RangeError);
  });
});

describe('systemClock and systemRandom', () => {
  it('read real time and randomness', () => {
    const t0 = systemClock.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(t0);
    expect(Math.abs(systemClock.wallNow() - Date.now())).toBeLessThan(1_000);
    const v = systemRandom();
    expect(v >= 0 && v < 1).toBe(true);
  });

  it('runs and clears real timers', async () => {
    let cleared = false;
    const h = systemClock.setTimeout(() => (cleared = true), 0);
    systemClock.clearTimeout(h);
    const fired = await new Promise<boolean>((resolve) => systemClock.setTimeout(() => resolve(true), 1));
    expect(fired).toBe(true);
    expect(cleared).toBe(false);
  });
});
