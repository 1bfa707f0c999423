/**
 * Error classification for the Anthropic Messages API: one table from the documented error types
 * (platform.claude.com/docs/en/api/errors, …/api/rate-limits) and shared reference §2.2 / §3 rows 8–12,
 * 22–23, 26, 32–35. A stream's `event: error` is classified through the same table, by the HTTP status
 * its error type stands for (anthropic-sdk-python#1258: a mid-stream overload must count as a 529).
 */
import type { OutcomeClass, UpstreamFailure } from '../../core/errors.js';
import { contextLengthFields } from '../context-size.js';
import { parseResetTimestamp, serverRetryHintMs } from '../retry-hints.js';
import { bodyExcerpt } from '../upstream-body.js';
import type { AttemptContext, HeaderMap } from '../types.js';
import type { ErrorBody } from './wire.js';

const MINUTE = 60_000;

/** The documented error types and their HTTP statuses (api/errors "HTTP errors"). */
export const ERROR_TYPE_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** "prompt is too long: 207791 tokens > 200000 maximum"; "input length and `max_tokens` exceed context limit: …"; a 413 "Request size exceeds model context window". */
const CONTEXT = /prompt is too long|input length and `?max_tokens`? exceed context limit|context window/i;
/** The tokens those messages say the request needs. */
const CONTEXT_TOKENS = /prompt is too long: (\d+) tokens|exceed context limit: (\d+) \+ (\d+)/i;
/** A spend limit the organisation or workspace set: 400 "You have reached your specified (workspace) API usage limits…". */
const OWN_SPEND_LIMIT = /you have reached your specified (?:workspace )?API usage limits/i;
/** The tier cap's wording ("You have reached your API usage limits: …"), for bodies without details.error_code. */
const SPEND_LIMIT = /you have reached your (?:specified )?(?:workspace )?API usage limits/i;
/** "…You will regain access on 2026-09-01 at 00:00 UTC." */
const REGAIN = /regain access on (\d{4}-\d{2}-\d{2}) at (\d{2}:\d{2}(?::\d{2})?) UTC/i;

interface Fields {
  type: string | null;
  message: string;
  errorCode: string | null;
}

function fields(body: string): Fields {
  let parsed: ErrorBody;
  try {
    parsed = JSON.parse(body) as ErrorBody;
  } catch {
    // Not JSON: e.g. an HTML page from a proxy in front of the API.
    return { type: null, message: bodyExcerpt(body), errorCode: null };
  }
  const error = typeof parsed?.error === 'object' && parsed.error !== null ? parsed.error : {};
  return {
    type: typeof error.type === 'string' ? error.type : null,
    message: typeof error.message === 'string' ? error.message : bodyExcerpt(body),
    errorCode: typeof error.details?.error_code === 'string' ? error.details.error_code : null,
  };
}

export interface ClassifyOptions {
  /** The error arrived as an SSE `error` event inside a 200 stream: no upstream status to report. */
  inStream?: boolean;
  nowMs?: number;
}

