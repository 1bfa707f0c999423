/**
 * One circuit breaker per target id, created on first use with shared options, and the two
 * route-level rules that sit above single breakers:
 *
 * 1. Selection (`select`): targets whose breaker would refuse an attempt now (open, cooling down, or
 *    half-open with every probe slot taken) are skipped, but never all of them, and never so many that
 *    the survivors drown: when the usable share of a route falls below `panicThreshold` (default 50 %,
 *    Envoy's `healthy_panic_threshold`), or nothing is usable (never eject the last target: reliability
 *    reference §4.2), the route is in **panic**: every target is returned, least bad first (closed,
 *    then half-open, then open by soonest probe), and the engine asks each breaker with
 *    `permit({ panic: true })`. Panic only moves unhealthy targets to the back instead of dropping
 *    them, so healthy targets still take the traffic first. `panicThreshold` 0 keeps only the
 *    last-target rule.
 * 2. Gradual return (`order`): a target in slow start keeps its place in the order only for its
 *    weight's share of requests and is otherwise moved behind the others (`weightedOrder` in
 *    slow-start.ts), so a recovered target gets 10 % of its traffic at first and all of it after the
 *    ramp (Envoy slow start, §4.3), never everything at once. Draws come from the injected Random.
 */
import type { Clock, Random } from '../core/clock.js';
import {
  CircuitBreaker,
  type BreakerSnapshot,
  type CircuitBreakerOptions,
  type Denial,
  type BreakerTransition,
} from './circuit-breaker.js';
import type { LatencyWindowOptions } from './latency-window.js';
import { LatencyWindow } from './latency-window.js';
import { weightedOrder } from './slow-start.js';

export interface BreakerRegistryOptions {
  /** Options for every breaker the registry creates. */
  breaker: Partial<CircuitBreakerOptions>;
  /** Options for each breaker's latency window. */
  latency: Partial<LatencyWindowOptions>;
  /** Panic when the usable share of a route's targets is below this (0 disables, but see above). */
  panicThreshold: number;
}

/** Envoy `healthy_panic_threshold` 50 % (reliability reference §1.1, §4.2). */
export const DEFAULT_BREAKER_REGISTRY: Readonly<BreakerRegistryOptions> = Object.freeze({
  breaker: {},
  latency: {},
  panicThreshold: 0.5,
});

export interface SkippedTarget {
  id: string;
  reason: Denial['reason'];
  retryInMs: number;
}

export interface Selection {
  /** Targets to try, in order. In panic mode: all of them, least bad first. */
  usable: string[];
  /** Targets left out, with why and when they may be tried again (empty in panic mode). */
  skipped: SkippedTarget[];
  panic: boolean;
}

export class BreakerRegistry {
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #clock: Pick<Clock, 'now'>;
  readonly #random: Random;
  readonly #opts: BreakerRegistryOptions;
  readonly #listeners: ((id: string, transition: BreakerTransition) => void)[] = [];

  constructor(deps: {
    clock: Pick<Clock, 'now'>;
    random: Random;
    options?: Partial<BreakerRegistryOptions>;
  }) {
    this.#clock = deps.clock;
    this.#random = deps.random;
    this.#opts = { ...DEFAULT_BREAKER_REGISTRY, ...deps.options };
  }

  /** The breaker of `id`, created (closed) on first use. */
  get(id: string): CircuitBreaker {
    let breaker = this.#breakers.get(id);
    if (!breaker) {
      breaker = new CircuitBreaker({
        clock: this.#clock,
        random: this.#random,
        options: this.#opts.breaker,
        latency: new LatencyWindow(this.#clock, this.#opts.latency),
      });
      this.#breakers.set(id, breaker);
      breaker.onTransition((transition) => {
        for (const listener of this.#listeners) listener(id, transition);
      });
    }
    return breaker;
  }

  /** Calls `listener` on every state change of every breaker (the engine moves waiting requests). */
  onTransition(listener: (id: string, transition: BreakerTransition) => void): void {
    this.#listeners.push(listener);
  }

  /** Splits a route's targets (in policy order) into usable and skipped, or panics (see above). */
  select(targets: readonly string[]): Selection {
    const usable: string[] = [];
    const skipped: SkippedTarget[] = [];
    for (const id of targets) {
      const verdict = this.get(id).peek();
      if (verdict.allowed) usable.push(id);
      else skipped.push({ id, reason: verdict.reason, retryInMs: verdict.retryInMs });
    }
    const healthyShare = targets.length === 0 ? 1 : usable.length / targets.length;
    const panic = skipped.length > 0 && (usable.length === 0 || healthyShare < this.#opts.panicThreshold);
    if (!panic) return { usable, skipped, panic: false };
    const rank = (id: string): [number, number] => {
      const verdict = this.get(id).peek();
      if (verdict.allowed) return [verdict.probe ? 1 : 0, 0];
      return verdict.reason === 'half-open-full' ? [1, 0] : [2, verdict.retryInMs];
    };
    const ranked = targets.map((id, index) => ({ id, index, rank: rank(id) }));
    ranked.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.index - b.index);
    return { usable: ranked.map((r) => r.id), skipped: [], panic: true };
  }

  /** Reorders targets so those in slow start take only their weight's share of first places. */
  order(targets: readonly string[]): string[] {
    return weightedOrder(targets, (id) => this.get(id).weight(), this.#random);
  }

  /** Every known breaker's state, for the status endpoint. */
  snapshot(): Array<BreakerSnapshot & { id: string }> {
    return [...this.#breakers].map(([id, breaker]) => ({ id, ...breaker.snapshot() }));
  }
}
