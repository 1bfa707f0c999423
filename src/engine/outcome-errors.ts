/** The errors a request ends with when no attempt succeeded, with headers saying what happened. */
import { ApiError, type UpstreamFailure } from '../core/errors.js';
import type { Target } from '../config/types.js';
import type { TargetSkip } from './request-state.js';
import type { ResponseMeta } from './types.js';

/** The gateway already retried and failed over: an SDK retrying on top would only multiply load. */
const terminal = (): Record<string, string> => ({ 'x-should-retry': 'false' });

/** The request itself is at fault (or was refused): the upstream's status and message, secrets scrubbed. */
export function fatalError(failure: UpstreamFailure): ApiError {
  return ApiError.fromFailure(failure, terminal());
}

/** A target that cannot take the request as it is (its protocol refused a parameter). */
export function translationFailure(error: ApiError): UpstreamFailure {
  return {
    class: 'failover',
    reason: 'unsupported_parameter',
    status: error.status,
    type: error.type,
    code: error.code,
    param: error.param,
    message: error.message,
    breaker: false,
  };
}

/**
 * An embeddings request on a model the provider says it does not have (Gemini: "not found … or is not
 * supported for embedContent"; a chat model asked for vectors): what the request caused, not the
 * target's fault. It neither cools the target nor counts against it (chat keeps using it), the next
 * target of the route may embed, and if none does the client gets the upstream's 404 `model_not_found`.
 */
export function embeddingsFailure(failure: UpstreamFailure): UpstreamFailure {
  if (failure.reason !== 'upstream_model_not_found') return failure;
  const { cooldownMs: _cooldown, ...rest } = failure;
  return {
    ...rest,
    class: 'failover',
    reason: 'embeddings_model_not_found',
    status: failure.upstreamStatus ?? 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param: 'model',
    breaker: false,
  };
}

/** Failures the request itself caused on a target: when every target failed so, the client is told why. */
const REQUEST_FAULTS: ReadonlySet<string> = new Set(['unsupported_parameter', 'embeddings_model_not_found']);

/** Every target failed or was skipped: one clear error listing why. */
export function exhaustedError({
  failures,
  skips,
  meta,
  deadlineExpired,
  timeoutMs,
}: {
  failures: { target: Target; failure: UpstreamFailure }[];
  /** Targets not tried, typed (decides the error; the trace only words it). */
  skips: readonly TargetSkip[];
  meta: ResponseMeta;
  deadlineExpired: boolean;
  timeoutMs: number;
}): ApiError {
  const h = terminal();
  const reasons = failures.map((f) => `${f.target.id}: ${f.failure.reason} (${f.failure.message})`);
  const skipped = meta.trace.filter((t) => t.action === 'skip').map((t) => `${t.target}: ${t.result}`);
  const detail = [...reasons, ...skipped].join('; ') || 'no target could be tried';
  if (deadlineExpired) {
    return new ApiError({
      status: 504,
      message: `The request did not complete within its deadline of ${timeoutMs} ms. ${detail}`,
      type: 'api_error',
      code: 'deadline_exceeded',
      headers: h,
    });
  }
  const soonest = Math.min(...failures.map((f) => f.failure.retryAfterMs ?? Infinity));
  if (Number.isFinite(soonest)) {
    h['retry-after'] = String(Math.ceil(soonest / 1000));
    h['retry-after-ms'] = String(Math.ceil(soonest));
  }
  if (failures.length === 0 && skips.length > 0 && skips.every((t) => t.reason === 'unsupported-endpoint')) {
    return new ApiError({
      status: 400,
      message: `No target of this model supports this endpoint (${skips.map((t) => t.target).join(', ')}).`,
      type: 'invalid_request_error',
      code: 'unsupported_endpoint',
      param: 'model',
      headers: h,
    });
  }
  if (failures.length > 0 && failures.every((f) => REQUEST_FAULTS.has(f.failure.reason))) {
    // No target can take the request as sent: the client's request is at fault, say which parameter.
    const first = failures[0]!.failure;
    return new ApiError({
      status: first.status,
      message: failures.map((f) => f.failure.message).join(' '),
      type: first.type,
      code: first.code,
      param: first.param,
      headers: h,
      reason: first.reason,
    });
  }
  // A target skipped for its health (not for its window) might have taken the prompt.
  const unavailable = skips.some((t) => t.reason !== 'context-window');
  if (failures.length > 0 && !unavailable && failures.every((f) => f.failure.class === 'context')) {
    // The prompt fits no target that could be tried: the request is at fault, not the providers.
    const last = failures.at(-1)!.failure;
    return new ApiError({
      status: 400,
      message: `${last.message} No target of this model has a large enough context window (${detail}).`,
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
      param: 'messages',
      headers: h,
    });
  }
  if (failures.length > 0 && failures.every((f) => f.failure.reason === 'gateway_saturated')) {
    // The gateway's own connection queue was full: its own 503, worth retrying shortly.
    return new ApiError({
      status: 503,
      message: `The gateway is saturated: no upstream connection was free in time. ${detail}`,
      type: 'api_error',
      code: 'gateway_saturated',
      headers: { 'retry-after': '1' },
    });
  }
  const allRateLimited = failures.length > 0 && failures.every((f) => f.failure.status === 429);
  // One kind of failure everywhere (e.g. every key rejected: 502) keeps its status; a mix is a 503.
  const statuses = new Set(failures.map((f) => f.failure.status));
  const shared = statuses.size === 1 ? failures[0]!.failure.status : 503;
  return new ApiError({
    status: allRateLimited ? 429 : shared >= 500 ? shared : 503,
    message: `No provider could serve the request. ${detail}`,
    type: allRateLimited ? 'rate_limit_error' : 'api_error',
    code: allRateLimited ? 'rate_limit_exceeded' : 'all_targets_failed',
    headers: h,
  });
}
