import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { SpendLedger } from './spend.js';
import { TargetStats } from './stats.js';

const ok = (target: string, ttftMs: number, durationMs = ttftMs + 500) =>
  ({ target, outcome: 'ok', ttftMs, durationMs, countsAgainstBreaker: false }) as const;

describe('TargetStats (peak EWMA with decay)', () => {
  it('a slower sample replaces the estimate at once; a faster one is blended in by elapsed time', () => {
    const clock = new ManualClock();
    const stats = new TargetStats(clock, 10_000);
    stats.ended(ok('a', 100));
    stats.ended(ok('a', 900));
    expect(stats.latencyMs('a', true)).toBe(900);
    clock.advance(10_000); // one τ: the estimate has decayed to 900/e, then blends with weight 1 − 1/e
    stats.ended(ok('a', 100));
    const decayed = 900 * Math.exp(-1);
    expect(stats.latencyMs('a', true)).toBeCloseTo(decayed * Math.exp(-1) + 100 * (1 - Math.exp(-1)), 6);
  });

  it('decays towards zero while no sample comes', () => {
    const clock = new ManualClock();
    const stats = new TargetStats(clock, 1_000);
    stats.ended(ok('a', 2_000));
    clock.advance(3_000);
    expect(stats.latencyMs('a', true)).toBeCloseTo(2_000 * Math.exp(-3), 6);
  });

  it('streams read the TTFT estimate, non-streaming requests the duration', () => {
    const stats = new TargetStats(new ManualClock());
    stats.ended(ok('a', 100, 3_000));
    expect(stats.latencyMs('a', true)).toBe(100);
    expect(stats.latencyMs('a', false)).toBe(3_000);
  });

  it('timeouts raise the estimate to the time waited; lost races only as a lower bound; in-flight counted', () => {
    const stats = new TargetStats(new ManualClock());
    stats.started('a');
    expect(stats.get('a').inFlight).toBe(1);
    stats.ended({ target: 'a', outcome: 'retry', durationMs: 5_000, countsAgainstBreaker: true });
    expect(stats.get('a').inFlight).toBe(0);
    expect(stats.latencyMs('a', true)).toBe(5_000);
    stats.ended({ target: 'b', outcome: 'ok', ttftMs: 300, durationMs: 800, countsAgainstBreaker: false });
    stats.ended({ target: 'b', outcome: 'cancelled', durationMs: 100, countsAgainstBreaker: false });
    expect(stats.latencyMs('b', true)).toBe(300); // 100 ms waited says nothing new
    stats.ended({ target: 'b', outcome: 'cancelled', durationMs: 700, countsAgainstBreaker: false });
    expect(stats.latencyMs('b', true)).toBe(700);
  });

  it('error rate counts only failures that are the target’s fault; throughput from streamed tokens', () => {
    const stats = new TargetStats(new ManualClock());
    stats.ended({ target: 'a', outcome: 'fatal', durationMs: 10, countsAgainstBreaker: false });
    expect(stats.get('a').errorRate).toBeUndefined();
    stats.ended({ target: 'a', outcome: 'retry', durationMs: 10, countsAgainstBreaker: true });
    expect(stats.get('a').errorRate!.value).toBe(1);
    stats.ended({ ...ok('a', 200, 1_200), tokens: { prompt: 1, completion: 100, estimated: false } });
    expect(stats.get('a').errorRate!.value).toBeCloseTo(0.9, 6);
    expect(stats.snapshot('a')).toMatchObject({ tokensPerSecond: 100, ewmaTtftMs: 200 });
  });
});

describe('SpendLedger', () => {
  it('counts per UTC day and month and resets on each', () => {
    const clock = new ManualClock({ wallNow: Date.UTC(2026, 0, 31, 23, 0) });
    const spend = new SpendLedger(() => clock.wallNow());
    spend.add('k', 2);
    spend.add('k', Number.NaN);
    spend.add('k', -1);
    expect(spend.spent('k')).toEqual({ dayUsd: 2, monthUsd: 2 });
    expect(spend.reached('k', { dailyUsd: 2 })).toEqual({ period: 'day', spentUsd: 2, capUsd: 2 });
    clock.advance(2 * 3_600_000); // Feb 1st
    expect(spend.spent('k')).toEqual({ dayUsd: 0, monthUsd: 0 });
    expect(spend.reached('k', { dailyUsd: 2, monthlyUsd: 2 })).toBeUndefined();
  });
});

