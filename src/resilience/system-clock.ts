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
    // eslint-disable-next-line no-restricted-globals -- the one real timer source
    return { id: setTimeout(fn, Math.max(0, ms)) };
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};

// eslint-disable-next-line no-restricted-properties -- the one real randomness source
export const systemRandom: Random = () => Math.random();
