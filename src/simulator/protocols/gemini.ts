/**
 * The Gemini API wire protocol (`/v1beta`), written from Google's Gemini API reference:
 * `models/{model}:generateContent`, `:streamGenerateContent` (`alt=sse`: SSE `data:` chunks, no
 * terminator; without it, one JSON array), `:embedContent`, `:batchEmbedContents`, `GET models`,
 * `x-goog-api-key` (or `?key=`) auth, proto-JSON validation, and `google.rpc.Status` errors.
 * Keep-alive: SSE comments (`: keep-alive`), which SSE parsers and the SDK skip.
 */
import { echoMessage } from '../echo-key.js';
import { embed } from '../embedding.js';
import { sseComment, sseFrame, SSE_HEADERS } from '../sse.js';
import { countWords } from '../text.js';
import type { ModelBehavior } from '../types.js';
import { generateAnswer } from './gemini-answer.js';
import {
  checkGeminiKey,
  GeminiInvalid,
  geminiStatusFault,
  geminiStreamError,
  modelNotFound,
  requestError,
  rpcError,
} from './gemini-errors.js';
import { FieldReport, isJson, typed, type Json } from './gemini-fields.js';
import { validateGenerateRequest } from './gemini-request.js';
import type {
  Answer,
  Headers,
  ProtocolContext,
  ProtocolModule,
  ProtocolRequest,
  RouteResult,
} from './types.js';

const PREFIX = '/v1beta/models';
const DEFAULT_MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-embedding-001'];
const JSON_TYPE: Headers = { 'content-type': 'application/json; charset=UTF-8' };

function parse(raw: Buffer): Json {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (isJson(body)) return body;
  throw new GeminiInvalid(
    `Invalid JSON payload received. Unexpected token.\n${raw.toString('utf8').slice(0, 40)}\n^`,
  );
}

function headersFor(contentType: Headers): Headers {
  return {
    ...contentType,
    vary: 'Origin, X-Origin, Referer',
    'server-timing': 'gfet4t7; dur=1',
    server: 'scaffolding on HTTPServer2',
  };
}

function listModels(context: ProtocolContext): string[] {
  const configured = context.models();
  return configured.length > 0 ? configured : DEFAULT_MODELS;
}

function modelObject(id: string): Json {
  const embedding = id.includes('embedding');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    description: `Simulated ${id}`,
    inputTokenLimit: embedding ? 2048 : 1_048_576,
    outputTokenLimit: embedding ? 1 : 65_536,
    supportedGenerationMethods: embedding
      ? ['embedContent', 'countTextTokens', 'countTokens']
      : ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'],
    ...(embedding ? {} : { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true }),
  };
}

function generate(
  request: ProtocolRequest,
  model: string,
  method: string,
  context: ProtocolContext,
): RouteResult {
  const parsed = validateGenerateRequest(parse(request.body));
  const stream = method === 'streamGenerateContent';
  const format = !stream ? 'json' : request.query.get('alt') === 'sse' ? 'sse' : 'array';
  const headers = headersFor(
    format === 'sse' ? { ...SSE_HEADERS, 'content-disposition': 'attachment' } : JSON_TYPE,
  );
  return {
    type: 'generate',
    model,
    answer: (behavior) => generateAnswer({ request: parsed, behavior, context, model, headers, format }),
  };
}

const EMBED = ['model', 'content', 'taskType', 'title', 'outputDimensionality'];

function embedRequest(
  report: FieldReport,
  value: unknown,
  path: string,
  name: string,
): { text: string; dims?: number } {
  const r = report.fields(typed<Json>(value, 'object', path) ?? {}, EMBED, path);
  const prefix = path === '' ? '' : `${path}.`;
  if (r.content === undefined) throw requestError(`${prefix}content`, 'content is not specified', name);
  const content = report.fields(
    typed<Json>(r.content, 'object', `${prefix}content`) ?? {},
    ['role', 'parts'],
    `${prefix}content`,
  );
  const parts = typed<unknown[]>(content.parts, 'list', `${prefix}content.parts`) ?? [];
  if (parts.length === 0)
    throw requestError(`${prefix}content.parts`, 'contents.parts must not be empty.', name);
  const text = parts.map((p) => (isJson(p) && typeof p.text === 'string' ? p.text : '')).join(' ');
  const dims = typed<number>(r.outputDimensionality, 'TYPE_INT32', `${prefix}output_dimensionality`);
  return dims === undefined ? { text } : { text, dims };
}

