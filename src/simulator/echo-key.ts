/**
 * The `echo-key` fault: a hostile (or careless) upstream that echoes the API key it received, whole
 * and in the forms providers and proxies use when they echo one: masked (`sk-l...1234`,
 * `sk-proj-****1234`) and cut. The protocols spell it in their own error shapes; the plain-text
 * form is the same for every protocol.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PlainResponse } from './protocols/types.js';

/** Where the key starts in the plain-text form unless the fault says otherwise. */
export const DEFAULT_TEXT_OFFSET = 490;
const TEXT_LENGTH = 1000;
const FILLER = 'upstream proxy error: the origin rejected the request; ';

/** The key a request carried, whatever protocol's header (or Gemini's `?key=`) it came in. */
export function receivedKey(headers: IncomingHttpHeaders, query: URLSearchParams): string {
  const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const bearer = first(headers.authorization)?.replace(/^Bearer\s+/i, '');
  return (
    bearer ||
    first(headers['x-api-key']) ||
    first(headers['x-goog-api-key']) ||
    first(headers['api-key']) ||
    query.get('key') ||
    ''
  );
}

/** An error message carrying the key whole, masked two ways, and cut. */
export function echoMessage(key: string): string {
  return (
    `Incorrect API key provided: ${key}. Masked: ${key.slice(0, 8)}****${key.slice(-4)}, ` +
    `${key.slice(0, 4)}...${key.slice(-4)}. Received: ${key.slice(0, 12)}`
  );
}

/** A text/plain body (a proxy's page) with the key starting at character `at`. */
export function echoText(key: string, status: number, at = DEFAULT_TEXT_OFFSET): PlainResponse {
  const filler = FILLER.repeat(Math.ceil((TEXT_LENGTH + at) / FILLER.length));
  const body = `${filler.slice(0, at)}${key}${filler.slice(0, Math.max(0, TEXT_LENGTH - at - key.length))}`;
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}
