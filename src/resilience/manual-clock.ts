import type { TimerHandle } from '../core/clock.js';
import type { WallClock } from './wall-clock.js';

interface PendingTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** 2026-01-01T00:00:00Z: a fixed wall-clock origin so HTTP-date tests are reproducible. */
const DEFAULT_WALL_START = Date.UTC(2026, 0, 1);

/**
 * A Clock for tests: time stands still until `advance(ms)`, which fires every timer that falls due,
 * in due order (ties in creation order), with `now()` set to each timer's due time while it runs.
 * Timers scheduled by a firing timer also fire within the same `advance` if they fall due in it.
 */
export class ManualClock implements WallClock {
  #now: number;
  #wallOffset: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(opts: { now?: number; wallNow?: number } = {}) {
    this.#now = opts.now ?? 0;
    this.#wallOffset = (opts.wallNow ?? DEFAULT_WALL_START) - this.#now;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#now + this.#wallOffset;
  }

  /** Moves the wall clock (only) to `ms`, as an NTP step would; `now()` is unaffected. */
  setWallNow(ms: number): void {
    this.#wallOffset = ms - this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer: PendingTimer = { id: this.#nextId++, due: this.#now + delay, fn };
    // Keep sorted by (due, id): insert after every timer due at or before this one.
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1] as PendingTimer).due > timer.due) i--;
    this.#timers.splice(i, 0, timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.#timers.findIndex((t) => t.id === handle.id);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Moves time forward by `ms`, firing due timers in order. `advance(0)` fires timers due now. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`advance(ms) needs a finite ms >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.due > target) break;
      this.#timers.shift();
      this.#now = next.due;
      next.fn();
    }
    this.#now = target;
  }

  /** Number of timers scheduled and not yet fired or cleared. */
  pendingTimers(): number {
    return this.#timers.length;
  }

  /** Milliseconds until the next timer falls due, or undefined if none is pending. */
  nextTimerIn(): number | undefined {
    const next = this.#timers[0];
    return next === undefined ? undefined : next.due - this.#now;
  }
}
