/** Reading a 2xx body that must be a JSON object; shared by every protocol's response parser. */
import { transportFailure } from '../core/errors.js';
import { UpstreamFailureError } from './types.js';

/** A 2xx answer the gateway cannot use: a failed attempt (retryable), never a 200 to the client. */
export const invalidResponse = (detail: string): UpstreamFailureError =>
  new UpstreamFailureError(
    transportFailure('invalid_upstream_response', `The upstream returned an invalid response: ${detail}`),
  );

/** Parses a body that must be one JSON object (a truncated body is not). */
export function parseJsonObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalidResponse('the body is not valid JSON (truncated?)');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidResponse('the body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Characters of an unparsable error body kept as its message. */
const EXCERPT_LENGTH = 500;

/**
 * The start of an error body that is not the protocol's JSON (an HTML page from a proxy), as its
 * message; a cut one ends with `…`, which the secret scrubber reads as a cut (a key cut there is
 * redacted too, however few of its characters are left).
 */
export function bodyExcerpt(body: string): string {
  return body.length > EXCERPT_LENGTH ? `${body.slice(0, EXCERPT_LENGTH)}…` : body;
}
