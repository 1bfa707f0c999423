/**
 * Windowed counters: what rate limits (requests and tokens per minute) and budgets (cost per day or
 * month) count against. In memory by default, one process's own; a shared backend (Redis, the scale
 * work) implements the same interface with the same semantics, atomically across instances.
 *
 * Windows are fixed and aligned on multiples of `windowMs` since the epoch (a minute, a UTC day), so
 * that every instance agrees on when a window starts without talking.
 */
import type { Clock } from '../core/clock.js';

export interface TakeResult {
  /** Whether `amount` was added: false when it would have taken the window past `limit`. */
  allowed: boolean;
  /** The window's total after the call (unchanged when refused). */
  total: number;
  /** Milliseconds until the window ends (what a 429's `retry-after` says). */
  resetMs: number;
}

export interface WindowCounters {
  /**
   * Adds `amount` to `key`'s counter in the current window of `windowMs`, unless the total would then
   * exceed `limit`; check and add are one atomic step.
   */
  take(key: string, amount: number, limit: number, windowMs: number): Promise<TakeResult>;
  /** Adds `amount` (negative gives back) with no limit: settling an estimate against the real count. */
  add(key: string, amount: number, windowMs: number): Promise<number>;
  /** The current window's total. */
  peek(key: string, windowMs: number): Promise<number>;
}

/** Wall-clock time is what windows align on (a UTC day); `wallNow` when the clock has it. */
export type WallTime = Pick<Clock, 'now'> & { wallNow?: () => number };

/** One process's counters: bounded by the keys in use, each window replaced when the next begins. */
export class MemoryCounters implements WindowCounters {
  private readonly windows = new Map<string, { start: number; total: number }>();

  constructor(private readonly time: () => number = Date.now) {}

  take(key: string, amount: number, limit: number, windowMs: number): Promise<TakeResult> {
    const { entry, start } = this.current(key, windowMs);
    const resetMs = start + windowMs - this.time();
    if (entry.total + amount > limit) return Promise.resolve({ allowed: false, total: entry.total, resetMs });
    entry.total += amount;
    return Promise.resolve({ allowed: true, total: entry.total, resetMs });
  }

  add(key: string, amount: number, windowMs: number): Promise<number> {
    const { entry } = this.current(key, windowMs);
    entry.total += amount;
    return Promise.resolve(entry.total);
  }

  peek(key: string, windowMs: number): Promise<number> {
    return Promise.resolve(this.current(key, windowMs).entry.total);
  }

  private current(key: string, windowMs: number): { entry: { start: number; total: number }; start: number } {
    const now = this.time();
    const start = now - (now % windowMs);
    const id = `${windowMs}:${key}`;
    let entry = this.windows.get(id);
    if (!entry || entry.start !== start) {
      entry = { start, total: 0 };
      this.windows.set(id, entry);
    }
    return { entry, start };
  }
}
