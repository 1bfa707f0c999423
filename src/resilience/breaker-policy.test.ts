import { describe, expect, it } from 'vitest';
import { transportFailure, type UpstreamFailure } from '../core/errors.js';
import {
  cooldownOf,
  DEFAULT_CIRCUIT_BREAKER as D,
  forgiveTrips,
  openDurationMs,
  ProbeRound,
  slowCallThresholdMs,
} from './breaker-policy.js';
import { LatencyWindow } from './latency-window.js';
import { ManualClock } from './manual-clock.js';
import { fixedRandom } from './random.js';

const failure = (extra: Partial<UpstreamFailure>): UpstreamFailure => ({
  ...transportFailure('upstream_503', 'x'),
  ...extra,
});

describe('breaker policy', () => {
  it('open duration: 30 s × trips, capped at 300 s, plus up to 10 % jitter', () => {
    const zero = fixedRandom(0);
    expect([1, 2, 3, 10, 50].map((t) => openDurationMs(t, D, zero))).toEqual([
      30_000, 60_000, 90_000, 300_000, 300_000,
    ]);
    expect(openDurationMs(1, D, fixedRandom(0.5))).toBe(31_500);
    expect(openDurationMs(10, D, fixedRandom(0.999))).toBe(Math.round(300_000 * 1.0999));
    expect(openDurationMs(1, D, () => Number.NaN)).toBe(30_000);
  });

  it('forgives one trip per full decay interval closed', () => {
    expect(forgiveTrips(3, 59_999, D)).toBe(3);
    expect(forgiveTrips(3, 60_000, D)).toBe(2);
    expect(forgiveTrips(3, 600_000, D)).toBe(0);
  });

  it('asks for a cooldown on cooldownMs, or a 429 with a reset hint; nothing else', () => {
    expect(cooldownOf(failure({ cooldownMs: 5_000, breaker: false }))).toBe(5_000);
    expect(cooldownOf(failure({ reason: 'upstream_429', retryAfterMs: 2_000 }))).toBe(2_000);
    expect(cooldownOf(failure({ upstreamStatus: 429, reason: 'x', retryAfterMs: 2_000 }))).toBe(2_000);
    expect(cooldownOf(failure({ upstreamStatus: 503, retryAfterMs: 2_000 }))).toBe(0); // overload: a failure
    expect(cooldownOf(failure({ reason: 'upstream_429' }))).toBe(0);
  });

  it('slow threshold: fixed, or clamp(2 × p95, floor, ceiling) once warm', () => {
    const clock = new ManualClock();
    const latency = new LatencyWindow(clock);
    expect(slowCallThresholdMs(D, latency)).toBe(30_000);
    for (let i = 0; i < 19; i++) latency.record(4_000);
    expect(slowCallThresholdMs(D, latency)).toBe(30_000);
    latency.record(4_000);
    expect(slowCallThresholdMs(D, latency)).toBeCloseTo(8_000, -3);
    expect(slowCallThresholdMs({ ...D, slowCallP95Multiple: 0, slowCallMs: 7_000 }, latency)).toBe(7_000);
  });

  it('a probe round reopens on the 2nd failure or any slow probe, and closes when all are in', () => {
    const round = new ProbeRound(3, 1);
    round.admit();
    round.admit();
    round.admit();
    expect(round.hasRoom()).toBe(false);
    round.giveBack();
    expect(round.hasRoom()).toBe(true);
    expect(round.record(true, false)).toBe('pending');
    expect(round.record(false, false)).toBe('pending');
    round.admit();
    expect(round.record(false, false)).toBe('close');
    const failing = new ProbeRound(3, 1);
    expect(failing.record(true, false)).toBe('pending');
    expect(failing.record(true, false)).toBe('reopen');
    expect(new ProbeRound(3, 1).record(false, true)).toBe('reopen');
  });
});
