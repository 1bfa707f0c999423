import { describe, expect, it } from 'vitest';
import type { Route, Target } from '../config/types.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { mulberry32 } from '../resilience/random.js';
import { EventBus } from '../core/events.js';
import { RequestEvents } from '../core/request-events.js';
import { Router, type RequestRouting } from './router.js';
import { routeRoutingSchema, type RouteRouting } from './schema.js';

const target = (id: string, extra: Partial<Target> = {}): Target =>
  ({ id, model: id.split('/')[1]!, tier: 1, provider: { id: id.split('/')[0]! }, ...extra }) as Target;

const route = (targets: Target[], routing?: Partial<RouteRouting>): Route =>
  ({
    name: 'r',
    targets,
    ...(routing ? { routing: routeRoutingSchema.parse(routing) } : {}),
  }) as Route;

function setup(seed = 1) {
  const clock = new ManualClock();
  const router = new Router({ clock, wallNow: () => clock.wallNow(), random: mulberry32(seed) });
  /** The order a request would try: what health gives when every target is healthy. */
  const plan = (r: Route, routing?: RequestRouting, body: unknown = { messages: [] }, stream = true) => {
    const events = new RequestEvents(new EventBus());
    const { trace } = events;
    const scope = { events, requestId: 'x', route: r.name };
    const prepared = router.prepare(r, r.targets, { ...(routing ? { routing } : {}), stream, body }, scope);
    if (!prepared) return { ids: r.targets.map((t) => t.id), trace, skipped: [] };
    const ordered = prepared.order ? prepared.order(prepared.targets) : prepared.targets;
    return { ids: ordered.map((t) => t.id), trace, skipped: prepared.skipped };
  };
  return { clock, router, plan };
}

describe('priority', () => {
  it('costs nothing: no routing settings, nothing asked, no drains → no work at all', () => {
    const { router } = setup();
    const r = route([target('a/x'), target('b/y')]);
    const scope = { events: new RequestEvents(new EventBus()), requestId: 'x', route: r.name };
    expect(router.prepare(r, r.targets, { stream: false, body: {} }, scope)).toBeUndefined();
  });
});

describe('weighted (smooth weighted round-robin)', () => {
  it('70/30 is exact over every window of 10 requests, and interleaved', () => {
    const { plan } = setup();
    const r = route([target('a/x'), target('b/y')], { policy: 'weighted', weights: { 'a/x': 7, 'b/y': 3 } });
    const firsts = Array.from({ length: 100 }, () => plan(r).ids[0]);
    for (let w = 0; w < 100; w += 10) {
      const window = firsts.slice(w, w + 10);
      expect(window.filter((id) => id === 'a/x')).toHaveLength(7);
    }
    // Smooth: never more than three of a's turns in a row.
    expect(firsts.join(',')).not.toContain('a/x,a/x,a/x,a/x');
  });

  it('99/1 canary: exactly one request in each 100 goes to the canary first', () => {
    const { plan } = setup();
    const r = route([target('a/x'), target('b/y')], { policy: 'weighted', weights: { 'a/x': 99, 'b/y': 1 } });
    const firsts = Array.from({ length: 300 }, () => plan(r).ids[0]);
    for (let w = 0; w < 300; w += 100)
      expect(firsts.slice(w, w + 100).filter((id) => id === 'b/y')).toHaveLength(1);
  });

  it('the others follow as failover, heaviest first; weight 0 only ever fails over', () => {
    const { plan } = setup();
    const r = route([target('a/x'), target('b/y'), target('c/z')], {
      policy: 'weighted',
      weights: { 'a/x': 1, 'b/y': 3 },
    });
    const orders = Array.from({ length: 8 }, () => plan(r).ids);
    expect(orders.every((o) => o[2] === 'c/z')).toBe(true);
    expect(orders.filter((o) => o[0] === 'b/y')).toHaveLength(6);
    expect(
      plan(r)
        .trace.filter((e) => e.action === 'rank')
        .map((e) => e.result),
    ).toEqual(['weighted:weight=1', 'weighted:weight=3', 'weighted:weight=0']);
  });
});

