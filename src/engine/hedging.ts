/**
 * Hedged requests (opt-in per route): when the running attempt has produced no first token after the
 * hedge delay — fixed, or the primary target's measured p95 time to first token — the next target
 * starts in parallel. Hedges are a kind of retry: each draws from the primary target's retry budget,
 * and all of a route's hedges together are capped to a share of its requests (default 5 %).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Route, Target } from '../config/types.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import type { TargetHealth } from './health.js';
import type { RequestState } from './request-state.js';

export interface HedgeTimer {
  /** The delay in force for this request. */
  readonly delayMs: number;
  /** Resolves with 'hedge' when the delay since the last launch has passed; undefined when no hedge may come. */
  next(): Promise<'hedge'> | undefined;
  /** Stops a pending `next()` timer (its promise then never resolves). */
  cancel(): void;
  /** An attempt was launched: the delay counts from now. */
  launched(): void;
  /** Whether a hedge may start now (count, hedge cap, retry budget); traces a refusal. */
  allow(): boolean;
}

const NO_HEDGE: HedgeTimer = {
  delayMs: 0,
  next: () => undefined,
  cancel: () => undefined,
  launched: () => undefined,
  allow: () => false,
};

export class HedgePolicy {
  /** Hedges per route, as a share of the route's requests. */
  private readonly caps = new Map<string, RetryBudget>();

  constructor(private readonly deps: { clock: Clock; budget: RetryBudget; health: TargetHealth }) {}

  start(route: Route, state: RequestState, primary: Target | undefined): HedgeTimer {
    const settings = route.hedge;
    if (!settings || !primary) return NO_HEDGE;
    const { clock, budget, health } = this.deps;
    const cap = this.capFor(route);
    cap.recordRequest(route.name);
    const p95 = settings.delayFromP95 ? health.p95TtftMs(primary) : undefined;
    const delayMs = p95 !== undefined ? Math.max(settings.minDelayMs, Math.round(p95)) : settings.delayMs;
    let hedges = 0;
    let armedAt = clock.now();
    let timer: TimerHandle | undefined;
    let refused = false;
    return {
      delayMs,
      next() {
        if (refused || hedges >= settings.maxHedges) return undefined;
        return new Promise((resolve) => {
          timer = clock.setTimeout(() => resolve('hedge'), Math.max(0, armedAt + delayMs - clock.now()));
        });
      },
      cancel() {
        if (timer) clock.clearTimeout(timer);
        timer = undefined;
      },
      launched() {
        armedAt = clock.now();
      },
      allow() {
        if (hedges >= settings.maxHedges) return false;
        if (!budget.tryAcquireRetry(primary.id) || !cap.tryAcquireRetry(route.name)) {
          refused = true;
          const { requestId, route: r } = state.call;
          state.events.publish('budget.exhausted', {
            target: primary.id,
            kind: 'hedge',
            requestId,
            route: r.name,
          });
          return false;
        }
        hedges++;
        return true;
      },
    };
  }

  /** The route's hedge cap (shared across instances with Redis: src/state/shared-budgets.ts). */
  capFor(route: Route): RetryBudget {
    let cap = this.caps.get(route.name);
    if (!cap) {
      cap = new RetryBudget({ clock: this.deps.clock, ratio: route.hedge!.maxRatio, floorPerSecond: 0.1 });
      this.caps.set(route.name, cap);
    }
    return cap;
  }
}
