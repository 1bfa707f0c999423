import type { ServerResponse } from 'node:http';
import { ApiError, type OpenAIErrorBody } from '../core/errors.js';
import { SecretScrubber } from '../core/secret-scrubber.js';
import type { ResponseMeta } from '../engine/types.js';

/** Header values are Latin-1 without control characters: anything else becomes `?`. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** Headers that tell the client which target answered and how. */
export function metaHeaders(meta: ResponseMeta): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchyard-target': meta.target,
    'x-switchyard-attempts': String(meta.attempts),
  };
  if (meta.fallbackReason) headers['x-switchyard-fallback-reason'] = meta.fallbackReason;
  if (meta.degradedTier) headers['x-switchyard-degraded'] = `tier-${meta.degradedTier}`;
  if (meta.warnings) headers['x-switchyard-warnings'] = headerSafe(meta.warnings.join('; '));
  if (meta.consensus) headers['x-switchyard-consensus'] = meta.consensus;
  return headers;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  // The caller's object, completed in place (each caller builds a fresh one): no spread per response.
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * Every error leaves in OpenAI's shape. Anything unexpected becomes a 500 that says nothing internal.
 * The one choke point for error bodies: every field and header goes through the secret scrubber (upstream
 * text reaches the message, and pass-through errors carry the upstream's type, code and param).
 */
export function sendError(
  res: ServerResponse,
  error: unknown,
  onUnexpected: (error: unknown) => void,
  scrubber: SecretScrubber = SecretScrubber.none,
): void {
  let apiError: ApiError;
  if (error instanceof ApiError) {
    apiError = error;
  } else {
    onUnexpected(error);
    apiError = new ApiError({
      status: 500,
      message: 'The gateway hit an internal error; it has been logged.',
      type: 'server_error',
      code: 'internal_error',
    });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: OpenAIErrorBody = { error: scrubber.scrubError(apiError.toBody().error) };
  sendJson(res, apiError.status, body, scrubbedHeaders(apiError, scrubber));
}

function scrubbedHeaders(error: ApiError, scrubber: SecretScrubber): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(error.headers)) headers[name] = scrubber.scrub(value);
  return headers;
}
