import { describe, expect, it } from 'vitest';
import { timeoutFailure, transportFailure, type UpstreamFailure } from '../core/errors.js';
import { CircuitBreaker, type CircuitBreakerOptions, type Grant, type Permit } from './circuit-breaker.js';
import { ManualClock } from './manual-clock.js';
import { fixedRandom } from './random.js';
import type { Random } from '../core/clock.js';

const err503 = (): UpstreamFailure => ({ ...transportFailure('upstream_503', 'down'), upstreamStatus: 503 });
const ttftTimeout = (): UpstreamFailure => timeoutFailure('first_token_timeout', 'no first token');
const neutral = (reason: string, cls: UpstreamFailure['class']): UpstreamFailure => ({
  ...transportFailure(reason, reason),
  class: cls,
  breaker: false,
});
const rate429 = (retryAfterMs: number): UpstreamFailure => ({
  ...transportFailure('upstream_429', 'rate limited'),
  status: 429,
  upstreamStatus: 429,
  retryAfterMs,
  breaker: false,
});

function setup(options: Partial<CircuitBreakerOptions> = {}, random: Random = fixedRandom(0)) {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ clock, random, options });
  const grant = (): Grant => {
    const p: Permit = breaker.permit();
    if (!p.allowed) throw new Error(`denied: ${p.reason}`);
    return p;
  };
  const ok = (ttftMs?: number) => breaker.onSuccess(grant(), ttftMs === undefined ? {} : { ttftMs });
  const fail = (f: UpstreamFailure = err503(), ttftMs?: number) =>
    breaker.onFailure(grant(), f, ttftMs === undefined ? {} : { ttftMs });
  const trip = () => {
    for (let i = 0; i < 5; i++) fail();
    expect(breaker.state).toBe('open');
  };
  /** From open: wait out the open time, then settle three probes successfully. */
  const recover = () => {
    clock.advance(breaker.snapshot().nextProbeInMs ?? 0);
    expect(breaker.state).toBe('half-open');
    const probes = [grant(), grant(), grant()];
    for (const p of probes) breaker.onSuccess(p, {});
    expect(breaker.state).toBe('closed');
  };
  return { clock, breaker, grant, ok, fail, trip, recover };
}

