import { describe, expect, it } from 'vitest';
import { attemptTokens, costUsd, estimateTokens } from './accounting.js';

describe('attempt accounting', () => {
  const usage = {
    prompt_tokens: 1000,
    completion_tokens: 500,
    total_tokens: 1500,
    prompt_tokens_details: { cached_tokens: 200 },
  };

  it('uses the upstream usage when there is one', () => {
    expect(attemptTokens({ ok: true, usage, durationMs: 1, outputParts: 0 }, () => 99)).toEqual({
      prompt: 1000,
      completion: 500,
      cached: 200,
      estimated: false,
    });
  });

  it('estimates abandoned streams and ignores failures that were never billed', () => {
    const timeout = {
      class: 'retry',
      reason: 'first_token_timeout',
      status: 504,
      type: 'api_error',
      code: null,
      param: null,
      message: '',
      breaker: true,
    } as const;
    expect(attemptTokens({ ok: false, failure: timeout, durationMs: 1, outputParts: 0 }, () => 42)).toEqual({
      prompt: 42,
      completion: 0,
      estimated: true,
    });
    const rejected = { ...timeout, reason: 'upstream_503' };
    expect(
      attemptTokens({ ok: false, failure: rejected, durationMs: 1, outputParts: 0 }, () => 42),
    ).toBeUndefined();
    expect(
      attemptTokens({ ok: false, failure: rejected, durationMs: 1, outputParts: 7 }, () => 42),
    ).toMatchObject({ completion: 7 });
  });

  it('prices tokens per million, cached input at its own price', () => {
    const tokens = { prompt: 1000, completion: 500, cached: 200, estimated: false };
    expect(costUsd(tokens, { input: 2.5, output: 10, cachedInput: 1.25 })).toBeCloseTo(
      (800 * 2.5 + 200 * 1.25 + 500 * 10) / 1e6,
    );
    expect(costUsd(tokens, undefined)).toBeUndefined();
    expect(estimateTokens({ messages: [{ role: 'user', content: 'x'.repeat(400) }] })).toBeGreaterThan(100);
  });
});