describe('least-latency (peak EWMA, power of two choices, exploration)', () => {
  /** Each request goes to the first target of its plan, which answers in latency[id] ms. */
  function simulate(
    router: Router,
    clock: ManualClock,
    plan: ReturnType<typeof setup>['plan'],
    r: Route,
    latency: Record<string, number>,
    n: number,
  ): string[] {
    const firsts: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = plan(r).ids[0]!;
      firsts.push(id);
      clock.advance(50);
      router.stats.ended({
        target: id,
        outcome: 'ok',
        durationMs: latency[id]! + 500,
        ttftMs: latency[id]!,
        countsAgainstBreaker: false,
      });
    }
    return firsts;
  }

  it('moves traffic off a target that slows within a bounded number of requests, and back after it recovers', () => {
    const { router, clock, plan } = setup(42);
    const r = route([target('a/x'), target('b/y'), target('c/z')], {
      policy: 'least-latency',
      exploration: 0.02,
    });
    const latency = { 'a/x': 200, 'b/y': 210, 'c/z': 220 };
    const warm = simulate(router, clock, plan, r, latency, 300);
    expect(new Set(warm.slice(-100)).size).toBe(3); // all three share while they are alike
    latency['b/y'] = 3_000; // b slows
    const slowed = simulate(router, clock, plan, r, latency, 400);
    const firstAfter = slowed.indexOf('b/y');
    // After its first slow answer b is first only by exploration: at most a few percent.
    const after = slowed.slice(firstAfter + 1);
    expect(firstAfter).toBeLessThan(10);
    expect(after.filter((id) => id === 'b/y').length).toBeLessThanOrEqual(after.length * 0.04);
    latency['b/y'] = 190; // b recovers
    const recovered = simulate(router, clock, plan, r, latency, 600);
    const back = recovered.findIndex(
      (id, i) => recovered.slice(i, i + 100).filter((x) => x === 'b/y').length >= 20,
    );
    expect(back).toBeGreaterThanOrEqual(0);
    expect(back).toBeLessThan(400);
  });

  it('ranks streams by time to first token, never by TTFT per token', () => {
    const { router, plan } = setup(3);
    const r = route([target('a/x'), target('b/y')], { policy: 'least-latency', exploration: 0 });
    // a: quick first token, short answers; b: slow first token, long answers (high TTFT/token ratio would favour b).
    router.stats.ended({
      target: 'a/x',
      outcome: 'ok',
      durationMs: 600,
      ttftMs: 100,
      tokens: { prompt: 1, completion: 10, estimated: false },
      countsAgainstBreaker: false,
    });
    router.stats.ended({
      target: 'b/y',
      outcome: 'ok',
      durationMs: 9_000,
      ttftMs: 1_000,
      tokens: { prompt: 1, completion: 2_000, estimated: false },
      countsAgainstBreaker: false,
    });
    for (let i = 0; i < 20; i++) expect(plan(r).ids[0]).toBe('a/x');
  });

  it('weighs load: a target with many attempts in flight loses to an idle one that is a bit slower', () => {
    const { router, plan } = setup(5);
    const r = route([target('a/x'), target('b/y')], { policy: 'least-latency', exploration: 0 });
    router.stats.ended({
      target: 'a/x',
      outcome: 'ok',
      durationMs: 500,
      ttftMs: 100,
      countsAgainstBreaker: false,
    });
    router.stats.ended({
      target: 'b/y',
      outcome: 'ok',
      durationMs: 500,
      ttftMs: 150,
      countsAgainstBreaker: false,
    });
    expect(plan(r).ids[0]).toBe('a/x');
    for (let i = 0; i < 3; i++) router.stats.started('a/x');
    expect(plan(r).ids[0]).toBe('b/y');
  });
});

