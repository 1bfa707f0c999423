/**
 * The circuit breaker's rules as data and pure functions; circuit-breaker.ts is the state machine.
 *
 * - Counted failures are those with `failure.breaker` (5xx, 529, overload 429s, resets, stalls,
 *   timeouts); client errors, content filters, context errors, cancellations are neutral (reliability reference §3).
 * - A call is slow if its TTFT exceeds `slowCallThresholdMs`, if it failed with
 *   `first_token_timeout`, if it lost the race to a hedge, or as soon as it has waited past the
 *   threshold without a first token (in-flight age: `onSlowWait`; its later outcome is not booked
 *   again). Calls without a first-token time (non-streaming) are never judged slow: their latency
 *   scales with output length (reliability reference §1.2).
 * - Trips from closed: `consecutiveFailures` calls in a row that failed or were slow (`'slow-calls'`
 *   if every one was slow, else `'consecutive'`); or, with at least `minimumCalls` in the window, error
 *   rate or slow-call rate at or above threshold (`'error-rate'`, `'slow-calls'`).
 * - A server-stated reset (`cooldownOf`: a 429 with `retryAfterMs`, or any `cooldownMs`) is not a
 *   failure: it opens the breaker as `'rate-limit'` exactly until then, never earlier than a cooldown
 *   already in force (LiteLLM #40130, anchors §3), and does not grow the trip multiplier (reliability reference §4.2).
 * - Open duration: `openDurationMs`. The multiplier grows by one per trip and is forgiven by one per
 *   `tripDecayMs` spent closed, applied at the next trip (Envoy decrements its multiplier each
 *   interval in which the host is healthy; our interval is one 60 s window without a trip).
 * - Half-open: the next `halfOpenProbes` real requests are probes (`ProbeRound`). More than
 *   `halfOpenMaxFailures` failed or any slow reopens with the longer duration; else it closes. A
 *   reopen keeps the reason it opened with, unless a probe was slow (then `'slow-calls'`).
 * - Active health checks: a successful synthetic probe moves an open breaker that tripped on
 *   `'consecutive'` errors (and has no cooldown in force) to half-open early; real probes still decide.
 *   It never ends an open for slow calls, error rate or a rate limit: a probe proves reachability, not
 *   capacity (Envoy's premature-uneject warning, reliability reference §1.2). A failed probe changes nothing.
 */
import type { Random } from '../core/clock.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { LatencyWindow } from './latency-window.js';
import { DEFAULT_SLOW_START, type SlowStartOptions } from './slow-start.js';

export type BreakerState = 'closed' | 'open' | 'half-open';
export type TripReason = 'consecutive' | 'error-rate' | 'slow-calls' | 'rate-limit';

export interface CircuitBreakerOptions {
  consecutiveFailures: number;
  /** Sliding window of the rate rules, and its number of buckets. */
  windowMs: number;
  windowBuckets: number;
  /** Calls in the window before the rate rules apply. */
  minimumCalls: number;
  failureRateThreshold: number;
  slowCallRateThreshold: number;
  /** Fixed slow threshold; with a multiple, the ceiling of the adaptive one and its value until warm. */
  slowCallMs: number;
  /** Adaptive threshold: multiple × rolling p95 TTFT, at least the floor. 0 disables it. */
  slowCallP95Multiple: number;
  slowCallFloorMs: number;
  /** TTFT samples needed before the adaptive threshold is trusted. */
  slowCallMinSamples: number;
  openBaseMs: number;
  openMaxMs: number;
  /** Up to this fraction is added to each open duration, drawn from the injected Random. */
  openJitter: number;
  /** Time spent closed that forgives one trip of the open-duration multiplier. */
  tripDecayMs: number;
  halfOpenProbes: number;
  halfOpenMaxFailures: number;
  slowStart: SlowStartOptions;
}

/** Reliability reference §4.2 (thresholds, window, open durations, probes) and §4.3 (slow start). */
export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerOptions> = Object.freeze({
  consecutiveFailures: 5, // Envoy consecutive_5xx
  windowMs: 60_000,
  windowBuckets: 12,
  minimumCalls: 20, // Hystrix requestVolumeThreshold
  failureRateThreshold: 0.5, // resilience4j failureRateThreshold
  slowCallRateThreshold: 0.5,
  slowCallMs: 30_000, // §4.2 floor for reasoning models: nothing slower is ever "normal"
  slowCallP95Multiple: 2,
  slowCallFloorMs: 2_000, // §4.2 floor for small/fast models
  slowCallMinSamples: 20,
  openBaseMs: 30_000, // Envoy base_ejection_time
  openMaxMs: 300_000, // Envoy max_ejection_time
  openJitter: 0.1,
  tripDecayMs: 60_000,
  halfOpenProbes: 3,
  halfOpenMaxFailures: 1,
  slowStart: DEFAULT_SLOW_START,
});

