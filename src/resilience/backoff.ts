/**
 * How long to wait before trying the same target again. Pure: randomness is injected.
 *
 * - Without a server hint: capped exponential backoff with FULL jitter, U(0, min(cap, base·2^n)),
 *   base 500 ms and cap 8 s: the envelope of the official OpenAI and Anthropic SDKs, with the full
 *   jitter that AWS's "Exponential Backoff and Jitter" found best at spreading retry storms.
 * - With a server hint h: U(h, 1.5h), as Envoy's rate-limited retry back-off does, so clients that
 *   were told the same reset time do not all come back in the same millisecond.
 * - A hint longer than the max same-target wait (Envoy discards hints above `max_interval`) or than
 *   what remains of the request deadline is not waited for: the request fails over at once.
 *
 * Failing over to a different target never waits (a different failure domain); that is the engine's
 * call, not this module's. Sources: shared reliability reference §1.1 and §4.1.
 */
import type { Random } from '../core/clock.js';

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** Largest ceiling, whatever the retry number. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ baseMs: 500, capMs: 8_000 });

/** The max same-target wait: a longer hint fails over instead (reliability reference §4.1). */
export const DEFAULT_MAX_WAIT_MS = 5_000;

/** Ceiling of the jitter window for retry number `retry` (0 for the first retry): min(cap, base·2^retry). */
export function backoffCeilingMs(retry: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const n = Number.isFinite(retry) && retry > 0 ? Math.floor(retry) : 0;
  const base = Math.max(0, opts.baseMs);
  const cap = Math.max(0, opts.capMs);
  // 2^n overflows to Infinity for large n; min() then returns the cap.
  return Math.min(cap, base * 2 ** n);
}

/** Full-jitter delay for retry number `retry` (0 for the first retry): U(0, min(cap, base·2^retry)). */
export function backoffDelayMs(
  retry: number,
  random: Random,
  opts: BackoffOptions = DEFAULT_BACKOFF,
): number {
  return Math.floor(draw(random) * backoffCeilingMs(retry, opts));
}

/** Jittered wait for a server hint of `hintMs`: U(h, 1.5h) (Envoy rate-limited back-off). */
export function hintedDelayMs(hintMs: number, random: Random): number {
  const h = Math.max(0, hintMs);
  return Math.ceil(h + draw(random) * 0.5 * h);
}

export type WaitDecision =
  | { action: 'wait'; ms: number; source: 'hint' | 'backoff' }
  | { action: 'failover'; reason: 'hint-too-long' | 'deadline' };

export interface WaitInput {
  /** Retry number of the retry about to happen on this target: 0 for the first. */
  retry: number;
  /** The server's hint in ms (already parsed), if it gave one. */
  hintMs?: number | undefined;
  /** What remains of the request deadline, in ms. */
  remainingMs: number;
  /** Longest wait on the same target; a longer hint fails over. Default 5 s. */
  maxWaitMs?: number;
  /** Time the attempt after the wait needs at least; the wait never eats into it. Default 0. */
  reserveMs?: number;
  random: Random;
  backoff?: BackoffOptions;
}

/**
 * Decides whether to wait before retrying the same target, and for how long.
 *
 * With a hint h: fail over (`hint-too-long`) if h > maxWait; fail over (`deadline`) if h does not fit
 * in what remains (after `reserveMs`); otherwise wait U(h, 1.5h), the upper end trimmed so the wait
 * stays within both maxWait and the deadline (never below h: the server asked for at least h).
 * Without a hint: full-jitter backoff, trimmed to maxWait and to the time available; a deadline
 * with no time left fails over.
 */
export function decideWait(input: WaitInput): WaitDecision {
  const maxWait = Math.max(0, input.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
  const available = input.remainingMs - Math.max(0, input.reserveMs ?? 0);
  const hint = validHint(input.hintMs);

  if (hint !== undefined) {
    if (hint > maxWait) return { action: 'failover', reason: 'hint-too-long' };
    if (hint > available || input.remainingMs <= 0) return { action: 'failover', reason: 'deadline' };
    const upper = Math.min(1.5 * hint, maxWait, available);
    const ms = Math.min(hintedDelayMs(hint, input.random), Math.max(hint, Math.floor(upper)));
    return { action: 'wait', ms, source: 'hint' };
  }

  if (available <= 0) return { action: 'failover', reason: 'deadline' };
  const ms = Math.min(
    backoffDelayMs(input.retry, input.random, input.backoff),
    maxWait,
    Math.floor(available),
  );
  return { action: 'wait', ms, source: 'backoff' };
}

function validHint(hintMs: number | undefined): number | undefined {
  return hintMs !== undefined && Number.isFinite(hintMs) && hintMs >= 0 ? Math.ceil(hintMs) : undefined;
}

/** One draw in [0, 1): a misbehaving Random (NaN, ≥ 1, < 0) is clamped rather than trusted. */
function draw(random: Random): number {
  const r = random();
  if (!(r > 0)) return 0;
  return r >= 1 ? 1 - Number.EPSILON : r;
}