describe('lowest-cost', () => {
  const prices = {
    dear: target('a/dear', { price: { input: 10, output: 30 } }),
    cheap: target('b/cheap', { price: { input: 0.1, output: 0.4 } }),
    mid: target('c/mid', { price: { input: 1, output: 2 } }),
    unknown: target('d/custom'),
    known: target('e/gpt-4o-mini'), // a built-in default price
  };

  it('cheapest first from prompt size and max_tokens; built-in defaults; unknown prices last', () => {
    const { plan } = setup();
    const r = route([prices.dear, prices.unknown, prices.mid, prices.cheap, prices.known], {
      policy: 'lowest-cost',
    });
    const body = { messages: [{ role: 'user', content: 'x'.repeat(4000) }], max_tokens: 100 };
    expect(plan(r, undefined, body).ids).toEqual(['b/cheap', 'e/gpt-4o-mini', 'c/mid', 'a/dear', 'd/custom']);
  });

  it('a configured price overrides the built-in default', () => {
    const { plan } = setup();
    const overridden = target('e/gpt-4o-mini', { price: { input: 100, output: 100 } });
    const r = route([overridden, prices.mid], { policy: 'lowest-cost' });
    expect(plan(r).ids).toEqual(['c/mid', 'e/gpt-4o-mini']);
  });

  it('output-heavy requests can change the order (max_tokens counts)', () => {
    const { plan } = setup();
    const inputCheap = target('a/in', { price: { input: 0.1, output: 20 } });
    const outputCheap = target('b/out', { price: { input: 2, output: 1 } });
    const r = route([inputCheap, outputCheap], { policy: 'lowest-cost' });
    const long = { messages: [{ role: 'user', content: 'x'.repeat(40_000) }], max_tokens: 10 };
    const short = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4000 };
    expect(plan(r, undefined, long).ids[0]).toBe('a/in');
    expect(plan(r, undefined, short).ids[0]).toBe('b/out');
  });
});

describe('cost caps', () => {
  it('a target past its daily cap is skipped (and says so) until the next UTC day', () => {
    const { router, clock, plan } = setup();
    const r = route([prices2.cheap, prices2.dear], {
      policy: 'lowest-cost',
      targetCaps: { 'b/cheap': { dailyUsd: 1 } },
    });
    expect(plan(r).ids).toEqual(['b/cheap', 'a/dear']);
    router.spend.add('target:b/cheap', 1.2);
    const capped = plan(r);
    expect(capped.ids).toEqual(['a/dear']);
    expect(capped.skipped).toEqual([
      { target: 'b/cheap', reason: 'cost-cap', detail: 'cost-cap:target:day:1.2000>=1' },
    ]);
    clock.setWallNow(Date.UTC(2026, 0, 2, 0, 0, 1));
    expect(plan(r).ids).toEqual(['b/cheap', 'a/dear']);
  });

  it('a route past its cap is refused with a 429 naming it; monthly caps reset with the month', () => {
    const { router, clock } = setup();
    const r = route([prices2.cheap], { cap: { monthlyUsd: 5 } });
    expect(router.capRefusal(r)).toBeUndefined();
    router.spend.add('route:r', 5);
    const refusal = router.capRefusal(r)!;
    expect(refusal.status).toBe(429);
    expect(refusal.code).toBe('cost_cap_reached');
    expect(refusal.message).toContain('monthly spend cap of the route "r"');
    clock.setWallNow(Date.UTC(2026, 1, 1));
    expect(router.capRefusal(r)).toBeUndefined();
  });
});

const prices2 = {
  dear: target('a/dear', { price: { input: 10, output: 30 } }),
  cheap: target('b/cheap', { price: { input: 0.1, output: 0.4 } }),
};

