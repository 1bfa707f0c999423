/**
 * The real-time Clock and Random. This is the only module in src/resilience allowed to touch
 * `performance.now`, `Date.now`, `Math.random` and the global timers; everything else receives them.
 */
import type { Random, TimerHandle } from '../core/clock.js';
import type { WallClock } from './wall-clock.js';

export const systemClock: WallClock = {
  now: () => performance.now(),
  // eslint-disable-next-line no-restricted-properties -- the one real wall clock
  wallNow: () => Date.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    // Whole milliseconds, rounded up (node's timers count whole milliseconds anyway, so the timer fires no
    // earlier): node keeps one timer list per distinct delay, and the delays callers compute from
    // `performance.now()` (a deadline's remaining time, a watchdog's due time) are fractional, each
    // a list of its own, made and dropped with its timer, its delay a string key of a map.
    // eslint-disable-next-line no-restricted-globals -- the one real timer source
    return { id: setTimeout(fn, Math.max(0, Math.ceil(ms))) };
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};

// eslint-disable-next-line no-restricted-properties -- the one real randomness source
export const systemRandom: Random = () => Math.random();
