/**
 * The OpenAI wire protocol, written from the OpenAI API reference: Chat Completions (JSON and SSE),
 * Embeddings, Models, Bearer auth, and OpenAI's error and in-stream error shapes.
 */
import { echoMessage } from '../echo-key.js';
import { randomId } from '../random.js';
import { sseComment, sseFrame, SSE_HEADERS } from '../sse.js';
import type { ErrorEventFault } from '../types.js';
import { parseBody } from './openai-check.js';
import { chatAnswer } from './openai-chat.js';
import { validateChatRequest } from './openai-chat-request.js';
import { embeddingsAnswer, validateEmbeddingsRequest } from './openai-embeddings.js';
import {
  checkAuth,
  errorResponse,
  InvalidRequest,
  invalidRequestResponse,
  rateLimitHeaders,
  statusFault,
} from './openai-errors.js';
import type {
  Headers,
  PlainResponse,
  ProtocolContext,
  ProtocolModule,
  ProtocolRequest,
  RouteResult,
} from './types.js';

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];
const MODEL_CREATED = 1_715_367_049;

/** Headers of every OpenAI answer: request id, processing time, version, rate limits. */
function answerHeaders(context: ProtocolContext, contentType: Headers): Headers {
  return {
    ...contentType,
    'x-request-id': `req_${randomId(context.random, 32).toLowerCase()}`,
    'openai-organization': 'org-simulator',
    'openai-processing-ms': '1',
    'openai-version': '2020-10-01',
    ...rateLimitHeaders(),
  };
}

const JSON_TYPE = { 'content-type': 'application/json' };

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: MODEL_CREATED, owned_by: 'system' };
}

function modelNotFound(model: string): PlainResponse {
  return errorResponse(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  });
}

function listModels(context: ProtocolContext): string[] {
  const configured = context.models();
  return configured.length > 0 ? configured : DEFAULT_MODELS;
}

function unknownModel(model: string, context: ProtocolContext): boolean {
  return context.strictModels && !context.models().includes(model);
}

type Handler = (request: ProtocolRequest, context: ProtocolContext) => RouteResult;

function chat(request: ProtocolRequest, context: ProtocolContext): RouteResult {
  const beta = request.path === '/beta/chat/completions';
  const chatRequest = validateChatRequest(parseBody(request.body), beta);
  if (unknownModel(chatRequest.model, context)) {
    return {
      type: 'respond',
      response: modelNotFound(chatRequest.model),
      outcome: 'rejected',
      model: chatRequest.model,
    };
  }
  const headers = answerHeaders(context, chatRequest.stream ? SSE_HEADERS : JSON_TYPE);
  return {
    type: 'generate',
    model: chatRequest.model,
    answer: (behavior) => chatAnswer({ request: chatRequest, behavior, context, headers }),
  };
}

function embeddings(request: ProtocolRequest, context: ProtocolContext): RouteResult {
  const embeddingsRequest = validateEmbeddingsRequest(parseBody(request.body));
  if (unknownModel(embeddingsRequest.model, context)) {
    const model = embeddingsRequest.model;
    return { type: 'respond', response: modelNotFound(model), outcome: 'rejected', model };
  }
  const headers = answerHeaders(context, JSON_TYPE);
  return {
    type: 'generate',
    model: embeddingsRequest.model,
    answer: (behavior) => embeddingsAnswer(embeddingsRequest, behavior, headers),
  };
}

function models(_request: ProtocolRequest, context: ProtocolContext): RouteResult {
  const body = { object: 'list', data: listModels(context).map(modelObject) };
  return {
    type: 'respond',
    outcome: 'ok',
    response: { status: 200, headers: answerHeaders(context, JSON_TYPE), body: JSON.stringify(body) },
  };
}

function model(request: ProtocolRequest, context: ProtocolContext): RouteResult {
  const id = decodeURIComponent(request.path.slice('/v1/models/'.length));
  if (!listModels(context).includes(id) && context.strictModels) {
    return { type: 'respond', response: modelNotFound(id), outcome: 'rejected', model: id };
  }
  const response = {
    status: 200,
    headers: answerHeaders(context, JSON_TYPE),
    body: JSON.stringify(modelObject(id)),
  };
  return { type: 'respond', outcome: 'ok', response, model: id };
}

function route(method: string, path: string): Handler | undefined {
  if (method === 'POST' && path === '/v1/chat/completions') return chat;
  // DeepSeek's beta base URL (chat prefix completion).
  if (method === 'POST' && path === '/beta/chat/completions') return chat;
  if (method === 'POST' && path === '/v1/embeddings') return embeddings;
  if (method === 'GET' && path === '/v1/models') return models;
  if (method === 'GET' && path.startsWith('/v1/models/') && path.length > '/v1/models/'.length) return model;
  return undefined;
}

/** OpenAI's in-stream error: a `data: {"error":{...}}` event inside the 200 stream. */
function streamError(fault: ErrorEventFault): string {
  const error = {
    message:
      fault.message ??
      'The server had an error processing your request. Sorry about that! You can retry your request, or contact ' +
        'us through our help center at help.openai.com if you keep seeing this error.',
    type: fault.errorType ?? 'server_error',
    param: null,
    code: fault.code ?? null,
  };
  return sseFrame({ data: JSON.stringify({ error }) });
}

/** The `echo-key` fault's error: the key in message, type, param and code. */
const keyEchoError = (key: string) => ({ message: echoMessage(key), type: key, param: key, code: key });

export const openaiProtocol: ProtocolModule = {
  name: 'openai',
  faults: {
    status: statusFault,
    streamError,
    malformedFrame: () =>
      sseFrame({ data: '{"id":"chatcmpl-malformed","object":"chat.completion.chunk","choices":[{"delta":' }),
    keepaliveComment: sseComment('keep-alive'),
    keyEcho: (key, status) => errorResponse(status, keyEchoError(key)),
    keyEchoEvent: (key) => sseFrame({ data: JSON.stringify({ error: keyEchoError(key) }) }),
  },
  handle(request, context) {
    const handler = route(request.method, request.path);
    if (handler === undefined) return undefined;
    const denied = checkAuth(request.headers.authorization, context.apiKeys);
    if (denied !== undefined) return { type: 'respond', response: denied, outcome: 'rejected' };
    try {
      return handler(request, context);
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      return {
        type: 'respond',
        response: invalidRequestResponse(error),
        outcome: 'rejected',
        model: modelOf(request),
      };
    }
  },
  notFound(method, path) {
    return errorResponse(404, {
      message: `Invalid URL (${method} ${path})`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  },
};

/** The model of a rejected request, when the body names one (for per-model stats). */
function modelOf(request: ProtocolRequest): string | undefined {
  try {
    const body: unknown = JSON.parse(request.body.toString('utf8'));
    const name = (body as { model?: unknown } | null)?.model;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}
