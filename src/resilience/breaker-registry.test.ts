import { describe, expect, it } from 'vitest';
import { transportFailure } from '../core/errors.js';
import { BreakerRegistry } from './breaker-registry.js';
import type { Grant } from './circuit-breaker.js';
import { ManualClock } from './manual-clock.js';
import { fixedRandom, mulberry32 } from './random.js';
import type { Random } from '../core/clock.js';

const err503 = transportFailure('upstream_503', 'down');

type Options = ConstructorParameters<typeof BreakerRegistry>[0]['options'];

/** A registry on a manual clock; `fixedRandom(0)` makes open durations exact (no jitter). */
function setup(options: Options = {}, random: Random = fixedRandom(0)) {
  const clock = new ManualClock();
  return { clock, registry: new BreakerRegistry({ clock, random, options }) };
}

/** Opens `id`'s closed breaker: five failures (30 s), or a 429 with a reset of `cooldownMs`. */
function open(registry: BreakerRegistry, id: string, cooldownMs?: number): void {
  const breaker = registry.get(id);
  if (cooldownMs !== undefined) {
    const grant = breaker.permit() as Grant;
    breaker.onFailure(grant, { ...err503, reason: 'upstream_429', retryAfterMs: cooldownMs, breaker: false });
    return;
  }
  for (let i = 0; i < 5; i++) breaker.onFailure(breaker.permit() as Grant, err503);
}

describe('BreakerRegistry.select', () => {
  it('creates closed breakers lazily and keeps every healthy target in order', () => {
    const { registry } = setup();
    expect(registry.select(['a', 'b', 'c'])).toEqual({ usable: ['a', 'b', 'c'], skipped: [], panic: false });
    expect(registry.get('a')).toBe(registry.get('a'));
    expect(registry.snapshot().map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it('skips an open target with its reason and time to probe', () => {
    const { registry, clock } = setup();
    open(registry, 'a');
    clock.advance(10_000);
    expect(registry.select(['a', 'b'])).toEqual({
      usable: ['b'],
      skipped: [{ id: 'a', reason: 'open', retryInMs: 20_000 }],
      panic: false,
    });
  });

  it('never ejects the last target of a route', () => {
    const { registry } = setup({ panicThreshold: 0 });
    open(registry, 'only');
    expect(registry.select(['only'])).toEqual({ usable: ['only'], skipped: [], panic: true });
    open(registry, 'b');
    expect(registry.select(['only', 'b']).usable).toEqual(['only', 'b']);
    expect(registry.get('only').permit({ panic: true }).allowed).toBe(true);
  });

  it('panics when fewer than half are usable, ordering closed > half-open > open by soonest probe', () => {
    const { registry, clock } = setup();
    open(registry, 'late', 120_000); // cooling for 120 s
    open(registry, 'probing');
    clock.advance(30_000); // 'probing' reaches half-open; 'late' has 90 s to go
    for (let i = 0; i < 3; i++) registry.get('probing').permit(); // every probe slot taken
    open(registry, 'soon'); // open for 30 s
    const result = registry.select(['late', 'soon', 'probing', 'healthy']);
    expect(result.panic).toBe(true);
    expect(result.skipped).toEqual([]);
    expect(result.usable).toEqual(['healthy', 'probing', 'soon', 'late']);
  });

  it('does not panic at exactly half usable (the default threshold is 50 %)', () => {
    const { registry } = setup();
    open(registry, 'a');
    expect(registry.select(['a', 'b'])).toMatchObject({ usable: ['b'], panic: false });
    open(registry, 'c');
    expect(registry.select(['a', 'b', 'c'])).toMatchObject({ usable: ['b', 'a', 'c'], panic: true });
  });

  it('handles an empty route', () => {
    expect(setup().registry.select([])).toEqual({ usable: [], skipped: [], panic: false });
  });
});

describe('BreakerRegistry.order: gradual return after recovery', () => {
  it('sends a recovering target ~10 %, ~50 %, then 100 % of 1000 requests at t = 0, 30 s, 60 s', () => {
    const { registry, clock } = setup({ breaker: { openJitter: 0 } }, mulberry32(42));
    open(registry, 'primary');
    clock.advance(30_000);
    const probes = [0, 1, 2].map(() => registry.get('primary').permit() as Grant);
    for (const p of probes) registry.get('primary').onSuccess(p, {});
    expect(registry.get('primary').state).toBe('closed');

    const share = (): number => {
      let first = 0;
      for (let i = 0; i < 1_000; i++) {
        const { usable } = registry.select(['primary', 'backup']);
        if (registry.order(usable)[0] === 'primary') first++;
      }
      return first;
    };
    const atStart = share();
    clock.advance(30_000);
    const atHalf = share();
    clock.advance(30_000);
    const atEnd = share();
    expect(atStart).toBeGreaterThan(70);
    expect(atStart).toBeLessThan(130);
    expect(atHalf).toBeGreaterThan(450);
    expect(atHalf).toBeLessThan(550);
    expect(atEnd).toBe(1_000);
  });

  it('keeps a demoted target as a fallback, and open targets last', () => {
    const { registry } = setup();
    open(registry, 'a');
    expect(registry.order(['a', 'b', 'c'])).toEqual(['b', 'c', 'a']);
  });
});
