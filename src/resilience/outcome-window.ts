/**
 * The evidence a closed breaker trips on: counts of the target's recent calls over a sliding time
 * window (failure rate and slow-call rate over the last 60 s: reliability reference §4.2;
 * resilience4j's TIME_BASED window; Hystrix's bucketed rolling window), and the current failure streak
 * (Envoy `consecutive_5xx`). Running totals make each record and read O(1).
 */
import type { Clock } from '../core/clock.js';
import type { CircuitBreakerOptions, TripReason } from './breaker-policy.js';
import { TimeBuckets, type TimeBucketsOptions } from './time-buckets.js';

interface Counts {
  calls: number;
  failures: number;
  slow: number;
}

export interface OutcomeRates {
  /** Calls with a verdict (successes and counted failures) in the window. */
  calls: number;
  failures: number;
  slow: number;
  /** failures / calls, 0 when there were no calls. */
  errorRate: number;
  /** slow / calls, 0 when there were no calls. */
  slowRate: number;
}

export class OutcomeWindow {
  readonly #ring: TimeBuckets<Counts>;
  readonly #total: Counts = { calls: 0, failures: 0, slow: 0 };

  constructor(clock: Pick<Clock, 'now'>, opts: TimeBucketsOptions) {
    this.#ring = new TimeBuckets<Counts>(
      clock,
      opts,
      () => ({ calls: 0, failures: 0, slow: 0 }),
      (slot) => {
        this.#total.calls -= slot.calls;
        this.#total.failures -= slot.failures;
        this.#total.slow -= slot.slow;
        slot.calls = slot.failures = slot.slow = 0;
      },
    );
  }

  record(outcome: { failed: boolean; slow: boolean }): void {
    const slot = this.#ring.current();
    slot.calls++;
    this.#total.calls++;
    if (outcome.failed) {
      slot.failures++;
      this.#total.failures++;
    }
    if (outcome.slow) {
      slot.slow++;
      this.#total.slow++;
    }
  }

  rates(): OutcomeRates {
    this.#ring.advance();
    const { calls, failures, slow } = this.#total;
    return {
      calls,
      failures,
      slow,
      errorRate: calls === 0 ? 0 : failures / calls,
      slowRate: calls === 0 ? 0 : slow / calls,
    };
  }

  clear(): void {
    this.#ring.clear();
  }
}

export type TripRules = Pick<
  CircuitBreakerOptions,
  | 'consecutiveFailures'
  | 'windowMs'
  | 'windowBuckets'
  | 'minimumCalls'
  | 'failureRateThreshold'
  | 'slowCallRateThreshold'
>;

/** Decides, call by call, whether a closed breaker trips, and why. */
export class TripDetector {
  readonly #rules: TripRules;
  readonly #window: OutcomeWindow;
  #streak = { failures: 0, slow: 0 };

  constructor(clock: Pick<Clock, 'now'>, rules: TripRules) {
    this.#rules = rules;
    this.#window = new OutcomeWindow(clock, { windowMs: rules.windowMs, buckets: rules.windowBuckets });
  }

  /**
   * Records one call with a verdict; returns the reason to trip, if any. The streak counts calls in a
   * row that failed or were slow (a first-token timeout, a wait past the slow-call threshold, a race
   * lost to a hedge): only a call that was both fine and fast ends it. A streak whose calls were all
   * slow trips as `'slow-calls'`: it is latency, not errors.
   */
  record(outcome: { failed: boolean; slow: boolean }): TripReason | undefined {
    this.#window.record(outcome);
    if (!outcome.failed && !outcome.slow) this.#streak = { failures: 0, slow: 0 };
    else {
      this.#streak.failures++;
      if (outcome.slow) this.#streak.slow++;
      if (this.#streak.failures >= this.#rules.consecutiveFailures)
        return this.#streak.slow === this.#streak.failures ? 'slow-calls' : 'consecutive';
    }
    const r = this.#window.rates();
    if (r.calls < this.#rules.minimumCalls) return undefined;
    if (r.errorRate >= this.#rules.failureRateThreshold) return 'error-rate';
    return r.slowRate >= this.#rules.slowCallRateThreshold ? 'slow-calls' : undefined;
  }

  consecutiveFailures(): number {
    return this.#streak.failures;
  }

  rates(): OutcomeRates {
    return this.#window.rates();
  }

  clear(): void {
    this.#window.clear();
    this.#streak = { failures: 0, slow: 0 };
  }
}