describe('routing config', () => {
  const base = {
    providers: { p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } },
  };
  const load = (routing: object, targets: unknown[] = ['p/a', 'p/b']) =>
    resolveConfig({ ...base, routes: { r: { targets, routing } } }, { env: {} });

  it('names each mistake', () => {
    expect(() => load({ policy: 'weighted' })).toThrow(
      /routes\.r\.routing\.weights: policy "weighted" needs a positive weight/,
    );
    expect(() => load({ policy: 'weighted', weights: { 'p/zz': 1 } })).toThrow(
      /"p\/zz" is not a target of the route/,
    );
    expect(() => load({ policy: 'lowest-cost', weights: { 'p/a': 1 } })).toThrow(
      /only used by policy "weighted"/,
    );
    expect(() => load({ tierFloor: 1 }, [{ provider: 'p', model: 'a', tier: 2 }])).toThrow(
      /no target of the route is at tier 1/,
    );
    expect(() => load({ policy: 'fastest' })).toThrow(/routes\.r\.routing\.policy/);
    expect(() => load({ targetCaps: { 'p/nope': { dailyUsd: 1 } } })).toThrow(/targetCaps: "p\/nope"/);
  });

  it('resolves the block with its defaults, and the providers’ regions onto targets', () => {
    const config = resolveConfig(
      {
        providers: { p: { ...base.providers.p, region: 'eu' } },
        routes: { r: { targets: ['p/a'], routing: { policy: 'least-latency' } } },
        keys: [{ name: 'k', key: 'sk-123456789', routing: { region: 'eu', tierFloor: 1 } }],
      },
      { env: {} },
    );
    const route = config.routes.get('r')!;
    expect(route.routing).toMatchObject({ policy: 'least-latency', exploration: 0.02, decayMs: 10_000 });
    expect(route.targets[0]!.region).toBe('eu');
    expect(config.keys[0]!.routing).toEqual({ region: 'eu', tierFloor: 1, overrides: false });
  });
});

describe('TargetStats fleet view (the merge rule)', () => {
  it('latency: the highest of local and fleet, all decayed with τ; the fleet peak, never its mean', () => {
    const clock = new ManualClock();
    const stats = new TargetStats(clock, 1_000);
    stats.setFleet(
      new Map([
        [
          'a',
          [
            { ttft: { value: 800, ageMs: 1_000 }, samples: 1 },
            { ttft: { value: 400, ageMs: 0 }, samples: 50 },
          ],
        ],
      ]),
    );
    // 800·e^(−1) ≈ 294 < 400: the peak now is the younger estimate, whatever the sample counts.
    expect(stats.latencyMs('a', true)).toBeCloseTo(400, 6);
    expect(stats.latencyMs('a', false)).toBeCloseTo(400, 6); // no duration known: TTFT stands in
    stats.ended(ok('a', 100));
    expect(stats.latencyMs('a', true)).toBeCloseTo(400, 6); // a fleet peak above the local estimate
    stats.ended(ok('a', 900));
    expect(stats.latencyMs('a', true)).toBe(900); // the local peak reacts at once
    clock.advance(1_000);
    expect(stats.latencyMs('a', true)).toBeCloseTo(900 * Math.exp(-1), 6);
    expect(stats.summaries(10_000).get('a')).toMatchObject({
      ttft: { value: 900, ageMs: 1_000 },
      samples: 2,
    });
    expect(stats.summaries(500).has('a')).toBe(false); // no sample in the last 500 ms: not published
  });

  it("tokens/s and error rate: local when known, else the fleet's sample-weighted mean", () => {
    const stats = new TargetStats(new ManualClock());
    stats.setFleet(
      new Map([
        [
          'a',
          [
            { tokensPerSecond: 10, errorRate: 0, samples: 3 },
            { tokensPerSecond: 50, errorRate: 0.4, samples: 1 },
          ],
        ],
      ]),
    );
    expect(stats.tokensPerSecond('a')).toBeCloseTo(20, 6);
    expect(stats.errorRate('a')).toBeCloseTo(0.1, 6);
    stats.ended({ ...ok('a', 100, 1_100), tokens: { prompt: 1, completion: 80, estimated: false } });
    expect(stats.tokensPerSecond('a')).toBe(80);
    expect(stats.errorRate('a')).toBe(0);
    stats.setFleet(new Map());
    expect(stats.latencyMs('b', true)).toBeUndefined();
  });
});
