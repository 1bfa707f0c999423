/**
 * The health of ONE target (the engine keys it by provider + key + model + region): closed → open →
 * half-open → closed, tripped by errors and by slow first tokens, recovering through a few probes and
 * a slow-start ramp. The rules (what counts, thresholds, durations) are in breaker-policy.ts; this is
 * the state machine that applies them. Pure: the clock and the random source are injected.
 *
 * Every granted permit must be settled exactly once: `onSuccess`, `onFailure` or `release` (later
 * calls with the same grant are ignored). The outcome of an attempt granted before the last state
 * change only feeds the latency window, so a late answer from before a trip cannot close it.
 *
 * In-flight age is evidence too: `onSlowWait` judges an attempt still waiting for its first token
 * past the slow-call threshold as a slow call at once (the caller, which owns the timers, says when:
 * see src/resilience/first-token-waits.ts). Each attempt gets one verdict: once judged, its later
 * outcome only feeds the latency window. Every state change is announced to `onTransition`
 * listeners, so that the engine can move the requests still waiting on a target that opened.
 */
import type { Clock, Random } from '../core/clock.js';
import type { UpstreamFailure } from '../core/errors.js';
import {
  cooldownOf,
  DEFAULT_CIRCUIT_BREAKER,
  forgiveTrips,
  openDurationMs,
  ProbeRound,
  slowCallThresholdMs,
  type BreakerSnapshot,
  type BreakerState,
  type CircuitBreakerOptions,
  type Denial,
  type Grant,
  type Permit,
  type TripReason,
} from './breaker-policy.js';
import { LatencyWindow } from './latency-window.js';
import { TripDetector } from './outcome-window.js';
import { slowStartWeight } from './slow-start.js';

export * from './breaker-policy.js';

/** A state change of one breaker, announced to its listeners. */
export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** Why it opened (`to === 'open'`); null otherwise. */
  reason: TripReason | null;
}
export type TransitionListener = (transition: BreakerTransition) => void;

const HALF_OPEN_FULL: Denial = Object.freeze({ allowed: false, reason: 'half-open-full', retryInMs: 0 });

export interface CircuitBreakerDeps {
  clock: Pick<Clock, 'now'>;
  random: Random;
  options?: Partial<CircuitBreakerOptions>;
  /** Share a latency window (e.g. with hedging); by default the breaker makes its own. */
  latency?: LatencyWindow;
}

export class CircuitBreaker {
  readonly latency: LatencyWindow;
  readonly #o: CircuitBreakerOptions;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #random: Random;
  readonly #detector: TripDetector;
  readonly #settled = new WeakSet<Grant>();
  /** Grants already counted as slow while waiting for their first token (`onSlowWait`). */
  readonly #judged = new WeakSet<Grant>();
  readonly #listeners: TransitionListener[] = [];
  #state: BreakerState = 'closed';
  #epoch = 0;
  #trippedBy: TripReason | null = null;
  #openUntil = 0;
  #cooldownUntil = -Infinity;
  #trips = 0;
  #closedSince: number;
  #recoveringSince: number | null = null;
  #probes = new ProbeRound(0, 0);
  #lastHealthProbe: { ok: boolean; at: number } | null = null;

  constructor(deps: CircuitBreakerDeps) {
    this.#o = { ...DEFAULT_CIRCUIT_BREAKER, ...deps.options };
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.latency = deps.latency ?? new LatencyWindow(deps.clock);
    this.#detector = new TripDetector(deps.clock, this.#o);
    this.#closedSince = deps.clock.now();
  }

