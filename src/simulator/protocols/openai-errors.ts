/**
 * OpenAI's error shapes, from the API reference's error-code guide and real responses:
 * `{"error":{"message","type","param","code"}}`, with the rate-limit headers of a real account.
 */
import type { StatusFault } from '../types.js';
import type { Headers, PlainResponse } from './types.js';

export interface OpenAIError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** A validation failure: becomes a 400 `invalid_request_error`. */
export class InvalidRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function errorResponse(status: number, error: OpenAIError, headers: Headers = {}): PlainResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ error }, null, 2),
  };
}

export function invalidRequestResponse(error: InvalidRequest): PlainResponse {
  const { message, param, code } = error;
  return errorResponse(error.status, { message, type: 'invalid_request_error', param, code });
}

/** `sk-te***************1234`: the prefix and the last four characters of the key that was sent. */
export function maskKey(key: string): string {
  if (key.length <= 8) return `${key.slice(0, 2)}${'*'.repeat(Math.max(0, key.length - 2))}`;
  const prefix = key.startsWith('sk-proj-') ? 8 : 5;
  return `${key.slice(0, prefix)}${'*'.repeat(key.length - prefix - 4)}${key.slice(-4)}`;
}

const KEYS_URL = 'https://platform.openai.com/account/api-keys';

/** 401 for a missing or wrong `Authorization: Bearer` key, or undefined if the key is right. */
export function checkAuth(
  authorization: string | undefined,
  apiKeys: readonly string[] | undefined,
): PlainResponse | undefined {
  if (apiKeys === undefined) return undefined;
  const match = /^Bearer\s+(.*)$/i.exec(authorization ?? '');
  const sent = match?.[1]?.trim() ?? '';
  if (apiKeys.includes(sent)) return undefined;
  if (sent === '') {
    return errorResponse(401, {
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer " +
        "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're " +
        'accessing the API from your browser and are prompted for a username and password. You can obtain an API ' +
        `key from ${KEYS_URL}.`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  }
  return errorResponse(401, {
    message: `Incorrect API key provided: ${maskKey(sent)}. You can find your API key at ${KEYS_URL}.`,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  });
}

/** OpenAI's duration format for `x-ratelimit-reset-*`: `20ms`, `1s`, `6m0s`. */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  return `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s`;
}

const REQUEST_LIMIT = 10_000;
const TOKEN_LIMIT = 30_000_000;

/** The `x-ratelimit-*` headers every answer carries; `exhausted` sets that limit's remaining to 0. */
export function rateLimitHeaders(exhausted?: 'requests' | 'tokens', resetMs = 6): Headers {
  return {
    'x-ratelimit-limit-requests': String(REQUEST_LIMIT),
    'x-ratelimit-limit-tokens': String(TOKEN_LIMIT),
    'x-ratelimit-remaining-requests': exhausted === 'requests' ? '0' : String(REQUEST_LIMIT - 1),
    'x-ratelimit-remaining-tokens': exhausted === 'tokens' ? '0' : String(TOKEN_LIMIT - 42),
    'x-ratelimit-reset-requests': exhausted === 'requests' ? formatReset(resetMs) : '6ms',
    'x-ratelimit-reset-tokens': exhausted === 'tokens' ? formatReset(resetMs) : '0s',
  };
}

function retryHeaders(fault: StatusFault): Headers {
  const headers: Headers = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  return headers;
}

function rateLimited(fault: StatusFault, model: string): PlainResponse {
  if (fault.code === 'insufficient_quota') {
    return errorResponse(
      429,
      {
        message:
          fault.message ??
          'You exceeded your current quota, please check your plan and billing details. For more information on ' +
            'this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
      retryHeaders(fault),
    );
  }
  const limit = fault.limit ?? 'tokens';
  const waitMs = fault.retryAfterMs ?? (fault.retryAfterSeconds ?? 1) * 1000;
  const what =
    limit === 'tokens'
      ? 'tokens per min (TPM): Limit 30000000, Used 29999000, Requested 1500'
      : 'requests per min (RPM): Limit 10000, Used 10000, Requested 1';
  const message =
    `Rate limit reached for ${model} in organization org-simulator on ${what}. Please try again in ` +
    `${formatReset(waitMs)}. Visit https://platform.openai.com/account/rate-limits to learn more.`;
  return errorResponse(
    429,
    {
      message: fault.message ?? message,
      type: limit,
      param: null,
      code: fault.code ?? 'rate_limit_exceeded',
    },
    { ...rateLimitHeaders(limit, waitMs), ...retryHeaders(fault) },
  );
}

const CLOUDFLARE_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

const DEFAULTS: Record<number, Omit<OpenAIError, 'param'>> = {
  400: { message: 'Bad request.', type: 'invalid_request_error', code: null },
  401: {
    message: `Incorrect API key provided. You can find your API key at ${KEYS_URL}.`,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  403: {
    message: 'Country, region, or territory not supported',
    type: 'request_forbidden',
    code: 'unsupported_country_region_territory',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  503: { message: 'The server is overloaded or not ready yet.', type: 'server_error', code: null },
};

/** A status fault in OpenAI's real shape (a 502 is Cloudflare's HTML page, as OpenAI's edge sends it). */
export function statusFault(fault: StatusFault, model: string): PlainResponse {
  if (fault.status === 429) return rateLimited(fault, model);
  if (fault.status === 502 && fault.message === undefined) {
    return {
      status: 502,
      headers: { 'content-type': 'text/html', ...retryHeaders(fault) },
      body: CLOUDFLARE_502,
    };
  }
  const fallback = DEFAULTS[fault.status] ?? {
    message:
      fault.status === 404
        ? `The model \`${model}\` does not exist or you do not have access to it.`
        : `Simulated error with status ${fault.status}.`,
    type: fault.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: fault.status === 404 ? 'model_not_found' : null,
  };
  return errorResponse(
    fault.status,
    {
      message: fault.message ?? fallback.message,
      type: fallback.type,
      param: null,
      code: fault.code ?? fallback.code,
    },
    retryHeaders(fault),
  );
}
