/**
 * Error classification for the Gemini API, from google.rpc.Status bodies
 * (`{"error":{"code","message","status","details":[…]}}`, ai.google.dev/gemini-api/docs/generate-content/api-errors)
 * and shared reference §2.3 / §3 rows 15–16, 19–20, 24, 32–34. The failure shapes (reasons, statuses,
 * types) are the OpenAI module's, so metrics and headers read the same whatever the protocol.
 *
 * | status | google status | class |
 * |---|---|---|
 * | 400 | INVALID_ARGUMENT, "input token count … exceeds the maximum" | context |
 * | 400 | INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID | failover + cooldown, 502 |
 * | 400 | FAILED_PRECONDITION (free tier unavailable in the country; enable billing) | failover + cooldown, 502 |
 * | 400 | other INVALID_ARGUMENT | fatal |
 * | 401, 403 | UNAUTHENTICATED, PERMISSION_DENIED | failover + cooldown, 502 |
 * | 404 | NOT_FOUND naming a model | failover + cooldown, 502; other 404s (a referenced file) are fatal |
 * | 429 | RESOURCE_EXHAUSTED, QuotaFailure quotaId …PerDay… | failover, cooldown until the daily reset |
 * | 429 | other RESOURCE_EXHAUSTED | retry after RetryInfo.retryDelay |
 * | 499 | CANCELLED | retry, no breaker (the doc's cause is a client that closed the connection) |
 * | 500, 503 | INTERNAL, UNAVAILABLE | retry + breaker |
 * | 504 | DEADLINE_EXCEEDED | retry + breaker (a target too slow to answer, like the core's own timeouts) |
 */
import type { OutcomeClass, UpstreamFailure } from '../../core/errors.js';
import { contextLengthFields } from '../context-size.js';
import { parseRetryDelay, parseRetryPhrase, serverRetryHintMs } from '../retry-hints.js';
import { bodyExcerpt } from '../upstream-body.js';
import type { AttemptContext, HeaderMap } from '../types.js';
import type { RpcStatus } from './wire.js';

const MINUTE = 60_000;

/** "The input token count (3475108) exceeds the maximum number of tokens allowed (1048576)." (reference row 24). */
const CONTEXT =
  /exceeds the maximum number of tokens|input token count|exceeds the model's input token limit|context (?:length|window)/i;
const CONTEXT_TOKENS = /input token count \((\d+)\)/i;
/** Google API key errors: ErrorInfo reason, or the message when details are missing. */
const BAD_KEY_REASONS = new Set([
  'API_KEY_INVALID',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
]);
const BAD_KEY_MESSAGE = /API key not valid|API key expired/i;

interface Fields {
  status: string | null;
  message: string;
  /** ErrorInfo.reason. */
  reason: string | null;
  /** RetryInfo.retryDelay, in ms. */
  retryDelayMs: number | undefined;
  /** QuotaFailure violation quota ids. */
  quotaIds: string[];
  /** The status code inside the body (the HTTP status of an error sent inside a stream). */
  code: number | undefined;
}

function fields(body: string): Fields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON: e.g. an HTML page from a proxy in front of the API.
    return {
      status: null,
      message: bodyExcerpt(body),
      reason: null,
      retryDelayMs: undefined,
      quotaIds: [],
      code: undefined,
    };
  }
  // Without alt=sse a streaming endpoint answers with a JSON array; errors may come wrapped in one.
  const root = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: unknown } | null;
  const error: RpcStatus =
    typeof root?.error === 'object' && root.error !== null ? (root.error as RpcStatus) : {};
  const out: Fields = {
    status: typeof error.status === 'string' ? error.status : null,
    message: typeof error.message === 'string' ? error.message : bodyExcerpt(body),
    reason: null,
    retryDelayMs: undefined,
    quotaIds: [],
    code: typeof error.code === 'number' ? error.code : undefined,
  };
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    const type = typeof detail?.['@type'] === 'string' ? detail['@type'] : '';
    if (type.endsWith('google.rpc.ErrorInfo') && typeof detail.reason === 'string')
      out.reason = detail.reason;
    else if (type.endsWith('google.rpc.RetryInfo')) out.retryDelayMs = parseRetryDelay(detail.retryDelay);
    else if (type.endsWith('google.rpc.QuotaFailure') && Array.isArray(detail.violations)) {
      for (const v of detail.violations as { quotaId?: unknown }[])
        if (typeof v?.quotaId === 'string') out.quotaIds.push(v.quotaId);
    }
  }
  return out;
}

export interface ClassifyOptions {
  /** The error arrived inside a 200 stream (or body): no upstream HTTP status to report. */
  inStream?: boolean;
  nowMs?: number;
}

