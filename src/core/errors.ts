/**
 * The error catalogue. Every error is classified where it is created: a stable code, the status the
 * client sees, the OpenAI error type, and (for upstream failures) what the engine should do next.
 */

/**
 * What the engine does with a failed attempt:
 * - `retry`: the same target may succeed after a wait (429 rate window, 5xx, 529, resets, timeouts);
 * - `failover`: this target will not serve the request now, the next one may (auth, quota, model gone);
 * - `context`: the prompt does not fit this model; a larger-context target may take it;
 * - `fatal`: the request itself is at fault (bad request, content refused); no other target will do better.
 */
export type OutcomeClass = 'retry' | 'failover' | 'context' | 'fatal';

export type ErrorOrigin = 'client' | 'gateway' | 'upstream';

/** The OpenAI error body every client receives. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A failed upstream attempt, classified. */
export interface UpstreamFailure {
  class: OutcomeClass;
  /** Short machine-readable reason, used in headers, traces and metrics (e.g. `upstream_503`). */
  reason: string;
  /** Status the client sees if this failure ends the request. */
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  message: string;
  /** Upstream status, when the failure came with one. */
  upstreamStatus?: number;
  /** The server's hint of when to try this target again, in milliseconds from now. */
  retryAfterMs?: number;
  /** Whether the failure counts against the target's health (breaker). */
  breaker: boolean;
  /** Keep the target out of rotation for this long (bad key, quota exhausted, unknown model). */
  cooldownMs?: number;
  /** Context-length errors: the tokens the provider says the request needs, when its message says. */
  promptTokens?: number;
}

/** An error the gateway answers with directly: bad input, unknown model, missing key, … */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /**
   * The gateway's own name for what happened (e.g. `upstream_400`), when `code` and `type` may be an
   * upstream's: an upstream chooses those freely, so events, metrics and logs use this instead.
   */
  readonly reason: string | undefined;

  constructor(opts: {
    status: number;
    message: string;
    type: string;
    code?: string | null;
    param?: string | null;
    headers?: Record<string, string>;
    reason?: string;
  }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.type = opts.type;
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
    this.reason = opts.reason;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static fromFailure(failure: UpstreamFailure, headers: Record<string, string> = {}): ApiError {
    return new ApiError({
      status: failure.status,
      message: failure.message,
      type: failure.type,
      code: failure.code,
      param: failure.param,
      headers,
      reason: failure.reason,
    });
  }
}

export const invalidRequest = (
  message: string,
  param: string | null = null,
  code: string | null = null,
): ApiError => new ApiError({ status: 400, message, type: 'invalid_request_error', param, code });

export const invalidJson = (detail: string): ApiError =>
  new ApiError({
    status: 400,
    message: `We could not parse the JSON body of your request: ${detail}`,
    type: 'invalid_request_error',
    code: 'invalid_json',
  });

/** A body nested deeper than the gateway takes (`path` leads to the first value too deep). */
export const nestingTooDeep = (limit: number, path: string): ApiError =>
  new ApiError({
    status: 400,
    message: `The request body is nested more than ${limit} levels deep (at ${path.length > 120 ? `${path.slice(0, 120)}…` : path}).`,
    type: 'invalid_request_error',
    param: /^[^.[]*/.exec(path)![0] || null,
    code: 'nesting_too_deep',
  });

export const unauthorized = (message: string): ApiError =>
  new ApiError({ status: 401, message, type: 'invalid_request_error', code: 'invalid_api_key' });

export const forbidden = (message: string, code = 'model_not_allowed'): ApiError =>
  new ApiError({ status: 403, message, type: 'invalid_request_error', code });

export const modelNotFound = (model: string): ApiError =>
  new ApiError({
    status: 404,
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: 'model',
    code: 'model_not_found',
  });

export const routeNotFound = (method: string, path: string): ApiError =>
  new ApiError({
    status: 404,
    message: `Invalid URL (${method} ${path})`,
    type: 'invalid_request_error',
    code: 'unknown_url',
  });

export const methodNotAllowed = (method: string, path: string, allowed: string[]): ApiError =>
  new ApiError({
    status: 405,
    message: `Method ${method} is not allowed on ${path}; use ${allowed.join(', ')}.`,
    type: 'invalid_request_error',
    code: 'method_not_allowed',
    headers: { allow: allowed.join(', ') },
  });

export const payloadTooLarge = (limitBytes: number): ApiError =>
  new ApiError({
    status: 413,
    message: `Request body exceeds the limit of ${limitBytes} bytes.`,
    type: 'invalid_request_error',
    code: 'request_too_large',
  });

/** The client went away before the answer (nginx's 499); nobody reads it, but logs do. */
export const clientClosedRequest = (): ApiError =>
  new ApiError({
    status: 499,
    message: 'The client closed the request.',
    type: 'invalid_request_error',
    code: 'client_closed_request',
  });

/**
 * The abort reason when the gateway ends a request itself at the end of a drain (a restart or a
 * deploy). Nobody's fault upstream: attempts cut this way never count against their target.
 */
export const SHUTTING_DOWN: unique symbol = Symbol('server-shutting-down');

const SHUTTING_DOWN_MESSAGE = 'The gateway is shutting down (a restart or a deploy); retry the request.';

/** The answer to a request still waiting when the drain time is up (503, retry elsewhere). */
export const serverShuttingDown = (): ApiError =>
  new ApiError({
    status: 503,
    message: SHUTTING_DOWN_MESSAGE,
    type: 'server_error',
    code: 'server_shutting_down',
  });

/** The same, as the failure of an attempt (a committed stream ends with it as its error event). */
export const shuttingDownFailure = (): UpstreamFailure => ({
  class: 'fatal',
  reason: 'server_shutting_down',
  status: 503,
  type: 'server_error',
  code: 'server_shutting_down',
  param: null,
  message: SHUTTING_DOWN_MESSAGE,
  breaker: false,
});

export const unsupportedMediaType = (contentType: string): ApiError =>
  new ApiError({
    status: 415,
    message: `Unsupported content-type "${contentType}"; send application/json.`,
    type: 'invalid_request_error',
    code: 'unsupported_media_type',
  });

/** Classifies failures that happen on the way to or from an upstream, whatever its protocol. */
export const transportFailure = (reason: string, message: string): UpstreamFailure => ({
  class: 'retry',
  reason,
  status: 502,
  type: 'api_error',
  code: reason,
  param: null,
  message,
  breaker: true,
});

/** A target too slow to answer: fail over rather than wait on it again (it counts against its health). */
export const timeoutFailure = (reason: string, message: string): UpstreamFailure => ({
  class: 'failover',
  reason,
  status: 504,
  type: 'api_error',
  code: reason,
  param: null,
  message,
  breaker: true,
});
