import { describe, expect, it } from 'vitest';
import { ApiError } from '../core/errors.js';
import type { GatewayKey } from '../config/types.js';
import { MemoryCounters, type WindowCounters } from '../state/counters.js';
import { KEY_LIMIT_OUTCOMES, KeyLimiter } from './limiter.js';

const T0 = Date.UTC(2026, 0, 31, 23, 59, 0); // one minute before a new day and month

function setup(failMode: 'open' | 'closed' = 'open', counters?: WindowCounters) {
  let now = T0;
  const limiter = new KeyLimiter({
    wallNow: () => now,
    failMode,
    counters: counters ?? new MemoryCounters(() => now),
  });
  return { limiter, advance: (ms: number) => (now += ms) };
}

const refusal = async (p: Promise<unknown>): Promise<ApiError> => {
  try {
    await p;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

const key = (extra: Partial<GatewayKey>): GatewayKey => ({ name: 'team', key: 'x'.repeat(10), ...extra });

describe('KeyLimiter', () => {
  it('a key without limits is never counted (no estimate asked)', async () => {
    const { limiter } = setup();
    let asked = 0;
    expect(await limiter.admit(key({}), () => ++asked)).toBeUndefined();
    expect(asked).toBe(0);
  });

  it('rpm: the n+1-th request of a minute is a 429 with retry-after until the minute ends', async () => {
    const { limiter, advance } = setup();
    const k = key({ limits: { rpm: 2 } });
    await limiter.admit(k, () => 0);
    advance(15_000);
    await limiter.admit(k, () => 0);
    const error = await refusal(limiter.admit(k, () => 0));
    expect(error.status).toBe(429);
    expect(error.type).toBe('rate_limit_error');
    expect(error.code).toBe('key_rate_limit_requests');
    expect(error.headers['retry-after']).toBe('45');
    advance(45_000);
    await expect(limiter.admit(k, () => 0)).resolves.toBeUndefined();
  });

  it('tpm: the estimate is reserved, then settled to the reported tokens in the same minute', async () => {
    const { limiter } = setup();
    const k = key({ limits: { tpm: 1_000, rpm: 10 } });
    const r = await limiter.admit(k, () => 800);
    expect(r?.tokens).toBe(800);
    // A second request of 300 does not fit while 800 are reserved …
    const error = await refusal(limiter.admit(k, () => 300));
    expect(error.code).toBe('key_rate_limit_tokens');
    // … and gave its request back.
    expect((await limiter.usage(k)).requestsThisMinute).toBe(1);
    // The provider reported 100 tokens: 700 are given back, and it fits.
    limiter.settle(k, r, { tokens: 100, costUsd: 0 });
    await Promise.resolve();
    expect((await limiter.usage(k)).tokensThisMinute).toBe(100);
    await expect(limiter.admit(k, () => 300)).resolves.toMatchObject({ tokens: 300 });
  });

  it('tpm: a request larger than the whole limit says so', async () => {
    const { limiter } = setup();
    const error = await refusal(limiter.admit(key({ limits: { tpm: 100 } }), () => 500));
    expect(error.code).toBe('key_rate_limit_tokens');
    expect(error.message).toContain('Request too large');
  });

  it('a reservation settled in a later minute stays where it was taken', async () => {
    const { limiter, advance } = setup();
    const k = key({ limits: { tpm: 1_000 } });
    const r = await limiter.admit(k, () => 900);
    advance(60_000);
    limiter.settle(k, r, { tokens: 10, costUsd: 0 });
    await Promise.resolve();
    expect((await limiter.usage(k)).tokensThisMinute).toBe(0);
  });

  it('budget (routing.cap): refused once the day is spent, retry-after until UTC midnight; the month too', async () => {
    const { limiter, advance } = setup();
    const k = key({ routing: { overrides: false, cap: { dailyUsd: 1, monthlyUsd: 1.5 } } });
    await limiter.admit(k, () => 0);
    limiter.settle(k, undefined, { tokens: 0, costUsd: 1.2 });
    await Promise.resolve();
    const day = await refusal(limiter.admit(k, () => 0));
    expect(day.code).toBe('cost_cap_reached');
    expect(day.type).toBe('insufficient_quota');
    expect(day.message).toContain('daily spend cap of the key "team"');
    // The gateway's own name for it (events, metrics, store); SLOs and alerts leave it out.
    expect(day.reason).toBe('key_budget_exceeded');
    expect(KEY_LIMIT_OUTCOMES.has(day.reason!)).toBe(true);
    expect(day.headers['retry-after']).toBe('60');
    // A new day (and month: Feb 1): both reset.
    advance(60_000);
    await expect(limiter.admit(k, () => 0)).resolves.toBeUndefined();
    limiter.settle(k, undefined, { tokens: 0, costUsd: 0.9 });
    advance(86_400_000);
    limiter.settle(k, undefined, { tokens: 0, costUsd: 0.7 });
    await Promise.resolve();
    const month = await refusal(limiter.admit(k, () => 0));
    expect(month.message).toContain('monthly spend cap');
    expect(Number(month.headers['retry-after'])).toBe(27 * 86_400);
  });

  it('counters failing: open lets requests through, closed answers 503; both counted', async () => {
    const broken: WindowCounters = {
      take: () => Promise.reject(new Error('down')),
      add: () => Promise.reject(new Error('down')),
      peek: () => Promise.reject(new Error('down')),
    };
    const k = key({ limits: { rpm: 1 } });
    const open = setup('open', broken).limiter;
    await expect(open.admit(k, () => 0)).resolves.toBeUndefined();
    expect(open.failures.open).toBe(1);
    const closed = setup('closed', broken).limiter;
    const error = await refusal(closed.admit(k, () => 0));
    expect(error.status).toBe(503);
    expect(error.code).toBe('limits_unavailable');
    expect(closed.failures.closed).toBe(1);
  });
});