export function classifyGeminiError(
  status: number,
  headers: HeaderMap,
  body: string,
  ctx: AttemptContext,
  options: ClassifyOptions = {},
): UpstreamFailure {
  const f = fields(body);
  const now = options.nowMs ?? Date.now();
  const { make, ours, credentials, retry } = builders({ status, headers, f, ctx, now, ...options });
  switch (status) {
    case 400:
      if ((f.reason !== null && BAD_KEY_REASONS.has(f.reason)) || BAD_KEY_MESSAGE.test(f.message))
        return credentials();
      // "Gemini API free tier is not available in your country. Please enable billing on your project."
      if (f.status === 'FAILED_PRECONDITION') return ours('upstream_billing', 30 * MINUTE);
      if (CONTEXT.test(f.message))
        return make(
          'context',
          'context_length',
          400,
          'invalid_request_error',
          contextLengthFields(f.message, CONTEXT_TOKENS),
        );
      return make('fatal', 'upstream_400', 400, 'invalid_request_error');
    case 401:
    case 403:
      return credentials();
    case 404:
      // "models/x is not found for API version v1beta, or is not supported for generateContent" (or a
      // non-Google 404: a wrong base URL). The doc's other 404 is a file the request references, which is
      // the request's fault, not the target's.
      if (f.status === null || /\bmodels?\b/i.test(f.message)) {
        const text = `Provider ${ctx.provider.id} does not serve model ${ctx.model}: ${f.message}`;
        return ours('upstream_model_not_found', 5 * MINUTE, text);
      }
      return make('fatal', 'upstream_404', 404, 'invalid_request_error');
    case 408:
    case 409:
      return make('retry', `upstream_${status}`, 503, 'api_error', { breaker: true });
    case 429:
      // A per-day quota stays exhausted until the daily reset, so waiting is pointless (reference row 16).
      if (f.quotaIds.some((id) => /PerDay/i.test(id)))
        return make('failover', 'upstream_quota', 429, 'insufficient_quota', {
          cooldownMs: msUntilDailyReset(now),
        });
      return retry('upstream_429', 429, 'rate_limit_error', false);
    case 499:
      // "The client closed the connection before the API could finish": not the target's fault.
      return make('retry', 'upstream_499', 503, 'api_error');
    default:
      if (status >= 500) return retry(`upstream_${status}`, 503, 'api_error', true);
      return make('fatal', `upstream_${status}`, status, 'invalid_request_error');
  }
}

interface BuilderInput extends ClassifyOptions {
  status: number;
  headers: HeaderMap;
  f: Fields;
  ctx: AttemptContext;
  now: number;
}

/** The failure shapes the table picks from; every failure has the OpenAI module's fields. */
function builders({ status, headers, f, ctx, now, inStream }: BuilderInput) {
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
    code: f.reason ?? f.status,
    param: null,
    message,
    breaker: false,
    ...(inStream ? {} : { upstreamStatus: status }),
    ...extra,
  });
  /** Our key, account or routing is at fault, not the client's request: 502, and cool the target. */
  const ours = (reason: string, cooldownMs: number, text = message): UpstreamFailure =>
    make('failover', reason, 502, 'api_error', { cooldownMs, message: text });
  return {
    make,
    ours,
    credentials: (): UpstreamFailure =>
      ours(
        `upstream_auth_${status}`,
        5 * MINUTE,
        `Provider ${ctx.provider.id} rejected the gateway's credentials (HTTP ${status}): ${message}`,
      ),
    /** A retryable failure with the server's hint: RetryInfo.retryDelay, then headers, then the message. */
    retry: (reason: string, clientStatus: number, type: string, breaker: boolean): UpstreamFailure => {
      const retryAfterMs = f.retryDelayMs ?? serverRetryHintMs(headers, now) ?? parseRetryPhrase(f.message);
      return make('retry', reason, clientStatus, type, {
        breaker,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    },
  };
}

/** An `error` object inside a stream chunk (or a 2xx body), classified by the status code it carries. */
export function classifyStreamError(data: string, ctx: AttemptContext): UpstreamFailure {
  const code = fields(data).code;
  const status = code !== undefined && code >= 400 && code < 600 ? code : 500;
  return classifyGeminiError(status, {}, data, ctx, { inStream: true });
}

/**
 * Built on first use: a DateTimeFormat with a time zone loads ICU's zone data, some 7 MB of RSS that a
 * gateway without a daily Gemini quota to wait for should not carry (docs/PERFORMANCE.md).
 */
let pacific: Intl.DateTimeFormat | undefined;
const PACIFIC = (): Intl.DateTimeFormat =>
  (pacific ??= new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }));

/**
 * Milliseconds until the next midnight Pacific time: "Requests per day (RPD) quotas reset at midnight
 * Pacific time" (ai.google.dev/gemini-api/docs/rate-limits).
 */
export function msUntilDailyReset(nowMs: number): number {
  const parts = Object.fromEntries(
    PACIFIC()
      .formatToParts(new Date(nowMs))
      .map((p) => [p.type, p.value]),
  );
  const elapsed =
    ((Number(parts.hour) % 24) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000;
  return Math.max(MINUTE, 24 * 3600_000 - elapsed - (nowMs % 1000));
}
