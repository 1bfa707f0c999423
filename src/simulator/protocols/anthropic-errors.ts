/**
 * Anthropic's error shapes, from the API reference's "Errors" page: every error is
 * `{"type":"error","error":{"type","message"},"request_id"}` with a `request-id` header; the types
 * are invalid_request_error (400 and other 4xx), authentication_error (401), permission_error
 * (403), not_found_error (404), request_too_large (413), rate_limit_error (429), api_error (500),
 * overloaded_error (529). Rate limits come with `retry-after` and `anthropic-ratelimit-*` headers
 * whose `-reset` values are RFC 3339 timestamps ("Rate limits" page).
 */
import { randomBytes } from 'node:crypto';
import type { StatusFault } from '../types.js';
import type { Headers, PlainResponse } from './types.js';

/** A validation failure: a 400 `invalid_request_error` (or another status and type). */
export class AnthropicInvalid extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** `req_011C…`: request ids need no determinism, so they do not draw from the simulator's RNG. */
export function requestId(): string {
  return `req_011C${randomBytes(15).toString('base64url').slice(0, 20)}`;
}

export function anthropicError(
  status: number,
  error: { type: string; message: string; details?: Record<string, unknown> },
  headers: Headers = {},
): PlainResponse {
  const id = requestId();
  return {
    status,
    headers: { 'content-type': 'application/json', 'request-id': id, ...headers },
    body: JSON.stringify({ type: 'error', error, request_id: id }),
  };
}

/** 401 for a missing or wrong `x-api-key`, or undefined when it is right (or none is configured). */
export function checkApiKey(
  sent: string | undefined,
  apiKeys: readonly string[] | undefined,
): PlainResponse | undefined {
  if (apiKeys === undefined || (sent !== undefined && apiKeys.includes(sent))) return undefined;
  const message = sent === undefined || sent === '' ? 'x-api-key header is required' : 'invalid x-api-key';
  return anthropicError(401, { type: 'authentication_error', message });
}

const LIMITS = { requests: 4000, tokens: 2_000_000, input: 2_000_000, output: 400_000 };

/** RFC 3339 without fractional seconds, as Anthropic sends it. */
function rfc3339(ms: number): string {
  return new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The `anthropic-ratelimit-*` headers every answer carries; `exhausted` sets that limit's remaining to 0. */
export function anthropicRateLimitHeaders(exhausted?: 'requests' | 'tokens', resetMs = 1000): Headers {
  const headers: Headers = {};
  const families: Array<[string, number, boolean]> = [
    ['requests', LIMITS.requests, exhausted === 'requests'],
    ['tokens', LIMITS.tokens, exhausted === 'tokens'],
    ['input-tokens', LIMITS.input, exhausted === 'tokens'],
    ['output-tokens', LIMITS.output, false],
  ];
  for (const [name, limit, hit] of families) {
    headers[`anthropic-ratelimit-${name}-limit`] = String(limit);
    headers[`anthropic-ratelimit-${name}-remaining`] = hit ? '0' : String(limit - 1);
    headers[`anthropic-ratelimit-${name}-reset`] = rfc3339(hit ? resetMs : 60);
  }
  return headers;
}

function rateLimited(fault: StatusFault): PlainResponse {
  if (fault.code !== undefined && fault.code !== 'rate_limit_exceeded') {
    // e.g. `enforced_spend_limit_reached`: a 429 that waiting a minute does not fix, no retry-after.
    return anthropicError(429, {
      type: 'rate_limit_error',
      message:
        fault.message ?? 'You have reached your specified API usage limits. You will regain access later.',
      details: { error_code: fault.code },
    });
  }
  const limit = fault.limit ?? 'tokens';
  const seconds = fault.retryAfterSeconds ?? Math.max(1, Math.ceil((fault.retryAfterMs ?? 1000) / 1000));
  const what = limit === 'requests' ? '4,000 requests per minute' : '2,000,000 input tokens per minute';
  const message =
    `This request would exceed the rate limit for your organization (00000000-0000-0000-0000-000000000000) of ` +
    `${what}. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers ` +
    'for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You ' +
    'may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.';
  return anthropicError(
    429,
    { type: 'rate_limit_error', message: fault.message ?? message },
    { 'retry-after': String(seconds), ...anthropicRateLimitHeaders(limit, seconds * 1000) },
  );
}

const DEFAULTS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Bad request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: {
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/** A status fault in Anthropic's real shape. */
export function anthropicStatusFault(fault: StatusFault, model: string): PlainResponse {
  if (fault.status === 429) return rateLimited(fault);
  const fallback = DEFAULTS[fault.status] ?? {
    type:
      fault.status === 404 ? 'not_found_error' : fault.status >= 500 ? 'api_error' : 'invalid_request_error',
    message: fault.status === 404 ? `model: ${model}` : `Simulated error with status ${fault.status}.`,
  };
  const headers: Headers = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  return anthropicError(
    fault.status,
    { type: fallback.type, message: fault.message ?? fallback.message },
    headers,
  );
}
