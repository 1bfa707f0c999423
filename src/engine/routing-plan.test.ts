import { describe, expect, it } from 'vitest';
import { transportFailure } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import type { Route, Target } from '../config/types.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { fixedRandom } from '../resilience/random.js';
import { Router } from '../routing/router.js';
import { routeRoutingSchema } from '../routing/schema.js';
import { BreakerHealth } from './breaker-health.js';
import { RequestEvents } from '../core/request-events.js';
import type { RequestState } from './request-state.js';
import { planRequest } from './routing-plan.js';

const t = (id: string, tier = 1): Target => ({ id, model: id, tier, provider: { id: 'p' } }) as Target;
const targets = [t('a'), t('b'), t('c'), t('d', 2)];
const signal = new AbortController().signal;

function setup(routing: object) {
  const clock = new ManualClock();
  const health = new BreakerHealth({
    clock,
    random: fixedRandom(0),
    breakers: { breaker: { consecutiveFailures: 1 }, panicThreshold: 0 },
  });
  const router = new Router({ clock, wallNow: () => clock.wallNow(), random: fixedRandom(0) });
  const route = { name: 'r', targets, routing: routeRoutingSchema.parse(routing) } as Route;
  const plan = (tierFloor?: number) => {
    const state = {
      call: { route, requestId: 'x', ...(tierFloor ? { routing: { tierFloor } } : {}) },
      body: {},
      events: new RequestEvents(new EventBus()),
      skips: [],
    } as unknown as RequestState;
    const p = planRequest(health, router, targets, state);
    return {
      ids: p.targets.map((x) => x.id),
      panic: p.panic,
      skips: [...state.skips, ...(p.skipped ?? [])].map((s) => `${s.target}:${s.reason}`),
    };
  };
  const open = async (target: Target) => {
    const a = await health.admit(target, { panic: false, signal });
    if (!a.ok) throw new Error(a.reason);
    a.done({ ok: false, failure: transportFailure('upstream_503', 'down'), durationMs: 5 });
  };
  return { plan, open };
}

describe('the plan in three steps: routing filters → health → policy order', () => {
  it('the policy orders only what health lets through; the round-robin goes on among them', async () => {
    const { plan, open } = setup({ policy: 'weighted', weights: { a: 1, b: 1, c: 1 } });
    await open(targets[1]!);
    const firsts = Array.from({ length: 6 }, () => plan().ids);
    expect(firsts.every((ids) => !ids.includes('b') && ids.at(-1) === 'd')).toBe(true);
    expect(firsts.map((ids) => ids[0])).toEqual(['a', 'c', 'a', 'c', 'a', 'c']);
    expect(plan().skips).toEqual(['b:breaker-open']);
  });

  it('a tier floor holds even in panic: every target within it open → only those, never the next tier', async () => {
    const { plan, open } = setup({ policy: 'least-latency' });
    for (const x of targets.slice(0, 3)) await open(x);
    const p = plan(1);
    expect(p.panic).toBe(true);
    expect(p.ids.sort()).toEqual(['a', 'b', 'c']);
    expect(p.skips).toContain('d:tier-floor');
    // Without the floor the degraded tier is the healthy choice.
    expect(plan().ids[0]).toBe('d');
  });
});
