import { describe, expect, it } from 'vitest';
import type { RequestRecord } from './load.js';
import { triedTargets } from './load.js';
import {
  attemptsPerRequest,
  detect,
  longestWait,
  percentile,
  perSecond,
  recover,
  successRate,
  ttftSummary,
} from './metrics.js';
import { incidentSpan, scaledWindows, SCENARIOS, toPhases } from './scenarios.js';

const P = 'primary/m';
const F = 'fallback/m';

/** One request every 100 ms from `fromMs` to `toMs`, shaped by `at(t)`. */
function timeline(fromMs: number, toMs: number, at: (t: number) => Partial<RequestRecord>): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = fromMs; t < toMs; t += 100) {
    out.push({
      id: out.length,
      startMs: t,
      lagMs: 0,
      durationMs: 500,
      status: 200,
      ok: true,
      ttftMs: 200,
      target: P,
      tried: [P],
      ...at(t),
    });
  }
  return out;
}

describe('percentile', () => {
  it('is nearest-rank and undefined on no values', () => {
    expect(percentile([], 0.5)).toBeUndefined();
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('ttftSummary counts only successful requests with a first token', () => {
    const records = timeline(0, 1_000, (t) => (t === 500 ? { ok: false, ttftMs: 9_000 } : { ttftMs: t }));
    const s = ttftSummary(records);
    expect(s.count).toBe(9);
    expect(s.p99).toBe(900);
    expect(successRate(records)).toBeCloseTo(0.9);
  });
});

describe('detection', () => {
  it('finds when traffic left the bad target and counts the requests that still hit it', () => {
    // Fault at 1 s; the first 4 requests of the fault still try the primary, then none do.
    const records = timeline(0, 5_000, (t) =>
      t >= 1_000 && t < 1_400 ? { tried: [P, F], target: F } : t >= 1_400 ? { tried: [F], target: F } : {},
    );
    const d = detect(records, { fromMs: 1_000 }, P);
    expect(d).toEqual({ atMs: 1_400, seconds: 0.4, requests: 4 });
  });

  it('tolerates a half-open probe (under 5 % of a second) without postponing detection', () => {
    const records = timeline(0, 6_000, (t) =>
      t < 1_000 ? {} : t === 3_000 ? { tried: [P, F], target: F } : { tried: [F], target: F },
    );
    expect(detect(records, { fromMs: 1_000 }, P)?.atMs).toBe(1_000);
  });

  it('is undefined when traffic never leaves the bad target', () => {
    const records = timeline(0, 3_000, () => ({ tried: [P, F], target: F }));
    expect(detect(records, { fromMs: 1_000 }, P)).toBeUndefined();
  });
});

describe('recovery', () => {
  it('a ramp over several seconds is gradual, with the primary share per second', () => {
    // Fault ends at 2 s; the primary serves 1 in 10 from 3 s, then 5 in 10, then everything from 6 s.
    const records = timeline(0, 9_000, (t) => {
      const i = Math.round(t / 100);
      if (t < 3_000) return { target: F, tried: [F] };
      if (t < 4_000) return i % 10 === 0 ? {} : { target: F, tried: [F] };
      if (t < 6_000) return i % 2 === 0 ? {} : { target: F, tried: [F] };
      return {};
    });
    const r = recover(records, { toMs: 2_000 }, P, 4_000);
    expect(r.firstReturnMs).toBe(3_000);
    expect(r.fullMs).toBe(6_000);
    expect(r.seconds).toBe(4);
    expect(r.sharePerSecond.slice(0, 4)).toEqual([0.1, 0.5, 0.5, 1]);
    expect(r.gradual).toBe(true);
  });

  it('a return all at once is not gradual', () => {
    const records = timeline(0, 6_000, (t) => (t < 3_000 ? { target: F, tried: [F] } : {}));
    const r = recover(records, { toMs: 2_000 }, P, 4_000);
    expect(r.fullMs).toBe(3_000);
    expect(r.gradual).toBe(false);
    expect(r.verdict).toMatch(/^100 % in the first second/);
  });

  it('says so when the primary never serves again', () => {
    const records = timeline(0, 4_000, () => ({ target: F, tried: [F] }));
    const r = recover(records, { toMs: 2_000 }, P, 4_000);
    expect(r.gradual).toBe(false);
    expect(r.verdict).toBe('the primary never served again');
  });
});

describe('perSecond', () => {
  it('buckets requests by start second: served by target, failed, tried the primary', () => {
    const records = timeline(0, 2_000, (t) =>
      t < 1_000 ? {} : t === 1_500 ? { ok: false, target: F, tried: [P, F] } : { target: F, tried: [F] },
    );
    const [first, second] = perSecond(records, 2, P);
    expect(first).toMatchObject({ second: 0, byTarget: { [P]: 10 }, failed: 0, triedPrimary: 10 });
    expect(second).toMatchObject({ second: 1, byTarget: { [F]: 9 }, failed: 1, triedPrimary: 1 });
  });
});

describe('triedTargets', () => {
  const route = [P, F];

  it('reads attempts and skips from the trace', () => {
    expect(triedTargets(`${P} attempt upstream_503 2ms; ${F} attempt ok 300ms`, route)).toEqual([P, F]);
    expect(triedTargets(`${P} skip breaker_open; ${F} attempt ok 300ms`, route)).toEqual([F]);
    expect(triedTargets(undefined, route)).toEqual([]);
  });

  it('counts the attempt still streaming when the headers went out', () => {
    expect(triedTargets(`${P} attempt streaming`, route)).toEqual([P]);
  });

  it('counts the attempt a hedge raced against, which has no entry of its own yet', () => {
    expect(triedTargets(`${F} hedge no-first-token-after:800ms; ${F} attempt streaming`, route)).toEqual([
      P,
      F,
    ]);
  });
});

describe('scenarios', () => {
  it('turns fault windows into a simulator schedule with healthy gaps', () => {
    const phases = toPhases(SCENARIOS.outage.windows);
    expect(phases).toEqual([
      { durationMs: 10_000, fault: null },
      { durationMs: 15_000, fault: { kind: 'status', status: 503 } },
    ]);
    const flapping = toPhases(SCENARIOS.flapping.windows);
    expect(flapping).toHaveLength(12);
    expect(flapping.slice(0, 3).map((p) => p.durationMs)).toEqual([10_000, 2_000, 3_000]);
  });

  it('rescales a timeline and spans its incident', () => {
    const windows = scaledWindows(SCENARIOS.flapping, 0.5);
    expect(incidentSpan(windows)).toEqual({ fromS: 5, toS: 18.5 });
  });
});

describe('fault window', () => {
  it('counts upstream attempts per request sent in the window, and the longest wait in it', () => {
    const records = timeline(0, 3_000, (t) =>
      t >= 1_000 && t < 2_000
        ? { attempts: t < 1_500 ? 2 : 1, ttftMs: 2_500 - (t - 1_000) }
        : { attempts: 1, ttftMs: 200 },
    );
    records.push({
      ...records[15]!,
      id: 99,
      ok: false,
      attempts: undefined,
      tried: [P, F],
      durationMs: 4_000,
    });
    delete records.at(-1)!.ttftMs;
    const window = { fromMs: 1_000, toMs: 2_000 };
    expect(attemptsPerRequest(records, window)).toBeCloseTo(17 / 11);
    expect(longestWait(records, window)).toBe(4_000);
    expect(longestWait(records, { fromMs: 2_000, toMs: 3_000 })).toBe(200);
    expect(longestWait([], window)).toBeUndefined();
  });
});