function embeddings(request: ProtocolRequest, model: string, method: string): RouteResult {
  const body = parse(request.body);
  const report = new FieldReport();
  let inputs: Array<{ text: string; dims?: number }>;
  if (method === 'embedContent') inputs = [embedRequest(report, body, '', 'EmbedContentRequest')];
  else {
    report.fields(body, ['requests'], '');
    const list = typed<unknown[]>(body.requests, 'list', 'requests') ?? [];
    if (list.length === 0)
      throw requestError('requests', 'requests is not specified', 'BatchEmbedContentsRequest');
    inputs = list.map((r, i) => embedRequest(report, r, `requests[${i}]`, 'BatchEmbedContentsRequest'));
  }
  report.flush();
  const answer = (behavior: ModelBehavior): Answer => {
    const values = inputs.map((input) => ({
      values: Array.from(embed(model, input.text, input.dims ?? behavior.embeddingDimensions)),
    }));
    const tokens = inputs.reduce((sum, input) => sum + countWords(input.text), 0);
    const payload = method === 'embedContent' ? { embedding: values[0] } : { embeddings: values };
    return {
      kind: 'json',
      headers: headersFor(JSON_TYPE),
      body: JSON.stringify({
        ...payload,
        usageMetadata: { promptTokenCount: tokens, totalTokenCount: tokens },
      }),
      tokens: 1,
    };
  };
  return { type: 'generate', model, answer };
}

const METHODS = ['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents'];

function route(request: ProtocolRequest, context: ProtocolContext): RouteResult {
  const rest = decodeURIComponent(request.path.slice(PREFIX.length + 1));
  const colon = rest.lastIndexOf(':');
  if (request.method === 'GET' && (request.path === PREFIX || colon < 0)) {
    if (request.path === PREFIX) {
      const body = JSON.stringify({ models: listModels(context).map(modelObject) });
      return {
        type: 'respond',
        outcome: 'ok',
        response: { status: 200, headers: headersFor(JSON_TYPE), body },
      };
    }
    if (context.strictModels && !listModels(context).includes(rest)) {
      return { type: 'respond', outcome: 'rejected', response: modelNotFound(rest), model: rest };
    }
    const body = JSON.stringify(modelObject(rest));
    return {
      type: 'respond',
      outcome: 'ok',
      response: { status: 200, headers: headersFor(JSON_TYPE), body },
      model: rest,
    };
  }
  const model = rest.slice(0, colon);
  const method = rest.slice(colon + 1);
  if (request.method !== 'POST' || colon <= 0 || !METHODS.includes(method)) {
    return { type: 'respond', outcome: 'rejected', response: rpcError(404, `Method not found.`) };
  }
  try {
    if (context.strictModels && !context.models().includes(model)) {
      return { type: 'respond', outcome: 'rejected', response: modelNotFound(model, method), model };
    }
    return method === 'embedContent' || method === 'batchEmbedContents'
      ? embeddings(request, model, method)
      : generate(request, model, method, context);
  } catch (error) {
    if (!(error instanceof GeminiInvalid)) throw error;
    return {
      type: 'respond',
      outcome: 'rejected',
      response: rpcError(error.code, error.message, error.details),
      model,
    };
  }
}

/** The `echo-key` fault's google.rpc.Status: the key in message, status and the ErrorInfo reason. */
function keyEchoStatus(key: string, code: number): string {
  const details = [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: key, domain: 'googleapis.com' },
  ];
  return JSON.stringify({ error: { code, message: echoMessage(key), status: key, details } });
}

export const geminiProtocol: ProtocolModule = {
  name: 'gemini',
  faults: {
    status: geminiStatusFault,
    streamError: (fault) => sseFrame({ data: geminiStreamError(fault) }),
    malformedFrame: () => sseFrame({ data: '{"candidates": [{"content": {"parts": [{"text": ' }),
    keepaliveComment: sseComment('keep-alive'),
    keyEcho: (key, status) => ({
      status,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: keyEchoStatus(key, status),
    }),
    keyEchoEvent: (key) => sseFrame({ data: keyEchoStatus(key, 500) }),
  },
  handle(request, context) {
    if (request.path !== PREFIX && !request.path.startsWith(`${PREFIX}/`)) return undefined;
    const key = request.headers['x-goog-api-key'];
    const sent = (Array.isArray(key) ? key[0] : key) ?? request.query.get('key') ?? undefined;
    const denied = checkGeminiKey(sent, context.apiKeys);
    if (denied !== undefined) return { type: 'respond', response: denied, outcome: 'rejected' };
    return route(request, context);
  },
};
