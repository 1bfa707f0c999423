import type { IncomingMessage } from 'node:http';
import {
  clientClosedRequest,
  invalidJson,
  nestingTooDeep,
  payloadTooLarge,
  unsupportedMediaType,
} from '../core/errors.js';
import type { ServerSettings } from '../config/types.js';
import { tooDeepAt } from './json-depth.js';

/**
 * Reads and parses a JSON body, refusing bodies over the size limit (before reading them where possible)
 * and bodies nested deeper than the depth limit.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limits: Pick<ServerSettings, 'bodyLimitBytes' | 'bodyDepthLimit'>,
): Promise<unknown> {
  const limitBytes = limits.bodyLimitBytes;
  const contentType = req.headers['content-type'];
  if (
    contentType &&
    !/^application\/(?:[\w.+-]*\+)?json\b/i.test(contentType) &&
    !/^text\/plain\b/i.test(contentType)
  ) {
    throw unsupportedMediaType(contentType.split(';')[0] ?? contentType);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) {
    req.resume();
    throw payloadTooLarge(limitBytes);
  }
  const text = await readText(req, limitBytes);
  if (text.trim() === '') throw invalidJson('the body is empty');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw invalidJson((error as Error).message);
  }
  const tooDeep = tooDeepAt(body, limits.bodyDepthLimit);
  if (tooDeep !== undefined) throw nestingTooDeep(limits.bodyDepthLimit, tooDeep);
  return body;
}

/** The body as text; rejects past the limit (draining the rest) or when the client goes away first. */
function readText(req: IncomingMessage, limitBytes: number): Promise<string> {
  // Events, not `for await`: the async iterator costs a few promises and an object per request.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limitBytes) {
        cleanup();
        req.resume();
        reject(payloadTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onGone = (): void => {
      cleanup();
      reject(clientClosedRequest());
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}
