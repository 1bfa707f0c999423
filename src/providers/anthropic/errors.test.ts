import { describe, expect, it } from 'vitest';
import type { UpstreamFailure } from '../../core/errors.js';
import type { AttemptContext, HeaderMap } from '../types.js';
import { anthropicProtocol } from './index.js';
import { classifyAnthropicError } from './errors.js';

const KEY = 'sk-ant-api03-abcdefghijklmnop1234';
const ctx: AttemptContext = {
  provider: {
    id: 'anthropic',
    protocol: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    apiKey: KEY,
    headers: {},
    options: {},
  },
  model: 'claude-sonnet-4-5-20250929',
  publicModel: 'smart',
  requestId: 'req-1',
  dropUnsupported: false,
};
const NOW = Date.UTC(2026, 7, 20, 12, 0, 0);

/** An error body in the documented shape (api/errors "Error shapes"). */
const errorBody = (type: string, message: string, details?: object): string =>
  JSON.stringify({
    type: 'error',
    error: { type, message, ...(details ? { details } : {}) },
    request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy',
  });

interface Row {
  name: string;
  status: number;
  body: string;
  headers?: HeaderMap;
  expected: Partial<UpstreamFailure>;
}

const rows: Row[] = [
  {
    name: '400 invalid_request_error → fatal',
    status: 400,
    body: errorBody('invalid_request_error', 'messages: roles must alternate between "user" and "assistant"'),
    expected: {
      class: 'fatal',
      reason: 'upstream_400',
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_request_error',
      breaker: false,
    },
  },
  {
    name: '400 prompt too long → context',
    status: 400,
    body: errorBody('invalid_request_error', 'prompt is too long: 207791 tokens > 200000 maximum'),
    expected: {
      class: 'context',
      reason: 'context_length',
      status: 400,
      breaker: false,
      code: 'context_length_exceeded',
      param: 'messages',
      promptTokens: 207791,
    },
  },
  {
    name: '400 input + max_tokens over the window → context',
    status: 400,
    body: errorBody(
      'invalid_request_error',
      'input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again',
    ),
    expected: {
      class: 'context',
      reason: 'context_length',
      status: 400,
      param: 'messages',
      promptTokens: 242959,
    },
  },
  {
    name: '400 own spend limit → failover, cooled until the stated time',
    status: 400,
    body: errorBody(
      'invalid_request_error',
      'You have reached your specified API usage limits. You will regain access on 2026-09-01 at 00:00 UTC.',
    ),
    expected: {
      class: 'failover',
      reason: 'upstream_quota',
      status: 429,
      type: 'insufficient_quota',
      breaker: false,
      cooldownMs: Date.UTC(2026, 8, 1) - NOW,
    },
  },
  {
    name: '400 workspace spend limit without a time → failover, cooled an hour',
    status: 400,
    body: errorBody('invalid_request_error', 'You have reached your specified workspace API usage limits.'),
    expected: { class: 'failover', reason: 'upstream_quota', cooldownMs: 3_600_000 },
  },
  {
    name: '401 authentication_error → failover, cooldown, 502 (our credentials)',
    status: 401,
    body: errorBody('authentication_error', 'invalid x-api-key'),
    expected: {
      class: 'failover',
      reason: 'upstream_auth_401',
      status: 502,
      type: 'api_error',
      code: 'authentication_error',
      breaker: false,
      cooldownMs: 300_000,
    },
  },
  {
    name: '402 billing_error → failover, long cooldown',
    status: 402,
    body: errorBody('billing_error', 'Your credit balance is too low to access the Anthropic API.'),
    expected: {
      class: 'failover',
      reason: 'upstream_billing',
      status: 502,
      code: 'billing_error',
      cooldownMs: 1_800_000,
    },
  },
  {
    name: '403 permission_error → failover, cooldown, 502',
    status: 403,
    body: errorBody(
      'permission_error',
      'Your API key does not have permission to use the specified resource.',
    ),
    expected: { class: 'failover', reason: 'upstream_auth_403', status: 502, cooldownMs: 300_000 },
  },
  {
    name: '404 not_found_error → failover',
    status: 404,
    body: errorBody('not_found_error', 'model: claude-sonnet-9'),
    expected: {
      class: 'failover',
      reason: 'upstream_model_not_found',
      status: 502,
      code: 'not_found_error',
      cooldownMs: 300_000,
    },
  },
  {
    name: '409 conflict_error → retry',
    status: 409,
    body: errorBody('conflict_error', 'The request conflicts with the current state of a resource.'),
    expected: { class: 'retry', reason: 'upstream_409', breaker: true },
  },
  {
    name: '413 request_too_large → fatal 413',
    status: 413,
    body: errorBody('request_too_large', 'Request exceeds the maximum allowed number of bytes.'),
    expected: {
      class: 'fatal',
      reason: 'upstream_413',
      status: 413,
      code: 'request_too_large',
      breaker: false,
    },
  },
  {
    name: '413 over the context window → context',
    status: 413,
    body: errorBody('invalid_request_error', 'Request size exceeds model context window'),
    expected: { class: 'context', reason: 'context_length', status: 400, param: 'messages' },
  },
  {
    name: '429 rate_limit_error → retry after retry-after',
    status: 429,
    headers: { 'retry-after': '7' },
    body: errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
    expected: {
      class: 'retry',
      reason: 'upstream_429',
      status: 429,
      type: 'rate_limit_error',
      retryAfterMs: 7000,
      breaker: false,
    },
  },
  {
    name: '429 rate_limit_error → retry after the exhausted anthropic-ratelimit reset',
    status: 429,
    headers: {
      'anthropic-ratelimit-requests-remaining': '40',
      'anthropic-ratelimit-requests-reset': '2026-08-20T12:00:59Z',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-08-20T12:00:12Z',
    },
    body: errorBody('rate_limit_error', 'Number of input tokens has exceeded your per-minute rate limit'),
    expected: { class: 'retry', reason: 'upstream_429', retryAfterMs: 12_000 },
  },
  {
    name: '429 tier spend cap (enforced_spend_limit_reached, no retry-after) → failover until the month resets',
    status: 429,
    body: errorBody(
      'rate_limit_error',
      "You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier. You will regain access on 2026-09-01 at 00:00 UTC.",
      { error_code: 'enforced_spend_limit_reached' },
    ),
    expected: {
      class: 'failover',
      reason: 'upstream_quota',
      status: 429,
      code: 'enforced_spend_limit_reached',
      breaker: false,
      cooldownMs: Date.UTC(2026, 8, 1) - NOW,
    },
  },
  {
    name: '429 spend-cap wording without details and without retry-after → failover',
    status: 429,
    body: errorBody(
      'rate_limit_error',
      'You have reached your API usage limits: your organization has crossed its monthly API usage threshold.',
    ),
    expected: { class: 'failover', reason: 'upstream_quota', cooldownMs: 3_600_000 },
  },
  {
    name: '500 api_error → retry, breaker',
    status: 500,
    body: errorBody('api_error', 'Internal server error'),
    expected: {
      class: 'retry',
      reason: 'upstream_500',
      status: 503,
      type: 'api_error',
      code: 'api_error',
      breaker: true,
    },
  },
  {
    name: '504 timeout_error → retry, breaker',
    status: 504,
    body: errorBody('timeout_error', 'Request timeout'),
    expected: { class: 'retry', reason: 'upstream_504', breaker: true },
  },
  {
    name: '529 overloaded_error → retry, breaker (the engine retries once, then fails over)',
    status: 529,
    body: errorBody('overloaded_error', 'Overloaded'),
    expected: {
      class: 'retry',
      reason: 'upstream_529',
      status: 503,
      code: 'overloaded_error',
      breaker: true,
      message: 'Overloaded',
    },
  },
  {
    name: '529 with retry-after carries the hint',
    status: 529,
    headers: { 'retry-after': '2' },
    body: errorBody('overloaded_error', 'Overloaded'),
    expected: { class: 'retry', reason: 'upstream_529', retryAfterMs: 2000 },
  },
  {
    name: 'a proxy’s HTML 502 → retry, breaker',
    status: 502,
    body: '<html><body>502 Bad Gateway</body></html>',
    expected: {
      class: 'retry',
      reason: 'upstream_502',
      code: null,
      message: '<html><body>502 Bad Gateway</body></html>',
    },
  },
  {
    name: 'another 4xx → fatal with its status',
    status: 422,
    body: errorBody('invalid_request_error', 'Unprocessable'),
    expected: { class: 'fatal', reason: 'upstream_422', status: 422 },
  },
];

describe('Anthropic error table', () => {
  it.each(rows)('$name', ({ status, body, headers, expected }) => {
    const failure = classifyAnthropicError(status, headers ?? {}, body, ctx, { nowMs: NOW });
    expect(failure).toMatchObject({ upstreamStatus: status, param: null, ...expected });
    // Same shape as the OpenAI module's failures: every field present, nothing extra.
    expect(Object.keys(failure).sort()).toEqual(
      expect.arrayContaining([
        'breaker',
        'class',
        'code',
        'message',
        'param',
        'reason',
        'status',
        'type',
        'upstreamStatus',
      ]),
    );
  });

  it('names the provider when our credentials are refused', () => {
    const failure = anthropicProtocol.classifyError(
      401,
      {},
      errorBody('authentication_error', 'invalid x-api-key'),
      ctx,
    );
    expect(failure.message).toBe(
      "Provider anthropic rejected the gateway's credentials (HTTP 401): invalid x-api-key",
    );
  });
});
