/**
 * The Anthropic Messages wire protocol (`POST /v1/messages`), written from Anthropic's API
 * reference: `x-api-key` (or Bearer) auth, the required `anthropic-version` header, Pydantic-style validation
 * errors, the message object and its event stream, and Anthropic's error and in-stream error shapes.
 * Keep-alive: Anthropic's own keep-alive is the `ping` event, so the `keepalive` fault sends
 * `event: ping` frames (not SSE comments) before the stream; neither is a token.
 */
import { echoMessage } from '../echo-key.js';
import { sseFrame, SSE_HEADERS } from '../sse.js';
import type { ErrorEventFault } from '../types.js';
import { parseJson } from './anthropic-check.js';
import { messagesAnswer } from './anthropic-answer.js';
import {
  AnthropicInvalid,
  anthropicError,
  anthropicRateLimitHeaders,
  anthropicStatusFault,
  checkApiKey,
  requestId,
} from './anthropic-errors.js';
import { validateMessagesRequest } from './anthropic-request.js';
import type { Headers, ProtocolContext, ProtocolModule, ProtocolRequest, RouteResult } from './types.js';

export const MESSAGES_PATH = '/v1/messages';

function header(request: ProtocolRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The key sent as `x-api-key`, or as `Authorization: Bearer` (how `@anthropic-ai/sdk` 1.x sends an
 * `apiKey`, so the real API accepts it there too).
 */
function sentKey(request: ProtocolRequest): string | undefined {
  const key = header(request, 'x-api-key');
  if (key !== undefined && key !== '') return key;
  return /^Bearer\s+(.+)$/i.exec(header(request, 'authorization') ?? '')?.[1]?.trim();
}

function answerHeaders(context: ProtocolContext, contentType: Headers): Headers {
  return {
    ...contentType,
    'request-id': requestId(),
    'anthropic-organization-id': '00000000-0000-0000-0000-000000000000',
    ...anthropicRateLimitHeaders(),
  };
}

function modelOf(body: Buffer): string | undefined {
  try {
    const model = (JSON.parse(body.toString('utf8')) as { model?: unknown } | null)?.model;
    return typeof model === 'string' && model !== '' ? model : undefined;
  } catch {
    return undefined;
  }
}

function messages(request: ProtocolRequest, context: ProtocolContext): RouteResult {
  const version = header(request, 'anthropic-version');
  if (version === undefined) throw new AnthropicInvalid('anthropic-version: header is required');
  // Any value is accepted: the SDK sends versions newer than the documented list (1.13.0: 2026-10-21).
  const parsed = validateMessagesRequest(parseJson(request.body));
  if (context.strictModels && !context.models().includes(parsed.model)) {
    const response = anthropicError(404, { type: 'not_found_error', message: `model: ${parsed.model}` });
    return { type: 'respond', response, outcome: 'rejected', model: parsed.model };
  }
  const headers = answerHeaders(
    context,
    parsed.stream ? SSE_HEADERS : { 'content-type': 'application/json' },
  );
  return {
    type: 'generate',
    model: parsed.model,
    answer: (behavior) => messagesAnswer({ request: parsed, behavior, context, headers }),
  };
}

/** Anthropic's in-stream error: `event: error` with the error object, inside the 200 stream. */
function streamError(fault: ErrorEventFault): string {
  const type = fault.errorType ?? 'overloaded_error';
  const message = fault.message ?? (type === 'overloaded_error' ? 'Overloaded' : 'Internal server error');
  return sseFrame({ event: 'error', data: JSON.stringify({ type: 'error', error: { type, message } }) });
}

/** The `echo-key` fault's error: the key in type, message and details.error_code. */
const keyEchoError = (key: string) => ({
  type: key,
  message: echoMessage(key),
  details: { error_code: key },
});

export const anthropicProtocol: ProtocolModule = {
  name: 'anthropic',
  faults: {
    status: anthropicStatusFault,
    streamError,
    malformedFrame: () =>
      sseFrame({
        event: 'content_block_delta',
        data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_de',
      }),
    keepaliveComment: sseFrame({ event: 'ping', data: '{"type": "ping"}' }),
    keyEcho: (key, status) => anthropicError(status, keyEchoError(key)),
    keyEchoEvent: (key) =>
      sseFrame({ event: 'error', data: JSON.stringify({ type: 'error', error: keyEchoError(key) }) }),
  },
  handle(request, context) {
    if (request.path !== MESSAGES_PATH) return undefined;
    if (request.method !== 'POST') {
      const response = anthropicError(405, { type: 'invalid_request_error', message: 'Method Not Allowed' });
      return { type: 'respond', response, outcome: 'rejected' };
    }
    const denied = checkApiKey(sentKey(request), context.apiKeys);
    if (denied !== undefined) return { type: 'respond', response: denied, outcome: 'rejected' };
    try {
      return messages(request, context);
    } catch (error) {
      if (!(error instanceof AnthropicInvalid)) throw error;
      const response = anthropicError(error.status, { type: error.type, message: error.message });
      return { type: 'respond', response, outcome: 'rejected', model: modelOf(request.body) };
    }
  },
};