export function classifyAnthropicError(
  status: number,
  headers: HeaderMap,
  body: string,
  ctx: AttemptContext,
  options: ClassifyOptions = {},
): UpstreamFailure {
  const f = fields(body);
  const now = options.nowMs ?? Date.now();
  const { make, quota, ours, transient, message, contextError } = builders({
    status,
    headers,
    f,
    now,
    ...options,
  });
  switch (status) {
    case 400:
      if (OWN_SPEND_LIMIT.test(f.message)) return quota();
      if (CONTEXT.test(f.message)) return contextError();
      return make('fatal', 'upstream_400', 400, 'invalid_request_error');
    case 401:
    case 403:
      return ours(
        `upstream_auth_${status}`,
        5 * MINUTE,
        `Provider ${ctx.provider.id} rejected the gateway's credentials (HTTP ${status}): ${message}`,
      );
    case 402:
      return ours('upstream_billing', 30 * MINUTE);
    case 404:
      return ours(
        'upstream_model_not_found',
        5 * MINUTE,
        `Provider ${ctx.provider.id} does not serve model ${ctx.model}: ${message}`,
      );
    case 408:
    case 409:
      return make('retry', `upstream_${status}`, 503, 'api_error', { breaker: true });
    case 413:
      if (CONTEXT.test(f.message)) return contextError();
      return make('fatal', 'upstream_413', 413, 'invalid_request_error');
    case 429: {
      // The tier's monthly spend cap: same error type as a rate limit, but no retry-after (api/rate-limits).
      if (f.errorCode === 'enforced_spend_limit_reached') return quota();
      if (SPEND_LIMIT.test(f.message) && headerValue(headers, 'retry-after') === undefined) return quota();
      const hint = serverRetryHintMs(headers, now);
      return make(
        'retry',
        'upstream_429',
        429,
        'rate_limit_error',
        hint === undefined ? {} : { retryAfterMs: hint },
      );
    }
    default:
      // 500 api_error, 504 timeout_error, 529 overloaded_error ("high traffic across all users"), and
      // proxy 502/503: the same target may answer later; the breaker counts them.
      if (status >= 500) return transient();
      // "This error type may also be used for other 4XX status codes not listed": the request is at fault.
      return make('fatal', `upstream_${status}`, status, 'invalid_request_error');
  }
}

interface BuilderInput {
  status: number;
  headers: HeaderMap;
  f: Fields;
  now: number;
  inStream?: boolean;
}

/** The failure shapes the table picks from; every failure has the OpenAI module's fields. */
function builders({ status, headers, f, now, inStream }: BuilderInput) {
  const { message } = f;
  const make = (
    cls: OutcomeClass,
    reason: string,
    clientStatus: number,
    type: string,
    extra: Partial<UpstreamFailure> = {},
  ): UpstreamFailure => ({
    class: cls,
    reason,
    status: clientStatus,
    type,
    code: f.errorCode ?? f.type,
    param: null,
    message,
    breaker: false,
    ...(inStream ? {} : { upstreamStatus: status }),
    ...extra,
  });
  return {
    message,
    make,
    /** The prompt does not fit the model: OpenAI's code, and the size when the message states it. */
    contextError: (): UpstreamFailure =>
      make(
        'context',
        'context_length',
        400,
        'invalid_request_error',
        contextLengthFields(f.message, CONTEXT_TOKENS),
      ),
    /** Our key is out of money until a stated time (or, unstated, for an hour): never retry it meanwhile. */
    quota: (): UpstreamFailure =>
      make('failover', 'upstream_quota', 429, 'insufficient_quota', {
        cooldownMs: regainMs(f.message, now) ?? 60 * MINUTE,
      }),
    /** Our credentials, account or routing are at fault, not the client's request: 502, and cool the target. */
    ours: (reason: string, cooldownMs: number, text = message): UpstreamFailure =>
      make('failover', reason, 502, 'api_error', { cooldownMs, message: text }),
    transient: (): UpstreamFailure => {
      const hint = serverRetryHintMs(headers, now);
      return make('retry', `upstream_${status}`, 503, 'api_error', {
        breaker: true,
        ...(hint === undefined ? {} : { retryAfterMs: hint }),
      });
    },
  };
}

/** An SSE `event: error` payload, classified as the HTTP status its error type stands for. */
export function classifyStreamError(data: string, ctx: AttemptContext): UpstreamFailure {
  const type = fields(data).type;
  const status = (type !== null ? ERROR_TYPE_STATUS[type] : undefined) ?? 500;
  return classifyAnthropicError(status, {}, data, ctx, { inStream: true });
}

function regainMs(message: string, nowMs: number): number | undefined {
  const m = REGAIN.exec(message);
  if (m === null) return undefined;
  const time = (m[2] as string).length === 5 ? `${m[2]}:00` : (m[2] as string);
  const ms = parseResetTimestamp(`${m[1]}T${time}Z`, nowMs);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
