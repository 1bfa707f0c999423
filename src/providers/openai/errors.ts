/**
 * Error classification for OpenAI and OpenAI-compatible APIs (Azure, Mistral, DeepSeek, Groq, …), from
 * each provider's documented statuses and error bodies: docs/failover.md and shared reference §3.
 */
import type { OutcomeClass, UpstreamFailure } from '../../core/errors.js';
import { contextLengthFields } from '../context-size.js';
import { parseRetryPhrase, serverRetryHintMs } from '../retry-hints.js';
import { bodyExcerpt } from '../upstream-body.js';
import type { AttemptContext, HeaderMap } from '../types.js';

interface ErrorFields {
  message: string;
  type: string | null;
  code: string | null;
  param: string | null;
}

const QUOTA_CODES = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'organization_usage_limit_exceeded',
  'organization_spend_limit_exceeded',
  'project_spend_limit_exceeded',
  'billing_hard_limit_reached',
]);

const CONTEXT_PATTERN =
  /context[_ ]length[_ ]exceeded|maximum context length|context window|too many tokens|prompt is too long|reduce the length/i;
/**
 * The tokens the request needs: OpenAI "your messages resulted in 8227 tokens", "you requested 4268
 * tokens (4012 in the messages, 256 in the completion)" (also DeepSeek); Mistral "Prompt contains 40000
 * tokens".
 */
const CONTEXT_TOKENS = /(?:your messages resulted in|you requested|prompt contains) (\d+) tokens/i;

const MINUTE = 60_000;

/** Reads `{"error":{…}}` (OpenAI, Groq, DeepSeek) and `{"object":"error",…}` (Mistral) bodies. */
function errorFields(body: string): ErrorFields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { message: bodyExcerpt(body), type: null, code: null, param: null };
  }
  const root = (parsed ?? {}) as Record<string, unknown>;
  const inner = (typeof root.error === 'object' && root.error !== null ? root.error : root) as Record<
    string,
    unknown
  >;
  const str = (v: unknown): string | null =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
  const message =
    str(inner.message) ?? (typeof root.error === 'string' ? root.error : null) ?? bodyExcerpt(body);
  return { message, type: str(inner.type), code: str(inner.code), param: str(inner.param) };
}

export function classifyOpenAIError(
  status: number,
  headers: HeaderMap,
  body: string,
  ctx: AttemptContext,
  inStream = false,
): UpstreamFailure {
  const fields = errorFields(body);
  const { message } = fields;
  const make = (
    cls: OutcomeClass,
    reason: string,
    clientStatus: number,
    extra: Partial<UpstreamFailure> = {},
  ): UpstreamFailure => ({
    class: cls,
    reason,
    status: clientStatus,
    type: fields.type ?? (clientStatus >= 500 ? 'api_error' : 'invalid_request_error'),
    code: fields.code,
    param: fields.param,
    message,
    breaker: false,
    ...(inStream ? {} : { upstreamStatus: status }),
    ...extra,
  });
  const kind = `${fields.type ?? ''} ${fields.code ?? ''}`;
  /** The prompt does not fit the model, with the size when the message states it. */
  const contextError = (): UpstreamFailure =>
    make('context', 'context_length', 400, contextLengthFields(fields.message, CONTEXT_TOKENS, fields));

  if (inStream) {
    if (/insufficient_quota|spend_limit|credit_balance/.test(kind))
      return make('failover', 'upstream_quota', 429, { cooldownMs: 60 * MINUTE });
    if (/context_length/.test(kind)) return contextError();
    return make('retry', 'upstream_stream_error', 502, { breaker: true });
  }

  switch (status) {
    case 400:
    case 413:
      if (CONTEXT_PATTERN.test(kind) || CONTEXT_PATTERN.test(fields.message)) return contextError();
      return make('fatal', `upstream_${status}`, status);
    case 401:
    case 403:
      return make('failover', `upstream_auth_${status}`, 502, {
        type: 'api_error',
        message: `Provider ${ctx.provider.id} rejected the gateway's credentials (HTTP ${status}): ${message}`,
        cooldownMs: 5 * MINUTE,
      });
    case 402:
      return make('failover', 'upstream_billing', 502, { type: 'api_error', cooldownMs: 30 * MINUTE });
    case 404:
      return make('failover', 'upstream_model_not_found', 502, {
        type: 'api_error',
        message: `Provider ${ctx.provider.id} does not serve model ${ctx.model}: ${message}`,
        cooldownMs: 5 * MINUTE,
      });
    case 408:
    case 409:
      return make('retry', `upstream_${status}`, 503, { breaker: true });
    case 429: {
      if (QUOTA_CODES.has(fields.code ?? '') || QUOTA_CODES.has(fields.type ?? '')) {
        return make('failover', 'upstream_quota', 429, { cooldownMs: 60 * MINUTE });
      }
      if (fields.code === 'slow_down')
        return make('failover', 'upstream_slow_down', 429, { cooldownMs: 10_000 });
      if (/capacity/i.test(fields.message))
        return make('failover', 'upstream_capacity', 429, { breaker: true });
      const hint = serverRetryHintMs(headers, Date.now()) ?? parseRetryPhrase(fields.message);
      return make('retry', 'upstream_429', 429, hint === undefined ? {} : { retryAfterMs: hint });
    }
    case 498:
      return make('failover', 'upstream_capacity', 503, { breaker: true });
    default:
      if (status >= 500) {
        const hint = serverRetryHintMs(headers, Date.now());
        return make('retry', `upstream_${status}`, 503, {
          breaker: true,
          ...(hint === undefined ? {} : { retryAfterMs: hint }),
        });
      }
      // Other 4xx (422 validation, 424 failed dependency, …): the request itself is at fault.
      return make('fatal', `upstream_${status}`, status);
  }
}
