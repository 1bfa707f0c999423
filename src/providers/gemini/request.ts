/**
 * The canonical (OpenAI-shaped) request → `POST {baseUrl}/models/{model}:generateContent`, or
 * `:streamGenerateContent?alt=sse` when streaming (ai.google.dev/api/generate-content: without
 * `alt=sse` the stream is one JSON array, with it Server-Sent Events of GenerateContentResponse chunks).
 * The key goes in the `x-goog-api-key` header (…/docs/api-key), never in the URL.
 */
import type { ChatRequest } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import type { AttemptContext, ProviderSettings, UpstreamRequestSpec } from '../types.js';
import { conversation } from './contents.js';
import { applyResponseFormat, applyTools, thinkingConfig } from './features.js';
import { refuse } from './refuse.js';
import type { GenerateContentRequest, GenerationConfig } from './wire.js';

export function geminiChatRequest(request: ChatRequest, ctx: AttemptContext): UpstreamRequestSpec {
  refuseUnsupported(request, ctx);
  const stream = request.stream === true;
  const body: GenerateContentRequest = conversationBody(request, ctx);
  applyTools(request, body, ctx);
  const config = generationConfig(request, ctx);
  if (Object.keys(config).length) body.generationConfig = config;
  const safety = safetySettings(request);
  if (safety) body.safetySettings = safety;
  return {
    method: 'POST',
    url: modelUrl(ctx, stream ? 'streamGenerateContent' : 'generateContent', stream ? { alt: 'sse' } : {}),
    headers: geminiHeaders(ctx.provider, stream),
    body: JSON.stringify(body),
  };
}

function conversationBody(request: ChatRequest, ctx: AttemptContext): GenerateContentRequest {
  if (!Array.isArray(request.messages)) throw invalidRequest('`messages` must be an array.', 'messages');
  const { systemInstruction, contents } = conversation(request.messages, ctx);
  return systemInstruction ? { systemInstruction, contents } : { contents };
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * GenerationConfig (ai.google.dev/api/generate-content#GenerationConfig): max_completion_tokens (or the
 * older max_tokens) → maxOutputTokens; temperature, top_p, stop, seed, n, presence/frequency penalties
 * map one to one (the ranges match OpenAI's: temperature [0, 2], penalties [-2, 2]); `logprobs` →
 * responseLogprobs and `top_logprobs` → logprobs; the non-OpenAI `top_k` extra → topK.
 */
function generationConfig(request: ChatRequest, ctx: AttemptContext): GenerationConfig {
  const config: GenerationConfig = {};
  const max = request.max_completion_tokens ?? request.max_tokens;
  if (num(max)) config.maxOutputTokens = max;
  if (num(request.temperature)) config.temperature = request.temperature;
  if (num(request.top_p)) config.topP = request.top_p;
  if (num(request.top_k)) config.topK = request.top_k;
  const stop =
    typeof request.stop === 'string' ? [request.stop] : Array.isArray(request.stop) ? request.stop : [];
  const sequences = stop.filter((s): s is string => typeof s === 'string' && s !== '');
  if (sequences.length) config.stopSequences = sequences;
  if (num(request.seed)) config.seed = request.seed;
  if (num(request.n) && request.n !== 1) config.candidateCount = request.n;
  if (num(request.presence_penalty) && request.presence_penalty !== 0)
    config.presencePenalty = request.presence_penalty;
  if (num(request.frequency_penalty) && request.frequency_penalty !== 0)
    config.frequencyPenalty = request.frequency_penalty;
  if (request.logprobs === true && request.stream !== true) {
    config.responseLogprobs = true;
    if (num(request.top_logprobs) && request.top_logprobs > 0) config.logprobs = request.top_logprobs;
  }
  applyResponseFormat(request, config, ctx);
  const thinking = thinkingConfig(request, ctx);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

/**
 * Safety settings are not an OpenAI parameter; a client may send Gemini's own list as the extra field
 * `safety_settings` (or `safetySettings`): `[{category, threshold}]`, passed through as it is
 * (…/docs/safety-settings).
 */
function safetySettings(request: ChatRequest): unknown[] | undefined {
  const field = request.safety_settings !== undefined ? 'safety_settings' : 'safetySettings';
  const value = request[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw invalidRequest(`\`${field}\` must be an array of {category, threshold}.`, field);
  return value;
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** Parameters the Gemini API has no equivalent for. Values that change nothing (empty logit_bias) pass. */
function refuseUnsupported(request: ChatRequest, ctx: AttemptContext): void {
  const logitBias = request.logit_bias;
  const modalities = Array.isArray(request.modalities) ? (request.modalities as unknown[]) : [];
  const unsupported: [string, boolean, string][] = [
    [
      'logit_bias',
      typeof logitBias === 'object' && logitBias !== null && Object.keys(logitBias).length > 0,
      '`logit_bias`',
    ],
    ['audio', isSet(request.audio), 'Audio output (`audio`)'],
    ['modalities', modalities.some((m) => m !== 'text'), 'Output modalities other than text'],
    ['prediction', isSet(request.prediction), 'Predicted outputs (`prediction`)'],
    ['web_search_options', isSet(request.web_search_options), '`web_search_options`'],
    // Stream chunks have no place for log probabilities: refused rather than silently lost.
    ['logprobs', request.logprobs === true && request.stream === true, '`logprobs` in a stream'],
  ];
  for (const [param, present, what] of unsupported) if (present) refuse(ctx, param, what);
}

/** `{baseUrl}/models/{model}:{method}` (or `tunedModels/…`), plus the provider's query parameters. */
export function modelUrl(ctx: AttemptContext, method: string, query: Record<string, string>): string {
  const model = ctx.model.includes('/') ? ctx.model : `models/${ctx.model}`;
  const path = model.split('/').map(encodeURIComponent).join('/');
  const qs = new URLSearchParams({ ...query, ...ctx.provider.options.query }).toString();
  return `${ctx.provider.baseUrl}/${path}:${method}${qs ? `?${qs}` : ''}`;
}

/** The resource name the API uses in request bodies: `models/{model}`. */
export function modelName(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

export function geminiHeaders(provider: ProviderSettings, stream = false): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers };
  if (provider.apiKey) {
    headers[provider.options.authHeader ?? 'x-goog-api-key'] =
      (provider.options.authPrefix ?? '') + provider.apiKey;
  }
  if (stream) headers.accept = 'text/event-stream';
  return headers;
}