  /** Asks leave for one attempt; a granted half-open permit takes a probe slot. `panic` overrides. */
  permit(opts: { panic?: boolean } = {}): Permit {
    const verdict = this.peek();
    if (verdict.allowed) {
      if (verdict.probe) this.#probes.admit();
      return { allowed: true, probe: verdict.probe, epoch: this.#epoch };
    }
    return opts.panic ? { allowed: true, probe: false, epoch: this.#epoch } : verdict;
  }

  /** What `permit()` would answer, without taking a probe slot. */
  peek(): { allowed: true; probe: boolean } | Denial {
    this.#tick();
    if (this.#state === 'closed') return { allowed: true, probe: false };
    if (this.#state === 'half-open')
      return this.#probes.hasRoom() ? { allowed: true, probe: true } : HALF_OPEN_FULL;
    // The clock is read only for an open breaker: a closed one (nearly every call) needs no time.
    const now = this.#clock.now();
    const cooling = now < this.#cooldownUntil && this.#cooldownUntil >= this.#openUntil;
    const reason = cooling ? 'cooldown' : 'open';
    return { allowed: false, reason, retryInMs: Math.max(0, this.#openUntil - now) };
  }

  /** The attempt produced its answer (or first token, for streams: `ttftMs`). */
  onSuccess(grant: Grant, timing: { ttftMs?: number } = {}): void {
    if (!this.#settle(grant)) return;
    const slow = timing.ttftMs !== undefined && timing.ttftMs > this.slowCallThresholdMs();
    if (timing.ttftMs !== undefined) this.latency.record(timing.ttftMs);
    if (this.#judged.has(grant) || !this.#current(grant)) return;
    if (this.#state !== 'closed') return this.#probeResult(grant, false, slow);
    const trip = this.#detector.record({ failed: false, slow });
    if (trip) this.#trip(trip);
  }

  /** The attempt failed; `ttftMs` if a first token had arrived before the failure. */
  onFailure(grant: Grant, failure: UpstreamFailure, timing: { ttftMs?: number } = {}): void {
    if (!this.#settle(grant)) return;
    const threshold = this.slowCallThresholdMs();
    if (timing.ttftMs !== undefined) this.latency.record(timing.ttftMs);
    const cooldownMs = cooldownOf(failure);
    if (cooldownMs > 0) return this.#coolFor(cooldownMs);
    if (this.#judged.has(grant)) return;
    if (!failure.breaker) return this.#unsettledProbe(grant);
    if (!this.#current(grant)) return;
    const slow =
      timing.ttftMs !== undefined ? timing.ttftMs > threshold : failure.reason === 'first_token_timeout';
    if (this.#state !== 'closed') return this.#probeResult(grant, true, slow);
    const trip = this.#detector.record({ failed: true, slow });
    if (trip) this.#trip(trip);
  }

  /**
   * The attempt was cancelled before its answer. Lost to a hedge: it was slower than the hedge delay
   * plus the winner's TTFT, a slow call (not a failure); otherwise (the client left) it is slow only if
   * it waited past the slow-call threshold for a first token, else no verdict. Without this a route
   * that hedges would never eject a slow target: each winning hedge cancels the slow attempt.
   */
  onCancelled(grant: Grant, cancel: { lostRace: boolean; noFirstTokenAfterMs?: number }): void {
    if (!this.#settle(grant) || this.#judged.has(grant)) return;
    const slow = cancel.lostRace || (cancel.noFirstTokenAfterMs ?? 0) > this.slowCallThresholdMs();
    if (!slow || !this.#current(grant)) return this.#unsettledProbe(grant);
    this.#slowCall(grant);
  }

  /**
   * The attempt has waited past the slow-call threshold and still has no first token: a slow call
   * now, whatever comes later (a late answer, a timeout, a cancellation), so that a target whose
   * first tokens stopped coming trips within about the threshold instead of its first-token timeout.
   * Ignored for a settled grant; counted once.
   */
  onSlowWait(grant: Grant): void {
    if (this.#settled.has(grant) || this.#judged.has(grant)) return;
    this.#judged.add(grant);
    if (this.#current(grant)) this.#slowCall(grant);
  }

  /** The granted attempt never ran or ended without a verdict (e.g. no concurrency slot). */
  release(grant: Grant): void {
    if (this.#settle(grant) && !this.#judged.has(grant)) this.#unsettledProbe(grant);
  }

  /** Calls `listener` on every state change from now on (synchronously, after the change). */
  onTransition(listener: TransitionListener): void {
    this.#listeners.push(listener);
  }

  /** A synthetic health check's result: see "Active health checks" in breaker-policy.ts. */
  onHealthProbe(ok: boolean): void {
    this.#tick();
    const now = this.#clock.now();
    this.#lastHealthProbe = { ok, at: now };
    const early = this.#state === 'open' && this.#trippedBy === 'consecutive' && now >= this.#cooldownUntil;
    if (ok && early) this.#toHalfOpen();
  }

  /**
   * Another instance's verdict (shared state, src/state/): open until `until` (this clock's time), for
   * `reason`; a `cooldown` is a server-stated reset like a rate limit. Extends to the later deadline,
   * never shortens one in force, and is not a trip of this breaker (its trip count and backoff stay
   * its own). A deadline already past changes nothing.
   */
  holdOpenUntil(until: number, reason: TripReason, cooldown: boolean): void {
    this.#tick();
    if (!(until > this.#clock.now())) return;
    if (cooldown) this.#cooldownUntil = Math.max(this.#cooldownUntil, until);
    if (this.#state === 'open') this.#openUntil = Math.max(this.#openUntil, until);
    else this.#toOpen(reason, until);
  }

  /** When an open breaker will next let a probe through (this clock's time); null unless open. */
  openUntil(): number | null {
    this.#tick();
    return this.#state === 'open' ? this.#openUntil : null;
  }

  /** Share of its normal traffic the target should get: 0 open, minWeight half-open, ramping when closed. */
  weight(): number {
    this.#tick();
    if (this.#state === 'open') return 0;
    if (this.#state === 'half-open') return this.#o.slowStart.minWeight;
    if (this.#recoveringSince === null) return 1;
    const w = slowStartWeight(this.#clock.now() - this.#recoveringSince, this.#o.slowStart);
    if (w >= 1) this.#recoveringSince = null;
    return w;
  }

  /** The TTFT above which a call is slow now (see `slowCallThresholdMs` in breaker-policy.ts). */
  slowCallThresholdMs(): number {
    return slowCallThresholdMs(this.#o, this.latency);
  }

  get state(): BreakerState {
    this.#tick();
    return this.#state;
  }

  snapshot(): BreakerSnapshot {
    const weight = this.weight();
    const now = this.#clock.now();
    const rates = this.#detector.rates();
    const latency = this.latency.snapshot();
    return {
      state: this.#state,
      trippedBy: this.#trippedBy,
      errorRate: rates.errorRate,
      slowCallRate: rates.slowRate,
      callsInWindow: rates.calls,
      consecutiveFailures: this.#detector.consecutiveFailures(),
      consecutiveTrips: this.#trips,
      probesInFlight: this.#state === 'half-open' ? this.#probes.inFlight() : 0,
      ttftP50Ms: latency.p50Ms ?? null,
      ttftP95Ms: latency.p95Ms ?? null,
      slowCallThresholdMs: this.slowCallThresholdMs(),
      nextProbeInMs: this.#state === 'closed' ? null : Math.max(0, this.#openUntil - now),
      weight,
      cooldownUntil: this.#cooldownUntil > now ? this.#cooldownUntil : null,
      lastHealthProbe: this.#lastHealthProbe,
    };
  }

  #settle(grant: Grant): boolean {
    if (this.#settled.has(grant)) return false;
    this.#settled.add(grant);
    return true;
  }

  #current(grant: Grant): boolean {
    this.#tick();
    return grant.epoch === this.#epoch;
  }

  /** A probe that ended without a verdict gives its slot back. */
  #unsettledProbe(grant: Grant): void {
    if (grant.probe && this.#current(grant) && this.#state === 'half-open') this.#probes.giveBack();
  }

  /** A slow call of the current epoch (not a failure): counts toward a trip, or decides a probe. */
  #slowCall(grant: Grant): void {
    if (this.#state !== 'closed') return this.#probeResult(grant, false, true);
    const trip = this.#detector.record({ failed: false, slow: true });
    if (trip) this.#trip(trip);
  }

  /** A verdict in half-open (or, from a panic grant, in open: ignored) counts only for probes. */
  #probeResult(grant: Grant, failed: boolean, slow: boolean): void {
    if (!grant.probe || this.#state !== 'half-open') return;
    const verdict = this.#probes.record(failed, slow);
    if (verdict === 'reopen') this.#trip(slow ? 'slow-calls' : (this.#trippedBy ?? 'consecutive'));
    else if (verdict === 'close') this.#close();
  }

  #trip(reason: TripReason): void {
    const now = this.#clock.now();
    if (this.#state === 'closed') this.#trips = forgiveTrips(this.#trips, now - this.#closedSince, this.#o);
    this.#trips++;
    const until = now + openDurationMs(this.#trips, this.#o, this.#random);
    this.#toOpen(reason, Math.max(until, this.#cooldownUntil));
  }

  /** A server-stated reset: open until then, never shortening what is in force. Not a trip. */
  #coolFor(ms: number): void {
    this.#tick();
    this.#cooldownUntil = Math.max(this.#cooldownUntil, this.#clock.now() + ms);
    if (this.#state === 'open') this.#openUntil = Math.max(this.#openUntil, this.#cooldownUntil);
    else this.#toOpen('rate-limit', this.#cooldownUntil);
  }

  #toOpen(reason: TripReason, until: number): void {
    this.#trippedBy = reason;
    this.#recoveringSince = null;
    this.#enter('open', until);
  }

  #toHalfOpen(): void {
    this.#enter('half-open', this.#clock.now());
  }

  #close(): void {
    this.#trippedBy = null;
    this.#closedSince = this.#recoveringSince = this.#clock.now();
    this.#enter('closed', this.#clock.now());
  }

  /** Every state change starts a new epoch, with fresh statistics and a fresh probe round. */
  #enter(state: BreakerState, openUntil: number): void {
    const from = this.#state;
    this.#state = state;
    this.#openUntil = openUntil;
    this.#epoch++;
    this.#detector.clear();
    this.#probes = new ProbeRound(this.#o.halfOpenProbes, this.#o.halfOpenMaxFailures);
    if (this.#listeners.length === 0) return;
    const transition: BreakerTransition = {
      from,
      to: state,
      reason: state === 'open' ? this.#trippedBy : null,
    };
    for (const listener of this.#listeners) listener(transition);
  }

  /** Open → half-open once the open time has passed (evaluated lazily, on every read). */
  #tick(): void {
    if (this.#state === 'open' && this.#clock.now() >= this.#openUntil) this.#toHalfOpen();
  }
}
