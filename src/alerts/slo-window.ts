/**
 * Good and bad request counts of one SLO, in a ring of equal time buckets long enough for the longest
 * burn-rate window. Memory is fixed (two Float64Arrays); recording is O(1) and reading a window sums
 * its buckets (evaluation runs on a timer, never on the request path). A window covers the current
 * bucket and the whole buckets before it, so it reads between `windowMs` and `windowMs + bucketMs` of
 * history.
 */
import type { Clock } from '../core/clock.js';

/** Buckets at most, whatever the windows: a bucket is then longer than a fifth of the short window. */
export const MAX_BUCKETS = 20_000;

export interface WindowCounts {
  good: number;
  bad: number;
}

export class SloWindow {
  readonly bucketMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #good: Float64Array;
  readonly #bad: Float64Array;
  /** Index (time / bucketMs) of the newest bucket written or cleared. */
  #head: number;

  /** `resolutionMs`: the bucket length wanted (e.g. the shortest window / 5); `spanMs`: the longest window. */
  constructor(clock: Pick<Clock, 'now'>, opts: { resolutionMs: number; spanMs: number }) {
    this.bucketMs = Math.max(1, opts.resolutionMs, Math.ceil(opts.spanMs / (MAX_BUCKETS - 1)));
    const buckets = Math.ceil(opts.spanMs / this.bucketMs) + 1;
    this.#clock = clock;
    this.#good = new Float64Array(buckets);
    this.#bad = new Float64Array(buckets);
    this.#head = this.#index();
  }

  record(good: boolean): void {
    const slot = this.#advance();
    if (good) this.#good[slot]! += 1;
    else this.#bad[slot]! += 1;
  }

  /** Counts over the last `windowMs` (in whole buckets, the current one included). */
  counts(windowMs: number): WindowCounts {
    this.#advance();
    const n = this.#good.length;
    const k = Math.min(n, Math.max(1, Math.ceil(windowMs / this.bucketMs)));
    let good = 0;
    let bad = 0;
    for (let i = 0; i < k; i++) {
      const slot = (((this.#head - i) % n) + n) % n;
      good += this.#good[slot]!;
      bad += this.#bad[slot]!;
    }
    return { good, bad };
  }

  /** Clears the buckets time has left behind; returns the current bucket's slot. */
  #advance(): number {
    const n = this.#good.length;
    const index = this.#index();
    if (index > this.#head) {
      const steps = Math.min(index - this.#head, n);
      for (let i = 0; i < steps; i++) {
        const slot = (((index - i) % n) + n) % n;
        this.#good[slot] = 0;
        this.#bad[slot] = 0;
      }
      this.#head = index;
    }
    return ((this.#head % n) + n) % n;
  }

  #index(): number {
    return Math.floor(this.#clock.now() / this.bucketMs);
  }
}