describe('balanced', () => {
  it('weighs price, TTFT, throughput and errors per the route weights', () => {
    const { router, plan } = setup();
    const fastDear = target('a/fast', { price: { input: 10, output: 30 } });
    const slowCheap = target('b/slow', { price: { input: 0.1, output: 0.4 } });
    router.stats.ended({
      target: 'a/fast',
      outcome: 'ok',
      durationMs: 1_000,
      ttftMs: 100,
      countsAgainstBreaker: false,
    });
    router.stats.ended({
      target: 'b/slow',
      outcome: 'ok',
      durationMs: 5_000,
      ttftMs: 2_000,
      countsAgainstBreaker: false,
    });
    const costMinded = route([fastDear, slowCheap], {
      policy: 'balanced',
      balanced: { cost: 1, ttft: 0.1, throughput: 0, errors: 1 },
    });
    const speedMinded = route([fastDear, slowCheap], {
      policy: 'balanced',
      balanced: { cost: 0.01, ttft: 1, throughput: 0, errors: 1 },
    });
    expect(plan(costMinded).ids[0]).toBe('b/slow');
    expect(plan(speedMinded).ids[0]).toBe('a/fast');
    // Errors count: the cheap one failing most of its calls loses even for the cost-minded route.
    for (let i = 0; i < 20; i++)
      router.stats.ended({ target: 'b/slow', outcome: 'retry', durationMs: 100, countsAgainstBreaker: true });
    expect(plan(costMinded).ids[0]).toBe('a/fast');
    expect(plan(costMinded).trace.some((e) => e.action === 'rank' && e.result.startsWith('balanced:'))).toBe(
      true,
    );
  });
});

describe('tier floors', () => {
  const tiers = [
    target('a/t1', { tier: 1 }),
    target('b/t1', { tier: 1 }),
    target('c/t2', { tier: 2 }),
    target('d/t3', { tier: 3 }),
  ];

  it('targets past the floor are never in the plan; a policy reorders within a tier only', () => {
    const { plan } = setup();
    const r = route(tiers, { policy: 'weighted', weights: { 'b/t1': 1, 'd/t3': 100 } });
    for (let i = 0; i < 10; i++) {
      const p = plan(r, { tierFloor: 2 });
      expect(p.ids).toEqual(['b/t1', 'a/t1', 'c/t2']);
      expect(p.skipped).toEqual([{ target: 'd/t3', reason: 'tier-floor', detail: 'tier-floor:3>2' }]);
    }
    expect(plan(r, { tierFloor: 1 }).ids).toEqual(['b/t1', 'a/t1']);
  });

  it('the route floor applies when the request names none', () => {
    const { plan } = setup();
    expect(plan(route(tiers, { tierFloor: 1 })).ids).toEqual(['a/t1', 'b/t1']);
  });
});

describe('regions', () => {
  const eu = target('eu/m', { region: 'eu' });
  const us = target('us/m', { region: 'us' });
  const us2 = target('us2/m', { region: 'us', tier: 2 });

  it('the preferred region goes first within a tier, the others after; never across a tier', () => {
    const { plan } = setup();
    const r = route([us, eu, us2]);
    expect(plan(r, { region: 'eu' }).ids).toEqual(['eu/m', 'us/m', 'us2/m']);
    expect(plan(r, { region: 'us' }).ids).toEqual(['us/m', 'eu/m', 'us2/m']);
  });

  it('a drained region is skipped until undrained', () => {
    const { router, plan } = setup();
    const r = route([us, eu]);
    router.drain('us');
    const p = plan(r);
    expect(p.ids).toEqual(['eu/m']);
    expect(p.skipped).toEqual([{ target: 'us/m', reason: 'region-drained', detail: 'region-drained:us' }]);
    expect(router.drainedRegions()).toEqual(['us']);
    router.undrain('us');
    expect(plan(r).ids).toEqual(['us/m', 'eu/m']);
  });
});

describe('per-request overrides', () => {
  it('pin keeps only the pinned target; skip drops the named ones', () => {
    const { plan } = setup();
    const r = route([target('a/x'), target('b/y'), target('c/z')], { policy: 'lowest-cost' });
    expect(plan(r, { pin: 'b/y' }).ids).toEqual(['b/y']);
    expect(plan(r, { skip: ['a/x', 'c/z'] }).ids).toEqual(['b/y']);
  });
});
