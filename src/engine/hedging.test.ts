import { describe, expect, it } from 'vitest';
import type { Route, Target } from '../config/types.js';
import { EventBus } from '../core/events.js';
import { RequestEvents } from '../core/request-events.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import { CooldownHealth } from './cooldown-health.js';
import type { TargetHealth } from './health.js';
import { HedgePolicy } from './hedging.js';
import type { RequestState } from './request-state.js';

const target = { id: 'p/m' } as Target;
const route = (hedge: Route['hedge']): Route => ({ name: 'r', targets: [target], hedge }) as Route;
const hedge = { delayMs: 800, delayFromP95: false, minDelayMs: 200, maxHedges: 1, maxRatio: 1 };

function setup(health: TargetHealth = new CooldownHealth({ now: () => 0 })) {
  const clock = new ManualClock();
  const budget = new RetryBudget({ clock });
  const events = new RequestEvents(new EventBus());
  const state = {
    call: { requestId: 'x', route: { name: 'r' } },
    events,
    trace: events.trace,
  } as unknown as RequestState;
  return { clock, budget, state, policy: new HedgePolicy({ clock, budget, health }) };
}

describe('HedgePolicy', () => {
  it('fires after the delay counted from the last launch, and not before', async () => {
    const { clock, state, policy } = setup();
    const timer = policy.start(route(hedge), state, target);
    clock.advance(500);
    timer.launched();
    let fired = false;
    void timer.next()!.then(() => (fired = true));
    clock.advance(799);
    await Promise.resolve();
    expect(fired).toBe(false);
    clock.advance(1);
    await Promise.resolve();
    expect(fired).toBe(true);
  });

  it('uses the primary p95 time to first token when asked, never below the minimum', () => {
    const health = {
      ...new CooldownHealth({ now: () => 0 }),
      p95TtftMs: () => 120,
    } as unknown as TargetHealth;
    const { state, policy } = setup(health);
    expect(policy.start(route({ ...hedge, delayFromP95: true }), state, target).delayMs).toBe(200);
    const slow = { p95TtftMs: () => 950 } as unknown as TargetHealth;
    expect(setup(slow).policy.start(route({ ...hedge, delayFromP95: true }), state, target).delayMs).toBe(
      950,
    );
    expect(policy.start(route(hedge), state, target).delayMs).toBe(800);
  });

  it('allows at most maxHedges per request and none without a hedge section', () => {
    const { state, policy } = setup();
    const timer = policy.start(route(hedge), state, target);
    expect(timer.allow()).toBe(true);
    expect(timer.allow()).toBe(false);
    expect(timer.next()).toBeUndefined();
    expect(policy.start(route(undefined), state, target).next()).toBeUndefined();
  });

  it('is refused, and says so, when the hedge cap is spent', () => {
    const { state, policy } = setup();
    const capped = { ...hedge, maxRatio: 0 };
    // The floor allows one hedge per 10 s window.
    expect(policy.start(route(capped), state, target).allow()).toBe(true);
    expect(policy.start(route(capped), state, target).allow()).toBe(false);
    expect(state.trace.at(-1)).toEqual({ target: 'p/m', action: 'skip', result: 'no-hedge:budget' });
  });
});
