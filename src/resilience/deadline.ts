/**
 * One deadline per request, covering every attempt and every wait (Envoy's route timeout includes
 * retries and back-off; gRPC deadlines cover the whole chain). Nothing should start that cannot finish
 * inside it: ask `canFit(ms)` before a wait or an attempt.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { CancelController } from '../core/cancel.js';

/** The abort reason of a Deadline's signal, so callers can tell a deadline from a client cancel. */
export class DeadlineExceededError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`The request deadline of ${timeoutMs} ms passed.`);
    this.name = 'DeadlineExceededError';
    this.timeoutMs = timeoutMs;
  }
}

export class Deadline {
  readonly timeoutMs: number;
  /** Clock time (monotonic ms) at which the deadline was created. */
  readonly startedAt: number;
  /** Clock time (monotonic ms) at which it passes. */
  readonly expiresAt: number;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #disposed = false;
  /** A timer set to the deadline fired: it passed, whatever the clock says (timers can fire early). */
  #passed = false;

  constructor(timeoutMs: number, clock: Clock) {
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.#clock = clock;
    this.startedAt = clock.now();
    this.expiresAt = this.startedAt + timeoutMs;
  }

  /** Milliseconds left, never negative. */
  remaining(): number {
    return this.#passed ? 0 : Math.max(0, this.expiresAt - this.#clock.now());
  }

  elapsed(): number {
    return this.#clock.now() - this.startedAt;
  }

  expired(): boolean {
    return this.#passed || this.#clock.now() >= this.expiresAt;
  }

  /**
   * Says that a timer set to the time left (an attempt's, clamped to it) has fired. Timers can fire a
   * hair before the deadline by the clock; the deadline has passed all the same.
   */
  markPassed(): void {
    this.#passed = true;
  }

  /** Whether something taking `ms` would finish before the deadline (a zero-length step needs time left). */
  canFit(ms: number): boolean {
    return !this.expired() && ms >= 0 && ms <= this.remaining();
  }

  /**
   * Aborts `controller`, with a DeadlineExceededError as reason, when the deadline passes (at once if it
   * has). One controller per deadline: the request's own, so no extra signal to link. After `dispose()`
   * it never fires.
   */
  abortOnExpiry(controller: CancelController): void {
    if (this.#disposed || this.#timer !== undefined) return;
    const expire = (): void => {
      this.#passed = true;
      controller.abort(new DeadlineExceededError(this.timeoutMs));
    };
    // One reading of the clock: nothing left is expired.
    const left = this.remaining();
    if (left <= 0) return expire();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      expire();
    }, left);
  }

  /** Clears the timer behind `abortOnExpiry()`; call when the request ends. Idempotent. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}

export const CLIENT_TIMEOUT_HEADER = 'x-switchyard-timeout-ms';

export type ClientTimeout =
  | { ok: true; timeoutMs: number; source: 'header' | 'default'; clamped: boolean }
  | { ok: false; header: typeof CLIENT_TIMEOUT_HEADER; value: string; message: string };

/**
 * Reads `x-switchyard-timeout-ms`: a positive integer of milliseconds, clamped to `maxMs` (the
 * configured request timeout). Absent → `maxMs`. Invalid (not a positive integer, repeated with
 * different values) → an error result naming the header; the server turns it into a 400.
 */
export function parseClientTimeout(headerValue: string | string[] | undefined, maxMs: number): ClientTimeout {
  if (headerValue === undefined) return { ok: true, timeoutMs: maxMs, source: 'default', clamped: false };
  const values = Array.isArray(headerValue) ? headerValue : [headerValue];
  const shown = values.join(', ');
  const distinct = new Set(values.map((v) => v.trim()));
  const invalid = (message: string): ClientTimeout => ({
    ok: false,
    header: CLIENT_TIMEOUT_HEADER,
    value: shown,
    message,
  });
  if (distinct.size !== 1) {
    return invalid(`The ${CLIENT_TIMEOUT_HEADER} header was sent more than once with different values.`);
  }
  const text = [...distinct][0] as string;
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    return invalid(
      `The ${CLIENT_TIMEOUT_HEADER} header must be a positive integer of milliseconds, got "${shown}".`,
    );
  }
  return ms > maxMs
    ? { ok: true, timeoutMs: maxMs, source: 'header', clamped: true }
    : { ok: true, timeoutMs: ms, source: 'header', clamped: false };
}
