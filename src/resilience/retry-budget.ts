/**
 * Retry budget (Finagle `RetryBudget`, Linkerd `retryRatio`/`minRetriesPerSecond`/`ttl`): over a
 * sliding TTL window, retries (and hedges, which are retries) are allowed while
 *
 *     retries ≤ ratio × requests + floorPerSecond × ttlSeconds
 *
 * where `requests` counts FIRST attempts only (the engine calls `recordRequest` once per request, never
 * per retry) and `retries` counts the withdrawals already granted. Deposits and withdrawals are kept in
 * time buckets (ttl / buckets each) that fall out of the window as the clock advances, so the window
 * slides with a granularity of one bucket. Keyed by anything (a target id, a provider×model).
 *
 * Defaults: ratio 0.2 and ttl 10 s as Finagle and Linkerd. The floor differs on purpose: theirs is
 * 10/s per client (per service), but ours is per key and a gateway holds many keys, so 10/s each would
 * let 100 retries per 10 s hit a failing target that sees only a handful of requests: a retry storm at
 * low traffic. 1/s (10 per window per key) still lets a quiet route retry its occasional failure.
 * It matches `retry.budgetFloorPerSecond` in the config schema.
 *
 * Across instances (state.driver redis, src/state/shared-budgets.ts): `setRemote` gives the other
 * instances' last-known window counts per key, added to this process's own in every decision (the
 * allowance, floor included, is then the fleet's). Without it, a budget is this process's alone.
 */
import type { Clock } from '../core/clock.js';

export interface RetryBudgetOptions {
  clock: Clock;
  /** Retries allowed per first attempt in the window. Default 0.2. */
  ratio?: number;
  /** Retries per second allowed whatever the traffic (a reserve for low-traffic keys). Default 1. */
  floorPerSecond?: number;
  /** How long a deposit or withdrawal counts. Default 10 s. */
  ttlMs?: number;
  /** Buckets per TTL window: the window slides by ttl / buckets. Default 10. */
  buckets?: number;
}

export const DEFAULT_RETRY_BUDGET = Object.freeze({
  ratio: 0.2,
  floorPerSecond: 1,
  ttlMs: 10_000,
  buckets: 10,
});

export interface RetryBudgetSnapshot {
  /** First attempts recorded in the window. */
  requests: number;
  /** Retries granted in the window. */
  retries: number;
  /** ratio × requests + floorPerSecond × ttlSeconds. */
  allowance: number;
  /** Retries that would be granted now: floor(allowance − retries), never negative. */
  available: number;
}

/** A key's counts over the window. */
export interface WindowCounts {
  requests: number;
  retries: number;
}

interface Bucket {
  /** Absolute bucket number: floor(now / bucketMs). */
  epoch: number;
  requests: number;
  retries: number;
}

export class RetryBudget {
  readonly #clock: Clock;
  readonly #ratio: number;
  readonly #reserve: number;
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #keys = new Map<string, Bucket[]>();
  #remote: ReadonlyMap<string, WindowCounts> = new Map();
  readonly #ttlMs: number;

  constructor(opts: RetryBudgetOptions) {
    const d = DEFAULT_RETRY_BUDGET;
    const ratio = opts.ratio ?? d.ratio;
    const floor = opts.floorPerSecond ?? d.floorPerSecond;
    const ttlMs = opts.ttlMs ?? d.ttlMs;
    const buckets = opts.buckets ?? d.buckets;
    if (!(ratio >= 0) || !Number.isFinite(ratio)) throw new RangeError(`ratio must be >= 0, got ${ratio}`);
    if (!(floor >= 0) || !Number.isFinite(floor))
      throw new RangeError(`floorPerSecond must be >= 0, got ${floor}`);
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`ttlMs must be > 0, got ${ttlMs}`);
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be an integer >= 1`);
    this.#clock = opts.clock;
    this.#ratio = ratio;
    this.#reserve = floor * (ttlMs / 1000);
    this.#buckets = buckets;
    this.#bucketMs = ttlMs / buckets;
    this.#ttlMs = ttlMs;
  }

  /** How long a deposit or withdrawal counts. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Deposits one first attempt for `key`. */
  recordRequest(key: string): void {
    this.#current(key).requests += 1;
  }

  /** Withdraws one retry for `key` if the budget allows it; returns whether it did. */
  tryAcquireRetry(key: string): boolean {
    if (this.snapshot(key).available < 1) return false;
    this.#current(key).retries += 1;
    return true;
  }

  snapshot(key: string): RetryBudgetSnapshot {
    let { requests, retries } = this.localCounts(key);
    const remote = this.#remote.get(key);
    if (remote) {
      requests += remote.requests;
      retries += remote.retries;
    }
    const allowance = this.#ratio * requests + this.#reserve;
    // Rounded to 1e-9 so that e.g. 0.2 × 15 = 3.0000000000000004 does not change the count.
    const available = Math.max(0, Math.floor(Math.round((allowance - retries) * 1e9) / 1e9));
    return { requests, retries, allowance, available };
  }

  /** This process's own counts for `key` in the window (what it tells the other instances). */
  localCounts(key: string): WindowCounts {
    let requests = 0;
    let retries = 0;
    const oldest = this.#epoch() - this.#buckets + 1;
    for (const b of this.#keys.get(key) ?? []) {
      if (b.epoch < oldest) continue;
      requests += b.requests;
      retries += b.retries;
    }
    return { requests, retries };
  }

  /** The keys this process holds counts for. */
  keys(): IterableIterator<string> {
    return this.#keys.keys();
  }

  /** The other instances' last-known counts per key (replaces the previous ones; empty: none). */
  setRemote(counts: ReadonlyMap<string, WindowCounts>): void {
    this.#remote = counts;
  }

  /** Forgets keys whose window is empty; call now and then to bound memory with many keys. */
  prune(): void {
    const oldest = this.#epoch() - this.#buckets + 1;
    for (const [key, ring] of this.#keys) {
      if (ring.every((b) => b.epoch < oldest)) this.#keys.delete(key);
    }
  }

  /** Number of keys currently held (for tests and metrics). */
  size(): number {
    return this.#keys.size;
  }

  #epoch(): number {
    return Math.floor(this.#clock.now() / this.#bucketMs);
  }

  /** The bucket for now, recycling the ring slot if it holds an expired epoch. */
  #current(key: string): Bucket {
    let ring = this.#keys.get(key);
    if (ring === undefined) {
      ring = Array.from({ length: this.#buckets }, () => ({ epoch: -Infinity, requests: 0, retries: 0 }));
      this.#keys.set(key, ring);
    }
    const epoch = this.#epoch();
    const slot = ((epoch % this.#buckets) + this.#buckets) % this.#buckets;
    const bucket = ring[slot] as Bucket;
    if (bucket.epoch !== epoch) {
      bucket.epoch = epoch;
      bucket.requests = 0;
      bucket.retries = 0;
    }
    return bucket;
  }
}
