/**
 * A per-target cap on attempts in flight, with a bounded FIFO queue in front of it (Envoy's cluster
 * circuit breakers `max_requests` / `max_pending_requests`: overflow fails fast; reliability reference
 * §1.1). The engine asks before an attempt:
 *
 * - `tryAcquire()` takes a free slot at once or answers undefined (never queues);
 * - `acquire(timeoutMs, signal)` takes a free slot, or waits in the queue for one, first come first
 *   served; it answers undefined at once when the queue is full, and undefined when the wait times out
 *   or the signal aborts, so the engine moves on to the next target instead of queueing for ever.
 *
 * A freed slot goes straight to the oldest waiter, so a newcomer cannot overtake the queue. Each
 * release function frees its slot once; calling it again does nothing. Timers use the injected Clock.
 */
import type { Clock } from '../core/clock.js';

export type Release = () => void;

/** What `acquire` needs of an abort signal (an AbortSignal, or an adapter over another cancel). */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ConcurrencyLimitOptions {
  /** Attempts in flight at once. */
  maxConcurrent: number;
  /** Attempts waiting for a slot; more are refused at once. 0 disables waiting. */
  maxQueued: number;
}

/** Envoy cluster circuit-breaker defaults: `max_requests` 1024, `max_pending_requests` 1024 (§1.1). */
export const DEFAULT_CONCURRENCY_LIMIT: Readonly<ConcurrencyLimitOptions> = Object.freeze({
  maxConcurrent: 1024,
  maxQueued: 1024,
});

interface Waiter {
  grant: (release: Release | undefined) => void;
}

export class ConcurrencyLimit {
  readonly #clock: Clock;
  readonly #opts: ConcurrencyLimitOptions;
  readonly #queue: Waiter[] = [];
  #active = 0;

  constructor(clock: Clock, options: Partial<ConcurrencyLimitOptions> = {}) {
    this.#clock = clock;
    this.#opts = { ...DEFAULT_CONCURRENCY_LIMIT, ...options };
    if (!(this.#opts.maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be >= 1');
  }

  /** Attempts holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** Attempts waiting for a slot. */
  get queued(): number {
    return this.#queue.length;
  }

  /** A slot now, or undefined if none is free (or others are already waiting for one). */
  tryAcquire(): Release | undefined {
    if (this.#active >= this.#opts.maxConcurrent || this.#queue.length > 0) return undefined;
    this.#active++;
    return this.#releaser();
  }

  /** A slot now, or after waiting at most `timeoutMs` in the queue; undefined if none came. */
  acquire(timeoutMs: number, signal?: AbortLike): Promise<Release | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (this.#queue.length >= this.#opts.maxQueued || !(timeoutMs > 0)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: (release) => {
          this.#clock.clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          resolve(release);
        },
      };
      /** Timed out or aborted: leave the queue, unless a slot was handed over first. */
      const leave = (): void => {
        const i = this.#queue.indexOf(waiter);
        if (i < 0) return;
        this.#queue.splice(i, 1);
        waiter.grant(undefined);
      };
      this.#queue.push(waiter);
      const timer = this.#clock.setTimeout(leave, timeoutMs);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next)
        next.grant(this.#releaser()); // the slot passes on: `active` is unchanged
      else this.#active--;
    };
  }
}
