import { describe, expect, it } from 'vitest';
import type { UpstreamFailure } from '../core/errors.js';
import { EventBus, type GatewayEvents } from '../core/events.js';
import type { Target } from '../config/types.js';
import type { KeySelection, ProviderSettings } from '../providers/types.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { HINTLESS_RATE_LIMIT_MS, KeyPools } from './key-pool.js';

function provider(selection: KeySelection, n = 3): ProviderSettings {
  const keys = Array.from({ length: n }, (_, i) => ({ secret: `sk-secret-${i}`, label: `key#${i + 1}` }));
  return {
    id: 'oai',
    protocol: 'openai',
    baseUrl: 'http://x/v1',
    apiKey: keys[0]!.secret,
    keyPool: { keys, selection },
    headers: {},
    options: {},
  };
}

const target = (p: ProviderSettings, model = 'gpt-4o'): Target => ({
  id: `${p.id}/${model}`,
  provider: p,
  model,
  tier: 1,
});

const failure = (reason: string, extra: Partial<UpstreamFailure> = {}): UpstreamFailure => ({
  class: reason === 'upstream_429' || reason.startsWith('upstream_5') ? 'retry' : 'failover',
  reason,
  status: 429,
  type: 'rate_limit_error',
  code: null,
  param: null,
  message: 'slow down',
  breaker: reason.startsWith('upstream_5'),
  ...extra,
});

describe('KeyPools: selection', () => {
  it('round-robin spreads requests over the keys, in turn', () => {
    const pools = new KeyPools(new ManualClock());
    const t = target(provider('round-robin'));
    expect([0, 1, 2, 3, 4].map(() => pools.pick(t))).toEqual([0, 1, 2, 0, 1]);
  });

  it('ordered takes the first key not cooling down', () => {
    const clock = new ManualClock();
    const pools = new KeyPools(clock);
    const t = target(provider('ordered'));
    expect([pools.pick(t), pools.pick(t)]).toEqual([0, 0]);
    pools.settle(t, 0, failure('upstream_429', { retryAfterMs: 1_000 }), new Set());
    expect(pools.pick(t)).toBe(1);
    clock.advance(1_000);
    expect(pools.pick(t)).toBe(0);
  });

  it('skips keys already tried by the request, and cooling keys', () => {
    const pools = new KeyPools(new ManualClock());
    const t = target(provider('ordered'));
    expect(pools.pick(t, new Set([0, 1]))).toBe(2);
    expect(pools.pick(t, new Set([0, 1, 2]))).toBeUndefined();
  });
});

describe('KeyPools: per-key cooldowns on a manual clock', () => {
  it('a rate limit cools that key for that target only, for the hinted time', () => {
    const clock = new ManualClock();
    const pools = new KeyPools(clock);
    const p = provider('ordered', 2);
    const gpt = target(p);
    const mini = target(p, 'gpt-4o-mini');
    const tried = new Set<number>();
    const verdict = pools.settle(gpt, 0, failure('upstream_429', { retryAfterMs: 2_000 }), tried);
    // Another key is ready: move to it now; the target's health hears no cooldown and no breaker failure.
    expect(verdict.nextKey).toBe(true);
    expect(verdict.failure.retryAfterMs).toBeUndefined();
    expect(verdict.failure.cooldownMs).toBeUndefined();
    expect(verdict.failure.breaker).toBe(false);
    expect(tried.has(0)).toBe(true);
    expect(pools.pick(gpt)).toBe(1);
    expect(pools.pick(mini)).toBe(0); // another model: its own rate limit
    clock.advance(1_999);
    expect(pools.pick(gpt)).toBe(1);
    clock.advance(1);
    expect(pools.pick(gpt)).toBe(0);
  });

  it('a rate limit without a hint keeps the key out for the default time', () => {
    const clock = new ManualClock();
    const pools = new KeyPools(clock);
    const t = target(provider('ordered', 2));
    pools.settle(t, 0, failure('upstream_429'), new Set());
    clock.advance(HINTLESS_RATE_LIMIT_MS - 1);
    expect(pools.pick(t)).toBe(1);
    clock.advance(1);
    expect(pools.pick(t)).toBe(0);
  });

  it('an exhausted quota cools the key for every model of the provider', () => {
    const clock = new ManualClock();
    const pools = new KeyPools(clock);
    const p = provider('ordered', 2);
    pools.settle(target(p), 0, failure('upstream_quota', { cooldownMs: 60_000 }), new Set());
    expect(pools.pick(target(p, 'gpt-4o-mini'))).toBe(1);
    expect(pools.status([p])).toEqual([
      {
        provider: 'oai',
        key: 'key#1',
        state: 'cooling',
        cooling: [{ scope: 'provider', reason: 'upstream_quota', retryInMs: 60_000 }],
      },
      { provider: 'oai', key: 'key#2', state: 'ready' },
    ]);
  });

  it('when the last key cools, the target is reported out until the first key is back', () => {
    const clock = new ManualClock();
    const pools = new KeyPools(clock);
    const t = target(provider('ordered', 2));
    const tried = new Set<number>();
    pools.settle(t, 0, failure('upstream_429', { retryAfterMs: 3_000 }), tried);
    clock.advance(1_000);
    const last = pools.settle(t, 1, failure('upstream_quota', { cooldownMs: 60_000 }), tried);
    expect(last.nextKey).toBe(false);
    expect(last.failure.cooldownMs).toBe(2_000);
    expect(last.failure.message).toContain('every key of provider oai is cooling down');
    expect(pools.pick(t)).toBeUndefined();
    clock.advance(2_000);
    expect(pools.pick(t)).toBe(0);
  });

  it("a provider's own failure (5xx) is not the key's: no key cooldown, reported as it is", () => {
    const pools = new KeyPools(new ManualClock());
    const t = target(provider('ordered', 2));
    const f = failure('upstream_503', { status: 503 });
    const tried = new Set<number>();
    expect(pools.settle(t, 0, f, tried)).toEqual({ failure: f, nextKey: false });
    expect(tried.size).toBe(0);
    expect(pools.pick(t)).toBe(0);
  });

  it('announces cooldown.set with the key label, never the secret', () => {
    const events = new EventBus();
    const seen: GatewayEvents['cooldown.set'][] = [];
    events.subscribe('cooldown.set', (e) => seen.push(e));
    const pools = new KeyPools(new ManualClock(), events);
    const t = target(provider('ordered', 2));
    pools.settle(t, 1, failure('upstream_auth_401', { cooldownMs: 300_000 }), new Set());
    expect(seen).toEqual([
      { target: 'oai/gpt-4o', ms: 300_000, reason: 'upstream_auth_401', key: 'key#2', keyScope: 'provider' },
    ]);
    expect(JSON.stringify(seen)).not.toContain('sk-secret');
  });
});

describe('KeyPools: panic', () => {
  it('soonest is the key that comes back first', () => {
    const clock = new ManualClock();
    const pools = new KeyPools(clock);
    const t = target(provider('ordered', 3));
    const tried = new Set<number>();
    pools.settle(t, 0, failure('upstream_quota', { cooldownMs: 60_000 }), tried);
    pools.settle(t, 1, failure('upstream_429', { retryAfterMs: 2_000 }), tried);
    pools.settle(t, 2, failure('upstream_429', { retryAfterMs: 9_000 }), tried);
    expect(pools.pick(t)).toBeUndefined();
    expect(pools.soonest(t)).toBe(1);
  });
});
