import type { IncomingMessage } from 'node:http';
import { invalidJson, payloadTooLarge, unsupportedMediaType } from '../core/errors.js';

/** Reads and parses a JSON body, refusing bodies over the limit before reading them where possible. */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
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
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      req.resume();
      throw payloadTooLarge(limitBytes);
    }
    chunks.push(chunk);
  }
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw invalidJson('the body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidJson((error as Error).message);
  }
}
