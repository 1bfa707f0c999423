/**
 * Reading an upstream's answer within bounds: what a provider sends can be hostile (a body that never
 * ends, an event without an end), so every read has a cap, and crossing it is a classified failure
 * that counts against the target and fails over. Defaults and why: docs/configuration.md, `upstream`.
 */
import { transportFailure, type UpstreamFailure } from '../core/errors.js';
import type { UpstreamResponse } from './client.js';

/**
 * The whole body as text, or undefined when it is longer than `maxBytes`: then reading stops at once
 * (a Content-Length over the cap is refused before any byte is read) and the body is destroyed.
 * A declared length within the cap is read by undici's own consumer (the HTTP parser reads no byte
 * past a Content-Length); a body without one is counted chunk by chunk. Events, not `for await`: the
 * async iterator costs a few promises and objects per request on the hot path.
 */
export function readCapped(response: UpstreamResponse, maxBytes: number): Promise<string | undefined> {
  const { body } = response;
  const declared = Number(response.headers['content-length']);
  if (declared > maxBytes) {
    body.destroy();
    return Promise.resolve(undefined);
  }
  if (declared >= 0) return body.text();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      body.destroy();
      resolve(undefined);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'),
      );
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      // Destroyed before its end (the attempt was cancelled): the caller reads its own failure.
      cleanup();
      reject(
        Object.assign(new Error('The upstream body was closed before its end.'), { code: 'UND_ERR_ABORTED' }),
      );
    };
    const cleanup = (): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    body.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** An error answer is read for its message only: its first 64 KiB, the rest is dropped. */
const ERROR_EXCERPT_BYTES = 64 * 1024;

/** The beginning of a non-2xx body, at most 64 KiB of it (the body is destroyed past that). */
export async function readErrorExcerpt(body: UpstreamResponse['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    size += buf.length;
    if (size >= ERROR_EXCERPT_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, ERROR_EXCERPT_BYTES);
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
