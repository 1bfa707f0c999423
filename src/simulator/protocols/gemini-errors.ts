/**
 * Gemini's errors are `google.rpc.Status` objects: `{"error":{"code","message","status","details"}}`
 * (Gemini API troubleshooting guide; real bodies quoted in public issue threads): 400
 * INVALID_ARGUMENT (with a `BadRequest` of field violations for unknown or mistyped JSON fields,
 * `ErrorInfo` reason `API_KEY_INVALID` for a bad key), 403 PERMISSION_DENIED, 404 NOT_FOUND, 429
 * RESOURCE_EXHAUSTED with `QuotaFailure`, `Help` and `RetryInfo.retryDelay`, 500 INTERNAL, 503
 * UNAVAILABLE, 504 DEADLINE_EXCEEDED.
 */
import type { ErrorEventFault, StatusFault } from '../types.js';
import type { PlainResponse } from './types.js';

const TYPE = 'type.googleapis.com/google.rpc.';
type Detail = Record<string, unknown>;

export const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** A validation failure: a 400 INVALID_ARGUMENT (or another code), with optional details. */
export class GeminiInvalid extends Error {
  constructor(
    message: string,
    readonly details: Detail[] = [],
    readonly code = 400,
  ) {
    super(message);
  }
}

/** `* GenerateContentRequest.contents: contents is not specified\n` — the API's semantic errors. */
export function requestError(
  path: string,
  message: string,
  request = 'GenerateContentRequest',
): GeminiInvalid {
  return new GeminiInvalid(`* ${request}.${path}: ${message}\n`);
}

export function badRequest(violations: Array<{ field?: string; description: string }>): GeminiInvalid {
  return new GeminiInvalid(violations.map((v) => v.description).join('\n'), [
    { '@type': `${TYPE}BadRequest`, fieldViolations: violations },
  ]);
}

export function rpcError(code: number, message: string, details: Detail[] = []): PlainResponse {
  const status = STATUS_NAMES[code] ?? (code >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
  const error = details.length > 0 ? { code, message, status, details } : { code, message, status };
  return {
    status: code,
    headers: { 'content-type': 'application/json; charset=UTF-8', vary: 'Origin, X-Origin, Referer' },
    body: JSON.stringify({ error }, null, 2),
  };
}

/** A missing key is a 403; a wrong one a 400 with ErrorInfo `API_KEY_INVALID`; undefined = accepted. */
export function checkGeminiKey(
  sent: string | undefined,
  apiKeys: readonly string[] | undefined,
): PlainResponse | undefined {
  if (apiKeys === undefined || (sent !== undefined && apiKeys.includes(sent))) return undefined;
  if (sent === undefined || sent === '') {
    return rpcError(
      403,
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or " +
        'other form of API consumer identity to call this API.',
    );
  }
  const message = 'API key not valid. Please pass a valid API key.';
  return rpcError(400, message, [
    {
      '@type': `${TYPE}ErrorInfo`,
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
    { '@type': `${TYPE}LocalizedMessage`, locale: 'en-US', message },
  ]);
}

export function modelNotFound(model: string, method = 'generateContent'): PlainResponse {
  return rpcError(
    404,
    `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to ` +
      'see the list of available models and their supported methods.',
  );
}

const RATE_LIMITS_URL = 'https://ai.google.dev/gemini-api/docs/rate-limits';

/** 429 RESOURCE_EXHAUSTED; `code: 'per-day'` is the daily quota, which waiting seconds does not fix. */
function quotaExceeded(fault: StatusFault, model: string): PlainResponse {
  const perDay = fault.code === 'per-day';
  const delay = fault.retryAfterSeconds ?? (fault.retryAfterMs !== undefined ? fault.retryAfterMs / 1000 : 7);
  const limit = perDay ? 250 : 10;
  const quotaId = perDay
    ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'
    : 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier';
  const message =
    fault.message ??
    `You exceeded your current quota, please check your plan and billing details. For more information on this ` +
      `error, head to: ${RATE_LIMITS_URL}. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n` +
      `* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: ` +
      `${limit}, model: ${model}\nPlease retry in ${delay}s.`;
  const response = rpcError(429, message, [
    {
      '@type': `${TYPE}Help`,
      links: [{ description: 'Learn more about Gemini API quotas', url: RATE_LIMITS_URL }],
    },
    {
      '@type': `${TYPE}QuotaFailure`,
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId,
          quotaDimensions: { location: 'global', model },
          quotaValue: String(limit),
        },
      ],
    },
    { '@type': `${TYPE}RetryInfo`, retryDelay: `${Number(delay.toFixed(3))}s` },
  ]);
  if (fault.retryAfterSeconds !== undefined)
    response.headers['retry-after'] = String(fault.retryAfterSeconds);
  return response;
}

const MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  403: 'The caller does not have permission',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'Deadline expired before operation could complete.',
};

export function geminiStatusFault(fault: StatusFault, model: string): PlainResponse {
  if (fault.status === 429) return quotaExceeded(fault, model);
  if (fault.status === 404 && fault.message === undefined) return modelNotFound(model);
  const response = rpcError(
    fault.status,
    fault.message ?? MESSAGES[fault.status] ?? `Simulated error with status ${fault.status}.`,
  );
  if (fault.retryAfterSeconds !== undefined)
    response.headers['retry-after'] = String(fault.retryAfterSeconds);
  return response;
}

const CODES: Record<string, number> = Object.fromEntries(
  Object.entries(STATUS_NAMES).map(([c, n]) => [n, Number(c)]),
);

/** The in-stream error: a `data: {"error":{…}}` event; `errorType` is a status name (default INTERNAL). */
export function geminiStreamError(fault: ErrorEventFault): string {
  const status = fault.errorType ?? 'INTERNAL';
  const code = CODES[status] ?? 500;
  const message = fault.message ?? MESSAGES[code] ?? 'An internal error has occurred.';
  return JSON.stringify({ error: { code, message, status } });
}
