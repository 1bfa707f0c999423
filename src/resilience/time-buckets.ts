/**
 * A sliding time window made of a ring of equal buckets (Hystrix's rolling window: 10 s in 10
 * buckets; reliability reference §1.1). The window covers the current bucket and the `buckets - 1`
 * before it, so what it holds spans between `windowMs - bucketMs` and `windowMs` of history: it slides
 * in steps of one bucket. Memory is fixed; moving time forward costs at most `buckets` evictions, and
 * nothing when time has not crossed a bucket boundary.
 *
 * The slot type is the caller's (counters, a histogram): `evict` is called on each slot that leaves
 * the window, so the caller can subtract it from running totals and reset it for reuse.
 */
import type { Clock } from '../core/clock.js';

export interface TimeBucketsOptions {
  /** Length of history kept, in ms. */
  windowMs: number;
  /** How many buckets the window is cut into (time resolution = windowMs / buckets). */
  buckets: number;
}

export class TimeBuckets<T> {
  readonly bucketMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #slots: T[];
  readonly #evict: (slot: T) => void;
  /** Index (time / bucketMs) of the newest bucket; the ring slot of bucket i is i mod buckets. */
  #head: number;

  constructor(clock: Pick<Clock, 'now'>, opts: TimeBucketsOptions, make: () => T, evict: (slot: T) => void) {
    const buckets = Math.floor(opts.buckets);
    if (!(buckets >= 1)) throw new RangeError(`buckets must be >= 1, got ${opts.buckets}`);
    if (!(opts.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${opts.windowMs}`);
    this.bucketMs = opts.windowMs / buckets;
    this.#clock = clock;
    this.#evict = evict;
    this.#slots = Array.from({ length: buckets }, make);
    this.#head = this.#index();
  }

  /** The bucket for "now", after evicting every bucket that has left the window. */
  current(): T {
    this.advance();
    return this.#slot(this.#head);
  }

  /** Evicts the buckets that have left the window (call before reading running totals). */
  advance(): void {
    const index = this.#index();
    if (index <= this.#head) return; // same bucket, or a clock that stepped back: keep what we have
    const steps = Math.min(index - this.#head, this.#slots.length);
    for (let i = 1; i <= steps; i++) this.#evict(this.#slot(index - steps + i));
    this.#head = index;
  }

  /**
   * Every bucket of the window, oldest first, with the clock time its span starts at (for charts).
   * Buckets nothing was recorded in are there too, as evicted (reset) slots.
   */
  entries(): { startMs: number; slot: T }[] {
    this.advance();
    const out: { startMs: number; slot: T }[] = [];
    for (let b = this.#head - this.#slots.length + 1; b <= this.#head; b++) {
      out.push({ startMs: b * this.bucketMs, slot: this.#slot(b) });
    }
    return out;
  }

  /** Evicts every bucket (a reset of the statistics). */
  clear(): void {
    for (const slot of this.#slots) this.#evict(slot);
    this.#head = this.#index();
  }

  #slot(bucket: number): T {
    const n = this.#slots.length;
    return this.#slots[((bucket % n) + n) % n] as T;
  }

  #index(): number {
    return Math.floor(this.#clock.now() / this.bucketMs);
  }
}
