/**
 * Rolling time-to-first-token statistics for one target: p50/p95/p99 over the last 15 minutes, for
 * the slow-call threshold of the breaker and the hedge delay (reliability reference §4.2: "2 × rolling
 * p95 TTFT of that model over the last 15 min"; §4.4: hedge after the per-model p95 TTFT).
 *
 * Shape: a ring of time buckets (15 × 1 min), each a small log-scale histogram, plus one running total
 * histogram (the sum of the live buckets). Recording is O(1): one logarithm and two increments. A
 * bucket leaving the window is subtracted from the total, so a quantile costs one pass over the bins
 * (~120), never over the samples. Memory is fixed: (buckets + 1) × bins counters, about 7.5 KB.
 *
 * Accuracy trade-off:
 * - Values: bin edges grow geometrically by `growth` (1.1), and a quantile reports the geometric
 *   middle of its bin, so it is within ±5 % (√1.1 − 1) of a true sample value, whatever the scale.
 *   Values below `minMs` read as `minMs`; above `maxMs` as `maxMs`. An exact sample ring would be exact
 *   but cost O(n log n) per quantile and memory proportional to traffic.
 * - Time: the window slides one bucket at a time, so it covers between 14 and 15 minutes of history.
 * - Timeouts (no first token at all) are not samples: the breaker counts them as slow calls instead.
 */
import type { Clock } from '../core/clock.js';
import { TimeBuckets } from './time-buckets.js';

export interface LatencyWindowOptions {
  /** History kept, in ms. */
  windowMs: number;
  /** Buckets the window is cut into. */
  buckets: number;
  /** Smallest value told apart (upper edge of the first bin). */
  minMs: number;
  /** Largest value told apart (values above read as this). */
  maxMs: number;
  /** Ratio between consecutive bin edges: the relative resolution. */
  growth: number;
}

/** Reliability reference §4.2 (15-minute p95) and §4.4 (hedge delay = p95 TTFT). */
export const DEFAULT_LATENCY_WINDOW: Readonly<LatencyWindowOptions> = Object.freeze({
  windowMs: 15 * 60_000,
  buckets: 15,
  minMs: 10,
  maxMs: 10 * 60_000,
  growth: 1.1,
});

export interface LatencySnapshot {
  count: number;
  p50Ms: number | undefined;
  p95Ms: number | undefined;
  p99Ms: number | undefined;
}

export class LatencyWindow {
  readonly #opts: LatencyWindowOptions;
  readonly #logGrowth: number;
  readonly #bins: number;
  readonly #total: Uint32Array;
  readonly #ring: TimeBuckets<Uint32Array>;
  #count = 0;

  constructor(clock: Pick<Clock, 'now'>, options: Partial<LatencyWindowOptions> = {}) {
    const opts = { ...DEFAULT_LATENCY_WINDOW, ...options };
    if (!(opts.growth > 1)) throw new RangeError(`growth must be > 1, got ${opts.growth}`);
    if (!(opts.minMs > 0 && opts.maxMs > opts.minMs)) throw new RangeError('need 0 < minMs < maxMs');
    this.#opts = opts;
    this.#logGrowth = Math.log(opts.growth);
    this.#bins = Math.ceil(Math.log(opts.maxMs / opts.minMs) / this.#logGrowth) + 1;
    this.#total = new Uint32Array(this.#bins);
    this.#ring = new TimeBuckets<Uint32Array>(
      clock,
      opts,
      () => new Uint32Array(this.#bins),
      (slot) => this.#evict(slot),
    );
  }

  /** Records one first-token time, in ms. Non-finite or negative values are ignored. */
  record(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    const bin = this.#binOf(ms);
    const slot = this.#ring.current();
    slot[bin] = (slot[bin] as number) + 1;
    this.#total[bin] = (this.#total[bin] as number) + 1;
    this.#count++;
  }

  /** Samples in the window. */
  count(): number {
    this.#ring.advance();
    return this.#count;
  }

  /** The q-quantile (0 < q ≤ 1) of the samples in the window, or undefined if there are none. */
  quantile(q: number): number | undefined {
    this.#ring.advance();
    if (this.#count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.#count));
    let seen = 0;
    for (let bin = 0; bin < this.#bins; bin++) {
      seen += this.#total[bin] as number;
      if (seen >= rank) return this.#valueOf(bin);
    }
    return this.#opts.maxMs; // unreachable while counts agree
  }

  snapshot(): LatencySnapshot {
    return {
      count: this.count(),
      p50Ms: this.quantile(0.5),
      p95Ms: this.quantile(0.95),
      p99Ms: this.quantile(0.99),
    };
  }

  /** Forgets every sample. */
  clear(): void {
    this.#ring.clear();
  }

  /** Bin 0 holds [0, minMs]; bin i holds (minMs·g^(i−1), minMs·g^i]; the last bin also holds overflow. */
  #binOf(ms: number): number {
    if (ms <= this.#opts.minMs) return 0;
    const bin = Math.ceil(Math.log(ms / this.#opts.minMs) / this.#logGrowth - 1e-9);
    return Math.min(this.#bins - 1, bin);
  }

  /** The geometric middle of a bin (its edges clamped to [minMs, maxMs]). */
  #valueOf(bin: number): number {
    if (bin === 0) return this.#opts.minMs;
    const upper = Math.min(this.#opts.maxMs, this.#opts.minMs * this.#opts.growth ** bin);
    const lower = this.#opts.minMs * this.#opts.growth ** (bin - 1);
    return Math.round(Math.sqrt(lower * upper));
  }

  #evict(slot: Uint32Array): void {
    for (let bin = 0; bin < slot.length; bin++) {
      const n = slot[bin] as number;
      if (n === 0) continue;
      this.#total[bin] = (this.#total[bin] as number) - n;
      this.#count -= n;
    }
    slot.fill(0);
  }
}
