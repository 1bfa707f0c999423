import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { Watchdog, type WatchdogKind } from './timers.js';

function setup() {
  const clock = new ManualClock();
  const fired: Array<[WatchdogKind, number]> = [];
  const onFire = (kind: WatchdogKind) => fired.push([kind, clock.now()]);
  return { clock, fired, onFire, dog: new Watchdog(clock) };
}

describe('Watchdog', () => {
  it('fires each armed kind once, at its time, with its kind', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('connect', 100, onFire);
    dog.arm('total', 1_000, onFire);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['connect', 100]]);
    expect(dog.isArmed('connect')).toBe(false);
    clock.advance(2_000);
    expect(fired).toEqual([
      ['connect', 100],
      ['total', 1_000],
    ]);
  });

  it('disarm stops one kind and leaves the others', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('headers', 100, onFire);
    dog.arm('first-token', 200, onFire);
    dog.disarm('headers');
    dog.disarm('connect'); // not armed: no-op
    clock.advance(500);
    expect(fired).toEqual([['first-token', 200]]);
  });

  it('disarmAll stops everything and leaves no timer behind', () => {
    const { clock, fired, onFire, dog } = setup();
    for (const kind of ['connect', 'headers', 'first-token', 'stall', 'total'] as const)
      dog.arm(kind, 100, onFire);
    dog.disarmAll();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(1_000);
    expect(fired).toEqual([]);
  });

  it('re-arming a kind replaces its timer', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('stall', 100, onFire);
    clock.advance(80);
    dog.arm('stall', 100, onFire);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['stall', 180]]);
  });

  it('touch pushes the stall deadline back on each token', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('stall', 100, onFire);
    for (let i = 0; i < 5; i++) {
      clock.advance(60);
      expect(dog.touch('stall')).toBe(true);
    }
    // Last token at 300: the stall fires at 400, not at 100.
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['stall', 400]]);
  });

  it('touch does not reschedule a timer per token', () => {
    const { clock, dog, onFire } = setup();
    dog.arm('stall', 1_000, onFire);
    for (let i = 0; i < 100; i++) {
      clock.advance(1);
      dog.touch('stall');
    }
    expect(clock.pendingTimers()).toBe(1);
    expect(clock.nextTimerIn()).toBe(900);
  });

  it('a stream that only sends keep-alives (no touch) stalls on time', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('stall', 30_000, onFire);
    clock.advance(30_000);
    expect(fired).toEqual([['stall', 30_000]]);
  });

  it('touch on a kind that is not armed reports false and arms nothing', () => {
    const { clock, dog } = setup();
    expect(dog.touch('stall')).toBe(false);
    expect(dog.isArmed('stall')).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('disarm after a touch still prevents the rescheduled fire', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('stall', 100, onFire);
    clock.advance(50);
    dog.touch('stall');
    clock.advance(50); // original timer comes due and reschedules for 150
    dog.disarm('stall');
    clock.advance(500);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('close disarms and ignores later arms', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('total', 100, onFire);
    dog.close();
    dog.arm('stall', 10, onFire);
    expect(dog.isArmed('stall')).toBe(false);
    clock.advance(1_000);
    expect(fired).toEqual([]);
  });

  it('a callback may re-arm its own kind', () => {
    const { clock, dog } = setup();
    const times: number[] = [];
    const again = () => {
      times.push(clock.now());
      if (times.length < 3) dog.arm('stall', 10, again);
    };
    dog.arm('stall', 10, again);
    clock.advance(100);
    expect(times).toEqual([10, 20, 30]);
  });

  it('pause stops a timer for as long as it is paused; resume gives it what it had left', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('total', 1_000, onFire);
    clock.advance(400);
    dog.pause('total');
    clock.advance(5_000);
    expect(fired).toEqual([]);
    dog.resume('total');
    clock.advance(599);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['total', 6_000]]);
  });

  it('a touched stall timer paused and resumed keeps its pushed-back time', () => {
    const { clock, fired, onFire, dog } = setup();
    dog.arm('stall', 100, onFire);
    clock.advance(90);
    dog.touch('stall');
    dog.pause('stall');
    clock.advance(1_000);
    dog.resume('stall');
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['stall', 1_190]]);
  });
});
