import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { EventBus, type GatewayEvents } from '../core/events.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { LiveStats } from './live-stats.js';

const config = resolveConfig(
  {
    providers: {
      a: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-aaaaaaaaaaaa' },
      b: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-bbbbbbbbbbbb' },
    },
    routes: {
      m: { targets: ['a/one', { provider: 'b', model: 'two', tier: 2 }] },
      other: { targets: ['b/three'] },
    },
  },
  { env: {} },
);

function setup(wallNow = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  const clock = new ManualClock({ wallNow });
  const events = new EventBus();
  const stats = new LiveStats({ config, events, clock, maxIncidents: 3, maxFailovers: 3 });
  return { clock, events, stats };
}

type Ended = GatewayEvents['request.ended'];
const ended = (over: Partial<Ended> = {}): Ended => ({
  requestId: 'r',
  route: 'm',
  endpoint: 'chat',
  stream: true,
  status: 200,
  outcome: 'ok',
  target: 'a/one',
  attempts: 1,
  totalMs: 500,
  ttftMs: 100,
  tokens: { prompt: 10, completion: 5, estimated: false },
  costUsd: 0.01,
  trace: [],
  ...over,
});

type Attempt = GatewayEvents['attempt.ended'];
const attempt = (over: Partial<Attempt> = {}): Attempt => ({
  requestId: 'r',
  route: 'm',
  target: 'a/one',
  provider: 'a',
  model: 'one',
  operation: 'chat',
  stream: true,
  outcome: 'ok',
  reason: 'ok',
  durationMs: 400,
  ttftMs: 100,
  countsAgainstBreaker: false,
  ...over,
});

