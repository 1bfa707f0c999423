/** Applying another instance's deadline to a local breaker or cooldown (TargetHealth.holdOut). */
import { describe, expect, it } from 'vitest';
import type { Target } from '../config/types.js';
import { BreakerHealth } from '../engine/breaker-health.js';
import { CooldownHealth } from '../engine/cooldown-health.js';
import { CircuitBreaker } from '../resilience/circuit-breaker.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { fixedRandom } from '../resilience/random.js';

const target = { id: 'p/m', model: 'm', tier: 1 } as Target;

describe('holdOpenUntil', () => {
  it('opens a closed breaker until then, extends to a later deadline, never shortens, is no trip', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker({ clock, random: fixedRandom(0) });
    const transitions: string[] = [];
    breaker.onTransition((t) => transitions.push(`${t.from}>${t.to}:${t.reason}`));
    breaker.holdOpenUntil(clock.now() + 10_000, 'consecutive', false);
    expect(breaker.state).toBe('open');
    expect(breaker.openUntil()).toBe(clock.now() + 10_000);
    breaker.holdOpenUntil(clock.now() + 5_000, 'consecutive', false);
    expect(breaker.openUntil()).toBe(clock.now() + 10_000);
    breaker.holdOpenUntil(clock.now() + 20_000, 'error-rate', false);
    expect(breaker.openUntil()).toBe(clock.now() + 20_000);
    expect(breaker.snapshot().consecutiveTrips).toBe(0);
    expect(transitions).toEqual(['closed>open:consecutive']);
    breaker.holdOpenUntil(clock.now() - 1, 'consecutive', false); // already past: nothing
    clock.advance(20_000);
    expect(breaker.state).toBe('half-open');
    expect(breaker.openUntil()).toBeNull();
  });

  it('a cooldown is a rate-limit open that keeps its own deadline', () => {
    const clock = new ManualClock();
    const health = new BreakerHealth({ clock, random: fixedRandom(0) });
    health.holdOut(target.id, clock.now() + 8_000, 'cooldown', 'upstream_429');
    const s = health.status([target])[0]!;
    expect(s).toMatchObject({ state: 'open', trippedBy: 'rate-limit', cooldownUntil: clock.now() + 8_000 });
    expect(health.outUntil(target.id)).toBe(clock.now() + 8_000);
    health.holdOut(target.id, clock.now() + 3_000, 'open', 'nonsense-reason');
    expect(health.outUntil(target.id)).toBe(clock.now() + 8_000);
  });

  it('CooldownHealth keeps the later deadline', () => {
    const clock = new ManualClock();
    const health = new CooldownHealth(clock);
    health.holdOut(target.id, clock.now() + 8_000, 'cooldown', 'upstream_429');
    health.holdOut(target.id, clock.now() + 2_000, 'cooldown', 'upstream_429');
    expect(health.outUntil(target.id)).toBe(clock.now() + 8_000);
    clock.advance(8_000);
    expect(health.outUntil(target.id)).toBeUndefined();
  });
});
