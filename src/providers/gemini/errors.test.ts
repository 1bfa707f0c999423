import { describe, expect, it } from 'vitest';
import type { UpstreamFailure } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';
import { classifyGeminiError, msUntilDailyReset } from './errors.js';

const KEY = 'AIzaSy-test-abcdefghijklmnop1234';
const ctx: AttemptContext = {
  provider: {
    id: 'gemini',
    protocol: 'gemini',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    apiKey: KEY,
    headers: {},
    options: {},
  },
  model: 'gemini-2.5-flash',
  publicModel: 'fast',
  requestId: 'req-1',
  dropUnsupported: false,
};

/** 2026-03-10T12:00:00Z = 05:00 PDT: the daily reset is 19 hours away. */
const NOW = Date.UTC(2026, 2, 10, 12, 0, 0);

const status = (code: number, name: string, message: string, details: object[] = []) =>
  JSON.stringify({ error: { code, message, status: name, details } });

const retryInfo = (delay: string) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay: delay,
});
const quotaFailure = (quotaId: string) => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [
    {
      quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
      quotaId,
      quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
      quotaValue: '10',
    },
  ],
});
const help = {
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [{ description: 'Learn more', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
};

const classify = (code: number, body: string, headers = {}): UpstreamFailure =>
  classifyGeminiError(code, headers, body, ctx, { nowMs: NOW });

describe('Gemini error classification', () => {
  it.each<[string, number, string, Partial<UpstreamFailure>]>([
    [
      '400 INVALID_ARGUMENT, malformed request',
      400,
      status(
        400,
        'INVALID_ARGUMENT',
        'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
      ),
      { class: 'fatal', reason: 'upstream_400', status: 400, breaker: false, code: 'INVALID_ARGUMENT' },
    ],
    [
      '400 INVALID_ARGUMENT, prompt over the context window',
      400,
      status(
        400,
        'INVALID_ARGUMENT',
        'The input token count (3475108) exceeds the maximum number of tokens allowed (1048576).',
      ),
      {
        class: 'context',
        reason: 'context_length',
        status: 400,
        breaker: false,
        code: 'context_length_exceeded',
        param: 'messages',
        promptTokens: 3475108,
      },
    ],
    [
      '400 INVALID_ARGUMENT, API_KEY_INVALID',
      400,
      status(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
      ]),
      {
        class: 'failover',
        reason: 'upstream_auth_400',
        status: 502,
        cooldownMs: 300_000,
        code: 'API_KEY_INVALID',
      },
    ],
    [
      '400 FAILED_PRECONDITION, free tier unavailable',
      400,
      status(
        400,
        'FAILED_PRECONDITION',
        'User location is not supported for the API use without a billing account linked.',
      ),
      { class: 'failover', reason: 'upstream_billing', status: 502, cooldownMs: 1_800_000 },
    ],
    [
      '401 UNAUTHENTICATED',
      401,
      status(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
      { class: 'failover', reason: 'upstream_auth_401', status: 502, cooldownMs: 300_000 },
    ],
    [
      '403 PERMISSION_DENIED',
      403,
      status(403, 'PERMISSION_DENIED', 'Your API key was reported as leaked. Please use another API key.'),
      { class: 'failover', reason: 'upstream_auth_403', status: 502, type: 'api_error' },
    ],
    [
      '404 NOT_FOUND, unknown model',
      404,
      status(
        404,
        'NOT_FOUND',
        'models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.',
      ),
      { class: 'failover', reason: 'upstream_model_not_found', status: 502, cooldownMs: 300_000 },
    ],
    [
      '404 NOT_FOUND, a referenced file',
      404,
      status(404, 'NOT_FOUND', 'File abc123 does not exist or you do not have permission to access it.'),
      { class: 'fatal', reason: 'upstream_404', status: 404 },
    ],
    [
      '429 RESOURCE_EXHAUSTED per minute, RetryInfo',
      429,
      status(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota. Please retry in 37.5s.', [
        quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'),
        help,
        retryInfo('37s'),
      ]),
      { class: 'retry', reason: 'upstream_429', status: 429, retryAfterMs: 37_000, breaker: false },
    ],
    [
      '429 RESOURCE_EXHAUSTED per day',
      429,
      status(
        429,
        'RESOURCE_EXHAUSTED',
        'You exceeded your current quota, please check your plan and billing details.',
        [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier'), help, retryInfo('20s')],
      ),
      {
        class: 'failover',
        reason: 'upstream_quota',
        status: 429,
        cooldownMs: 19 * 3_600_000,
        breaker: false,
      },
    ],
    [
      '429 without details: the message hint',
      429,
      status(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted. Please retry in 2.5s.'),
      { class: 'retry', reason: 'upstream_429', retryAfterMs: 2500 },
    ],
    [
      '499 CANCELLED',
      499,
      status(499, 'CANCELLED', 'The operation was cancelled.'),
      { class: 'retry', reason: 'upstream_499', breaker: false },
    ],
    [
      '500 INTERNAL',
      500,
      status(500, 'INTERNAL', 'An internal error has occurred.'),
      { class: 'retry', reason: 'upstream_500', status: 503, breaker: true },
    ],
    [
      '503 UNAVAILABLE',
      503,
      status(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
      { class: 'retry', reason: 'upstream_503', status: 503, breaker: true },
    ],
    [
      '504 DEADLINE_EXCEEDED',
      504,
      status(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'),
      { class: 'retry', reason: 'upstream_504', breaker: true },
    ],
    [
      '502 from a proxy, not JSON',
      502,
      '<html><body>Bad Gateway</body></html>',
      { class: 'retry', reason: 'upstream_502', breaker: true, code: null },
    ],
  ])('%s', (_name, code, body, expected) => {
    const failure = classify(code, body);
    expect(failure).toMatchObject({ upstreamStatus: code, param: null, ...expected });
  });

  it('has the same fields as the other protocols', () => {
    expect(Object.keys(classify(503, status(503, 'UNAVAILABLE', 'overloaded'))).sort()).toEqual(
      ['breaker', 'class', 'code', 'message', 'param', 'reason', 'status', 'type', 'upstreamStatus'].sort(),
    );
  });

  it('prefers RetryInfo, then retry-after, for 5xx too', () => {
    expect(classify(503, status(503, 'UNAVAILABLE', 'x'), { 'retry-after': '3' }).retryAfterMs).toBe(3000);
    expect(
      classify(503, status(503, 'UNAVAILABLE', 'x', [retryInfo('1.5s')]), { 'retry-after': '3' })
        .retryAfterMs,
    ).toBe(1500);
  });

  it('reads errors wrapped in an array (the non-SSE streaming answer)', () => {
    const body = `[${status(429, 'RESOURCE_EXHAUSTED', 'quota', [retryInfo('4s')])}]`;
    expect(classify(429, body)).toMatchObject({ reason: 'upstream_429', retryAfterMs: 4000 });
  });

  it('computes the time to the next midnight Pacific', () => {
    expect(msUntilDailyReset(NOW)).toBe(19 * 3_600_000);
    // 2026-01-15T07:30:00Z = 23:30 PST: 30 minutes left.
    expect(msUntilDailyReset(Date.UTC(2026, 0, 15, 7, 30, 0))).toBe(30 * 60_000);
  });
});
