import { describe, expect, it } from 'vitest';
import { Cooldowns } from './cooldowns.js';

describe('Cooldowns', () => {
  const clockAt = (t: { now: number }) => ({ now: () => t.now });

  it('keeps a target out until the cooldown ends', () => {
    const t = { now: 0 };
    const c = new Cooldowns(clockAt(t));
    c.coolFor('a', 1000, 'upstream_quota');
    expect(c.active('a')?.reason).toBe('upstream_quota');
    t.now = 999;
    expect(c.remaining('a')).toBe(1);
    t.now = 1000;
    expect(c.active('a')).toBeUndefined();
  });

  it('never shortens a longer cooldown already in force', () => {
    const t = { now: 0 };
    const c = new Cooldowns(clockAt(t));
    c.coolFor('a', 60_000, 'long');
    c.coolFor('a', 1_000, 'short');
    t.now = 30_000;
    expect(c.active('a')?.reason).toBe('long');
    c.coolFor('a', 60_000, 'longer');
    expect(c.remaining('a')).toBe(60_000);
  });

  it('ignores non-positive durations', () => {
    const c = new Cooldowns({ now: () => 0 });
    c.coolFor('a', 0, 'x');
    c.coolFor('a', Number.NaN, 'x');
    expect(c.active('a')).toBeUndefined();
  });
});