/** Leave to make one attempt; hand it back through exactly one of onSuccess, onFailure, release. */
export interface Grant {
  readonly allowed: true;
  /** A half-open trial: its outcome decides whether the breaker closes. */
  readonly probe: boolean;
  readonly epoch: number;
}
export interface Denial {
  readonly allowed: false;
  readonly reason: 'open' | 'half-open-full' | 'cooldown';
  /** When the target may be tried again (0 for half-open-full: when the probes settle). */
  readonly retryInMs: number;
}
export type Permit = Grant | Denial;

export interface BreakerSnapshot {
  state: BreakerState;
  trippedBy: TripReason | null;
  errorRate: number;
  slowCallRate: number;
  callsInWindow: number;
  consecutiveFailures: number;
  consecutiveTrips: number;
  probesInFlight: number;
  ttftP50Ms: number | null;
  ttftP95Ms: number | null;
  slowCallThresholdMs: number;
  nextProbeInMs: number | null;
  weight: number;
  /** Clock time (same base as `clock.now()`) until which a server-stated reset keeps it out. */
  cooldownUntil: number | null;
  lastHealthProbe: { ok: boolean; at: number } | null;
}

/**
 * The TTFT above which a call is slow. Fixed `slowCallMs` when `slowCallP95Multiple` is 0. Otherwise
 * clamp(multiple × rolling p95 TTFT, slowCallFloorMs, slowCallMs) once the window holds
 * `slowCallMinSamples` samples, and `slowCallMs` until then (reliability reference §4.2). The ceiling
 * keeps a slowly degrading target from dragging its own threshold up for ever.
 */
export function slowCallThresholdMs(o: CircuitBreakerOptions, latency: LatencyWindow): number {
  if (!(o.slowCallP95Multiple > 0) || latency.count() < o.slowCallMinSamples) return o.slowCallMs;
  const p95 = latency.quantile(0.95) ?? o.slowCallMs;
  return Math.min(o.slowCallMs, Math.max(o.slowCallFloorMs, o.slowCallP95Multiple * p95));
}

/** min(openMaxMs, openBaseMs × trips) × (1 + U(0, openJitter)) (Envoy ejection time and jitter). */
export function openDurationMs(trips: number, o: CircuitBreakerOptions, random: Random): number {
  const base = Math.min(o.openMaxMs, o.openBaseMs * Math.max(1, trips));
  const r = random();
  return Math.round(base * (1 + (r > 0 ? Math.min(r, 1) : 0) * o.openJitter));
}

/** The trip multiplier after `closedMs` spent closed: one trip forgiven per full `tripDecayMs`. */
export function forgiveTrips(trips: number, closedMs: number, o: CircuitBreakerOptions): number {
  return Math.max(0, trips - Math.floor(Math.max(0, closedMs) / o.tripDecayMs));
}

/** How long a failure asks to keep the target out: `cooldownMs`, or a 429's reset hint. */
export function cooldownOf(failure: UpstreamFailure): number {
  if (failure.cooldownMs !== undefined && failure.cooldownMs > 0) return failure.cooldownMs;
  const is429 = failure.upstreamStatus === 429 || failure.reason === 'upstream_429';
  return is429 && failure.retryAfterMs !== undefined && failure.retryAfterMs > 0 ? failure.retryAfterMs : 0;
}

/** One half-open round: admits `size` probes; a probe ending without a verdict gives its slot back. */
export class ProbeRound {
  #issued = 0;
  #results = 0;
  #failures = 0;
  #slow = 0;

  readonly maxFailures: number;

  /** At least one probe must succeed: a round of one probe tolerates no failure. */
  constructor(
    readonly size: number,
    maxFailures: number,
  ) {
    this.maxFailures = Math.min(maxFailures, Math.max(0, size - 1));
  }

  hasRoom(): boolean {
    return this.#issued < this.size;
  }
  admit(): void {
    this.#issued++;
  }
  giveBack(): void {
    if (this.#issued > this.#results) this.#issued--;
  }
  inFlight(): number {
    return this.#issued - this.#results;
  }

  /** Records a probe's verdict: reopen as soon as the round has failed, close once all are in. */
  record(failed: boolean, slow: boolean): 'reopen' | 'close' | 'pending' {
    this.#results++;
    if (failed) this.#failures++;
    if (slow) this.#slow++;
    if (this.#failures > this.maxFailures || this.#slow > 0) return 'reopen';
    return this.#results >= this.size ? 'close' : 'pending';
  }
}