describe('CircuitBreaker: tripping', () => {
  it('opens after 5 consecutive failures, and a success resets the streak', () => {
    const { breaker, ok, fail } = setup();
    for (let i = 0; i < 4; i++) fail();
    ok();
    for (let i = 0; i < 4; i++) fail();
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(4);
    fail();
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'consecutive' });
    expect(breaker.permit()).toEqual({ allowed: false, reason: 'open', retryInMs: 30_000 });
  });

  it('trips on error rate >= 50 % only once the window holds minimumCalls', () => {
    const { breaker, ok, fail } = setup();
    for (let i = 0; i < 9; i++) {
      fail();
      ok();
    }
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', callsInWindow: 18, errorRate: 0.5 });
    ok();
    expect(breaker.state).toBe('closed'); // 19 calls
    fail(); // 20 calls, 10 failures
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'error-rate' });
  });

  it('forgets calls that have left the 60 s window', () => {
    const { clock, breaker, ok, fail } = setup();
    for (let i = 0; i < 4; i++) {
      fail();
      ok();
      ok();
    }
    clock.advance(61_000);
    expect(breaker.snapshot().callsInWindow).toBe(0);
    for (let i = 0; i < 8; i++) {
      fail();
      ok();
    }
    expect(breaker.state).toBe('closed'); // 16 recent calls: below minimumCalls
  });

  it('trips on a slow-call rate >= 50 % of TTFTs above a fixed threshold', () => {
    // No streak rule here: slow calls in a row would trip it first (see below).
    const { breaker, ok } = setup({ slowCallP95Multiple: 0, slowCallMs: 1_000, consecutiveFailures: 100 });
    for (let i = 0; i < 10; i++) ok(500);
    for (let i = 0; i < 9; i++) ok(1_500);
    ok(1_000); // at the threshold is not slow
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', slowCallRate: 9 / 20 });
    ok(1_001); // 10 of 21
    expect(breaker.state).toBe('closed');
    ok(1_001); // 11 of 22
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('counts first_token_timeout failures as slow, and a streak of them trips as slow-calls', () => {
    const { breaker, fail } = setup();
    for (let i = 0; i < 5; i++) fail(ttftTimeout());
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('calls a mixed streak of errors and timeouts consecutive', () => {
    const { breaker, fail } = setup();
    for (let i = 0; i < 4; i++) fail(ttftTimeout());
    fail(err503());
    expect(breaker.snapshot().trippedBy).toBe('consecutive');
  });

  it('counts an attempt that lost to a hedge as slow, a cancelled one only past the slow threshold', () => {
    const { breaker, grant } = setup({ slowCallP95Multiple: 0, slowCallMs: 1_000, minimumCalls: 4 });
    breaker.onCancelled(grant(), { lostRace: false, noFirstTokenAfterMs: 900 }); // client left early
    breaker.onCancelled(grant(), { lostRace: false }); // non-streaming: no TTFT evidence
    expect(breaker.snapshot()).toMatchObject({ callsInWindow: 0 });
    breaker.onCancelled(grant(), { lostRace: false, noFirstTokenAfterMs: 1_500 });
    breaker.onCancelled(grant(), { lostRace: true, noFirstTokenAfterMs: 400 });
    breaker.onCancelled(grant(), { lostRace: true });
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', callsInWindow: 3, slowCallRate: 1 });
    // A lost race is slow: it extends the streak instead of ending it.
    expect(breaker.snapshot().consecutiveFailures).toBe(3);
    breaker.onCancelled(grant(), { lostRace: true });
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('counts a wait past the slow threshold as a slow call at once, and the attempt only once', () => {
    const { breaker, grant } = setup({ slowCallP95Multiple: 0, slowCallMs: 1_000 });
    const waits = [grant(), grant(), grant(), grant()];
    for (const g of waits) breaker.onSlowWait(g);
    breaker.onSlowWait(waits[0]!); // reported twice: counted once
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', callsInWindow: 4, consecutiveFailures: 4 });
    // Their later outcomes are not booked again: a late success neither counts nor ends the streak,
    // a first-token timeout is not a second failure; the TTFT still feeds the latency window.
    breaker.onSuccess(waits[0]!, { ttftMs: 1_200 });
    breaker.onFailure(waits[1]!, ttftTimeout());
    breaker.onCancelled(waits[2]!, { lostRace: true });
    breaker.release(waits[3]!);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', callsInWindow: 4, consecutiveFailures: 4 });
    expect(breaker.latency.count()).toBe(1);
    // A settled attempt is no longer waiting: reporting it changes nothing.
    const settled = grant();
    breaker.onSuccess(settled, { ttftMs: 100 });
    breaker.onSlowWait(settled);
    expect(breaker.snapshot()).toMatchObject({ callsInWindow: 5, consecutiveFailures: 0 });
    for (let i = 0; i < 4; i++) breaker.onSlowWait(grant());
    expect(breaker.state).toBe('closed');
    breaker.onSlowWait(grant());
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('reopens when a half-open probe waits past the slow threshold, and keeps its slot used', () => {
    const { clock, breaker, grant, trip } = setup({ halfOpenProbes: 2 });
    trip();
    clock.advance(30_000);
    const probe = grant();
    breaker.onSlowWait(probe);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
    breaker.onSuccess(probe, { ttftMs: 40_000 }); // its late answer: no effect on the new round
    clock.advance(60_000);
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', probesInFlight: 0 });
  });

  it('announces every state change to its listeners, with the reason it opened', () => {
    const { clock, breaker, grant, trip } = setup({ halfOpenProbes: 1 });
    const seen: unknown[] = [];
    breaker.onTransition((t) => seen.push(t));
    trip();
    clock.advance(30_000);
    expect(breaker.state).toBe('half-open');
    breaker.onSuccess(grant(), { ttftMs: 10 });
    expect(seen).toEqual([
      { from: 'closed', to: 'open', reason: 'consecutive' },
      { from: 'open', to: 'half-open', reason: null },
      { from: 'half-open', to: 'closed', reason: null },
    ]);
  });

  it('reopens as slow-calls when a half-open probe loses to a hedge', () => {
    const { clock, breaker, grant, trip } = setup();
    trip();
    clock.advance(30_000);
    breaker.onCancelled(grant(), { lostRace: true });
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('adapts the slow threshold to 2 × p95 TTFT, within floor and ceiling', () => {
    const { breaker, ok } = setup();
    expect(breaker.slowCallThresholdMs()).toBe(30_000); // not warm yet
    for (let i = 0; i < 20; i++) ok(5_000);
    expect(breaker.slowCallThresholdMs()).toBeGreaterThan(9_500);
    expect(breaker.slowCallThresholdMs()).toBeLessThan(10_500);
    const fast = setup();
    for (let i = 0; i < 20; i++) fast.ok(300);
    expect(fast.breaker.slowCallThresholdMs()).toBe(2_000); // the floor
    const slowModel = setup();
    for (let i = 0; i < 20; i++) slowModel.ok(25_000);
    expect(slowModel.breaker.slowCallThresholdMs()).toBe(30_000); // the ceiling
  });

  it('does not count client errors, content filters, context errors or cancellations', () => {
    const { breaker, fail } = setup();
    for (let i = 0; i < 10; i++) {
      fail(neutral('upstream_400', 'fatal'));
      fail(neutral('content_filter', 'fatal'));
      fail(neutral('context_length', 'context'));
      fail(neutral('aborted', 'retry'));
    }
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', callsInWindow: 0, consecutiveFailures: 0 });
  });
});

describe('CircuitBreaker: rate-limit cooldowns', () => {
  it('opens until the 429 reset without counting a failure', () => {
    const { clock, breaker, fail } = setup();
    fail(rate429(10_000));
    expect(breaker.snapshot()).toMatchObject({
      state: 'open',
      trippedBy: 'rate-limit',
      consecutiveFailures: 0,
      consecutiveTrips: 0,
      cooldownUntil: 10_000,
    });
    expect(breaker.permit()).toEqual({ allowed: false, reason: 'cooldown', retryInMs: 10_000 });
    clock.advance(10_000);
    expect(breaker.state).toBe('half-open');
  });

  it('never shortens a cooldown in force (LiteLLM #40130)', () => {
    const { clock, breaker } = setup({ halfOpenProbes: 1 });
    breaker.onFailure(breaker.permit() as Grant, rate429(60_000));
    clock.advance(10_000);
    // a request granted in panic mode comes back with a 1 s reset: the 60 s one still holds
    breaker.onFailure(breaker.permit({ panic: true }) as Grant, rate429(1_000));
    clock.advance(5_000);
    expect(breaker.permit()).toMatchObject({ allowed: false, reason: 'cooldown', retryInMs: 45_000 });
    clock.advance(44_000);
    breaker.onFailure(breaker.permit({ panic: true }) as Grant, rate429(120_000));
    expect(breaker.permit()).toMatchObject({ retryInMs: 120_000 });
    const shortFirst = setup();
    shortFirst.fail(rate429(1_000));
    shortFirst.breaker.onFailure(shortFirst.breaker.permit({ panic: true }) as Grant, rate429(60_000));
    shortFirst.clock.advance(1_000);
    expect(shortFirst.breaker.permit()).toMatchObject({
      allowed: false,
      reason: 'cooldown',
      retryInMs: 59_000,
    });
  });

  it('cools down for a failure cooldownMs (quota) and keeps a health open at least that long', () => {
    const { breaker, fail } = setup();
    fail({ ...neutral('upstream_quota', 'failover'), cooldownMs: 3_600_000 });
    expect(breaker.permit()).toMatchObject({ reason: 'cooldown', retryInMs: 3_600_000 });
    const other = setup();
    other.trip();
    other.breaker.onFailure(other.breaker.permit({ panic: true }) as Grant, rate429(100_000));
    expect(other.breaker.snapshot()).toMatchObject({ trippedBy: 'consecutive', nextProbeInMs: 100_000 });
    const shorter = setup();
    shorter.trip();
    shorter.breaker.onFailure(shorter.breaker.permit({ panic: true }) as Grant, rate429(5_000));
    expect(shorter.breaker.permit()).toMatchObject({ reason: 'open', retryInMs: 30_000 });
  });

  it('ignores a 429 without a reset hint (neither failure nor cooldown)', () => {
    const { breaker, fail } = setup();
    for (let i = 0; i < 10; i++) fail({ ...rate429(0), retryAfterMs: undefined });
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', callsInWindow: 0 });
  });
});

describe('CircuitBreaker: open duration', () => {
  it('grows as base × trips, capped at 300 s', () => {
    const { clock, breaker, grant, trip } = setup();
    trip();
    const durations: number[] = [];
    for (let i = 0; i < 12; i++) {
      durations.push(breaker.snapshot().nextProbeInMs ?? -1);
      clock.advance(durations[i] as number);
      breaker.onFailure(grant(), err503());
      breaker.onFailure(grant(), err503()); // 2 failed probes: reopen
    }
    expect(durations.slice(0, 4)).toEqual([30_000, 60_000, 90_000, 120_000]);
    expect(durations.slice(9)).toEqual([300_000, 300_000, 300_000]);
  });

  it('adds up to 10 % jitter from the injected Random', () => {
    const high = setup({}, fixedRandom(0.999));
    high.trip();
    expect(high.breaker.snapshot().nextProbeInMs).toBe(Math.round(30_000 * 1.0999));
    const mid = setup({}, fixedRandom(0.5));
    mid.trip();
    expect(mid.breaker.snapshot().nextProbeInMs).toBe(31_500);
  });

  it('forgives one trip per 60 s spent closed', () => {
    const a = setup();
    a.trip();
    a.recover();
    a.trip(); // right after closing: second trip
    expect(a.breaker.snapshot()).toMatchObject({ consecutiveTrips: 2, nextProbeInMs: 60_000 });
    a.recover();
    a.clock.advance(120_000); // two healthy intervals forgive both trips
    a.trip();
    expect(a.breaker.snapshot()).toMatchObject({ consecutiveTrips: 1, nextProbeInMs: 30_000 });
  });
});

describe('CircuitBreaker: half-open', () => {
  it('admits exactly halfOpenProbes concurrent probes; a probe without verdict gives its slot back', () => {
    const { clock, breaker, trip } = setup();
    trip();
    clock.advance(29_999);
    expect(breaker.permit()).toMatchObject({ allowed: false, reason: 'open', retryInMs: 1 });
    clock.advance(1);
    const probes = [breaker.permit(), breaker.permit(), breaker.permit()];
    expect(probes.map((p) => p.allowed && p.probe)).toEqual([true, true, true]);
    expect(breaker.permit()).toEqual({ allowed: false, reason: 'half-open-full', retryInMs: 0 });
    expect(breaker.snapshot().probesInFlight).toBe(3);
    breaker.onFailure(probes[0] as Grant, neutral('aborted', 'retry'));
    expect(breaker.permit()).toMatchObject({ allowed: true, probe: true });
    expect(breaker.permit()).toMatchObject({ allowed: false, reason: 'half-open-full' });
  });

  it('closes when at most one of the probes failed and none was slow', () => {
    const { clock, breaker, grant, trip } = setup();
    trip();
    clock.advance(30_000);
    const [a, b, c] = [grant(), grant(), grant()];
    breaker.onFailure(a, err503());
    breaker.onSuccess(b, { ttftMs: 500 });
    expect(breaker.state).toBe('half-open');
    breaker.onSuccess(c, {});
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', trippedBy: null, weight: 0.1 });
  });

  it('reopens, longer, on a second failed probe', () => {
    const { clock, breaker, grant, trip } = setup();
    trip();
    clock.advance(30_000);
    const [a, b, c] = [grant(), grant(), grant()];
    breaker.onFailure(a, err503());
    breaker.onFailure(b, err503());
    expect(breaker.snapshot()).toMatchObject({
      state: 'open',
      trippedBy: 'consecutive',
      nextProbeInMs: 60_000,
    });
    breaker.onSuccess(c, {}); // a probe of the old round: ignored
    expect(breaker.state).toBe('open');
  });

  it('reopens when the only probe of a one-probe round fails', () => {
    const { clock, breaker, grant, trip } = setup({ halfOpenProbes: 1 });
    trip();
    clock.advance(30_000);
    breaker.onFailure(grant(), err503());
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'consecutive' });
  });

  it('reopens as slow-calls on one slow probe', () => {
    const { clock, breaker, grant, trip } = setup({ slowCallP95Multiple: 0, slowCallMs: 1_000 });
    trip();
    clock.advance(30_000);
    breaker.onSuccess(grant(), { ttftMs: 5_000 });
    expect(breaker.snapshot()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('ignores answers to attempts granted before the last state change, and double settlement', () => {
    const { clock, breaker, grant, fail } = setup();
    const early = [grant(), grant(), grant()];
    for (let i = 0; i < 5; i++) fail();
    clock.advance(30_000);
    for (const g of early) breaker.onSuccess(g, {});
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', probesInFlight: 0 });
    const probe = grant();
    breaker.onFailure(probe, err503());
    breaker.onFailure(probe, err503()); // same grant twice: counted once
    expect(breaker.state).toBe('half-open');
  });

  it('does not count a probe of an earlier round in the next one', () => {
    const { clock, breaker, grant, trip } = setup();
    trip();
    clock.advance(30_000);
    const [a, b, late] = [grant(), grant(), grant()];
    breaker.onFailure(a, err503());
    breaker.onFailure(b, err503()); // reopen for 60 s
    clock.advance(60_000);
    breaker.onSuccess(late, {}); // answers now, but belonged to the previous round
    breaker.onSuccess(grant(), {});
    breaker.onSuccess(grant(), {});
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', probesInFlight: 0 });
    breaker.onSuccess(grant(), {});
    expect(breaker.state).toBe('closed');
  });

  it('lets a panic permit through an open breaker without letting its answer close it', () => {
    const { breaker, trip } = setup();
    trip();
    const p = breaker.permit({ panic: true });
    expect(p).toMatchObject({ allowed: true, probe: false });
    breaker.onSuccess(p as Grant, {});
    expect(breaker.state).toBe('open');
  });
});

describe('CircuitBreaker: slow start and health probes', () => {
  it('ramps the weight as max(10 %, t / 60 s) after closing; 0 open, 10 % half-open', () => {
    const { clock, breaker, trip, recover } = setup();
    expect(breaker.weight()).toBe(1);
    trip();
    expect(breaker.weight()).toBe(0);
    clock.advance(30_000);
    expect(breaker.weight()).toBe(0.1);
    recover();
    const at = (ms: number) => {
      clock.advance(ms);
      return breaker.weight();
    };
    expect(at(0)).toBe(0.1);
    expect(at(3_000)).toBe(0.1);
    expect(at(27_000)).toBe(0.5);
    expect(at(15_000)).toBe(0.75);
    expect(at(15_000)).toBe(1);
  });

  it('follows (t / window)^(1 / aggression)', () => {
    const { clock, breaker, trip, recover } = setup({
      slowStart: { windowMs: 60_000, minWeight: 0.05, aggression: 2 },
    });
    trip();
    recover();
    clock.advance(15_000);
    expect(breaker.weight()).toBeCloseTo(0.5, 10);
  });

  it('a good health probe half-opens an open that tripped on consecutive errors, never closes it', () => {
    const { breaker, trip } = setup();
    trip();
    breaker.onHealthProbe(false);
    expect(breaker.state).toBe('open');
    breaker.onHealthProbe(true);
    expect(breaker.snapshot()).toMatchObject({ state: 'half-open', lastHealthProbe: { ok: true, at: 0 } });
  });

  it('a good health probe leaves opens for slow calls, error rate and rate limits alone', () => {
    const slow = setup();
    for (let i = 0; i < 5; i++) slow.fail(ttftTimeout());
    const limited = setup();
    limited.fail(rate429(60_000));
    const rate = setup();
    for (let i = 0; i < 10; i++) {
      rate.fail();
      rate.ok();
    }
    for (const s of [slow, limited, rate]) {
      s.breaker.onHealthProbe(true);
      expect(s.breaker.state).toBe('open');
    }
  });
});
