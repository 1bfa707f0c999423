/**
 * Reading an upstream's answer within bounds: what a provider sends can be hostile (a body that never
 * ends, an event without an end), so every read has a cap, and crossing it is a classified failure
 * that counts against the target and fails over. Defaults and why: docs/configuration.md, `upstream`.
 */
import { transportFailure, type UpstreamFailure } from '../core/errors.js';
import type { UpstreamBody, UpstreamResponse } from './body.js';

/**
 * The whole body as text, or undefined when it is longer than `maxBytes`: then reading stops at once
 * (a Content-Length over the cap is refused before any byte is read) and the request is aborted.
 */
export function readCapped(response: UpstreamResponse, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers['content-length']);
  if (declared > maxBytes) {
    response.body.destroy();
    return Promise.resolve(undefined);
  }
  return response.body.text(maxBytes);
}

/** An error answer is read for its message only: its first 64 KiB, the rest is dropped. */
const ERROR_EXCERPT_BYTES = 64 * 1024;

/** The beginning of a non-2xx body, at most 64 KiB of it (the request is aborted past that). */
export function readErrorExcerpt(body: UpstreamBody): Promise<string> {
  return body.excerpt(ERROR_EXCERPT_BYTES);
}

/** A bound crossed: fail over at once (retrying would read the same flood), counted against the target. */
const tooLarge = (reason: string, message: string): UpstreamFailure => ({
  ...transportFailure(reason, message),
  class: 'failover',
});

/** A non-streaming answer longer than `upstream.maxResponseBytes`. */
export const responseTooLarge = (targetId: string, maxBytes: number): UpstreamFailure =>
  tooLarge(
    'upstream_response_too_large',
    `${targetId} sent a response body larger than ${maxBytes} bytes (upstream.maxResponseBytes).`,
  );

/** A stream line without an end, or an event's data without a blank line, past `upstream.maxEventBytes`. */
export const eventTooLarge = (targetId: string, kind: 'line' | 'event', maxBytes: number): UpstreamFailure =>
  tooLarge(
    'upstream_event_too_large',
    kind === 'line'
      ? `${targetId} sent a stream line longer than ${maxBytes} characters without a line end (upstream.maxEventBytes).`
      : `${targetId} sent a stream event with more than ${maxBytes} characters of data (upstream.maxEventBytes).`,
  );