describe('live stats', () => {
  it('counts requests per route: success rate, errors by class, TTFT quantiles, tokens, cost, traffic share', () => {
    const { events, stats } = setup();
    for (let i = 0; i < 18; i++) events.publish('request.ended', ended({ ttftMs: 100 }));
    events.publish('request.ended', ended({ target: 'b/two', ttftMs: 1_000 }));
    events.publish('request.ended', ended({ status: 503, outcome: 'upstream_503', ttftMs: undefined }));
    events.publish('request.ended', ended({ status: 429, outcome: 'upstream_429', ttftMs: undefined }));
    const m = stats.snapshot().routes.find((r) => r.name === 'm')!;
    expect(m.window.calls).toBe(21);
    expect(m.window.ok).toBe(21 - 2);
    expect(m.window.successRate).toBeCloseTo(19 / 21);
    expect(m.window.errors).toEqual({ upstream_error: 1, rate_limited: 1 });
    // Within the histogram's ±10 %.
    expect(m.window.p50TtftMs).toBeGreaterThanOrEqual(90);
    expect(m.window.p50TtftMs).toBeLessThanOrEqual(110);
    expect(m.window.p95TtftMs).toBeGreaterThanOrEqual(900);
    expect(m.window.tokens).toEqual({ input: 210, output: 105 });
    expect(m.window.costUsd).toBeCloseTo(0.21);
    expect(m.window.today).toEqual({ calls: 21, costUsd: expect.closeTo(0.21) as number });
    expect(m.targets.map((t) => [t.id, t.share])).toEqual([
      ['a/one', 20 / 21],
      ['b/two', 1 / 21],
    ]);
  });

  it("counts each target's attempts, not lost races, with errors by class and skips", () => {
    const { events, stats } = setup();
    events.publish('attempt.ended', attempt());
    events.publish('attempt.ended', attempt({ outcome: 'retry', reason: 'upstream_503', ttftMs: undefined }));
    events.publish(
      'attempt.ended',
      attempt({ outcome: 'failover', reason: 'upstream_401', ttftMs: undefined }),
    );
    events.publish('attempt.ended', attempt({ outcome: 'cancelled', reason: 'lost_race' }));
    events.publish('target.skipped', { target: 'a/one', reason: 'breaker-open', detail: 'breaker:open' });
    const m = stats.snapshot().routes[0]!;
    const one = m.targets[0]!;
    expect(one.window).toMatchObject({ calls: 3, ok: 1, errors: { retry: 1, failover: 1 }, skipped: 1 });
    expect(one.window.successRate).toBeCloseTo(1 / 3);
    expect(one.points.skipped.at(-1)).toBe(1);
    // The route's chart shows the failed attempts its requests hid.
    expect(m.points.failedAttempts.at(-1)).toBe(2);
  });

  it('ignores routes and targets it was not configured with (bounded memory)', () => {
    const { events, stats } = setup();
    events.publish('request.ended', ended({ route: 'nope' }));
    events.publish('attempt.ended', attempt({ target: 'x/y' }));
    events.publish('breaker.transition', {
      target: 'x/y',
      from: 'closed',
      to: 'open',
      reason: 'consecutive',
    });
    const snap = stats.snapshot();
    expect(snap.routes.map((r) => r.name)).toEqual(['m', 'other']);
    expect(snap.routes.every((r) => r.window.calls === 0)).toBe(true);
    expect(snap.incidents).toEqual([]);
  });

  it('slides: a bucket of history per 10 s, forgotten after 15 minutes', () => {
    const { clock, events, stats } = setup();
    events.publish('request.ended', ended());
    clock.advance(10_000);
    events.publish('request.ended', ended({ status: 502, outcome: 'upstream_502' }));
    events.publish('failover', {
      requestId: 'r',
      route: 'm',
      from: 'a/one',
      to: 'b/two',
      reason: 'upstream_502',
    });
    const points = stats.snapshot().routes[0]!.points;
    expect(points.bucketMs).toBe(10_000);
    expect(points.calls).toHaveLength(90);
    expect(points.calls.slice(-2)).toEqual([1, 1]);
    expect(points.errors.slice(-2)).toEqual([0, 1]);
    expect(points.failovers.slice(-2)).toEqual([0, 1]);
    expect(points.startMs + 89 * 10_000).toBe(Date.UTC(2026, 0, 1, 12, 0, 10));
    // The first bucket leaves the window; the running totals lose exactly it.
    clock.advance(15 * 60_000 - 10_000);
    const slid = stats.snapshot().routes[0]!;
    expect(slid.window).toMatchObject({ calls: 1, ok: 0, errors: { upstream_error: 1 }, failovers: 1 });
    expect(slid.window.costUsd).toBeCloseTo(0.01);
    expect(slid.points.calls.slice(-2)).toEqual([0, 0]);
    expect(slid.points.calls[0]).toBe(1);
    clock.advance(10_000);
    const later = stats.snapshot().routes[0]!;
    expect(later.window.calls).toBe(0);
    expect(later.window.successRate).toBeNull();
    expect(later.window.p95TtftMs).toBeNull();
    expect(later.window.costUsd).toBe(0);
    expect(later.points.p95TtftMs.every((v) => v === null)).toBe(true);
    // Today's totals outlive the window.
    expect(later.window.today.calls).toBe(2);
  });

  it("recomputes a bucket's p95 when it gets a new sample after a read", () => {
    const { events, stats } = setup();
    events.publish('request.ended', ended({ ttftMs: 100 }));
    expect(stats.snapshot().routes[0]!.points.p95TtftMs.at(-1)).toBeLessThan(110);
    for (let i = 0; i < 5; i++) events.publish('request.ended', ended({ ttftMs: 2_000 }));
    expect(stats.snapshot().routes[0]!.points.p95TtftMs.at(-1)).toBeGreaterThan(1_800);
  });

  it("restarts today's cost at midnight UTC", () => {
    const { clock, events, stats } = setup(Date.UTC(2026, 0, 1, 23, 59, 50));
    events.publish('request.ended', ended({ costUsd: 0.5 }));
    events.publish('attempt.ended', attempt({ costUsd: 0.5 }));
    expect(stats.snapshot().routes[0]!.window.today.costUsd).toBeCloseTo(0.5);
    clock.advance(20_000);
    const m = stats.snapshot().routes[0]!;
    expect(m.window.today).toEqual({ calls: 0, costUsd: 0 });
    expect(m.targets[0]!.window.today).toEqual({ calls: 0, costUsd: 0 });
    // The rolling window still holds it.
    expect(m.window.costUsd).toBeCloseTo(0.5);
  });

  it('keeps incidents and failovers in bounded rings, folding repeats into the newest entry', () => {
    const { clock, events, stats } = setup();
    const failover = { requestId: 'r', route: 'm', from: 'a/one', to: 'b/two', reason: 'upstream_503' };
    events.publish('failover', failover);
    clock.advance(1_000);
    events.publish('failover', failover);
    events.publish('breaker.transition', {
      target: 'a/one',
      from: 'closed',
      to: 'open',
      reason: 'consecutive',
    });
    const snap = stats.snapshot();
    expect(snap.failovers).toEqual([
      {
        route: 'm',
        from: 'a/one',
        to: 'b/two',
        reason: 'upstream_503',
        firstAt: Date.UTC(2026, 0, 1, 12),
        lastAt: Date.UTC(2026, 0, 1, 12, 0, 1),
        count: 2,
      },
    ]);
    expect(snap.incidents).toEqual([
      expect.objectContaining({
        kind: 'breaker',
        target: 'a/one',
        from: 'closed',
        to: 'open',
        reason: 'consecutive',
        count: 1,
      }),
    ]);
    for (const to of ['half-open', 'closed', 'open', 'half-open']) {
      events.publish('breaker.transition', { target: 'a/one', from: 'x', to, reason: null });
    }
    events.publish('cooldown.set', { target: 'b/two', ms: 5_000, reason: 'upstream_429' });
    const incidents = stats.snapshot().incidents;
    expect(incidents).toHaveLength(3);
    // The repeated half-open moved to the newest place, with its count.
    expect(incidents.map((i) => [i.to ?? i.kind, i.count])).toEqual([
      ['open', 1],
      ['half-open', 2],
      ['cooldown', 1],
    ]);
    // Interleaved repeats fold too (two routes failing over at once stay two lines).
    const other = { ...failover, reason: 'upstream_500' };
    events.publish('failover', other);
    events.publish('failover', failover);
    expect(stats.snapshot().failovers.map((f) => [f.reason, f.count])).toEqual([
      ['upstream_500', 1],
      ['upstream_503', 3],
    ]);
  });

  it("shows a key's visible routes only, and only the incidents and failovers touching them", () => {
    const { events, stats } = setup();
    events.publish('request.ended', ended());
    events.publish('failover', { requestId: 'r', route: 'm', from: 'a/one', to: 'b/two', reason: 'x' });
    events.publish('breaker.transition', {
      target: 'a/one',
      from: 'closed',
      to: 'open',
      reason: 'consecutive',
    });
    events.publish('breaker.transition', {
      target: 'b/three',
      from: 'closed',
      to: 'open',
      reason: 'consecutive',
    });
    const snap = stats.snapshot((route) => route === 'other');
    expect(snap.routes.map((r) => r.name)).toEqual(['other']);
    expect(snap.failovers).toEqual([]);
    expect(snap.incidents.map((i) => i.target)).toEqual(['b/three']);
  });

  it('stops listening when closed', () => {
    const { events, stats } = setup();
    stats.close();
    expect(events.wants('request.ended')).toBe(false);
    expect(events.wants('attempt.ended')).toBe(false);
  });
});
