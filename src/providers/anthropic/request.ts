/**
 * The canonical (OpenAI-shaped) request → `POST {baseUrl}/messages` (platform.claude.com/docs/en/api/messages/create).
 */
import type { ChatRequest } from '../../core/chat.js';
import type { AttemptContext, ProviderSettings, UpstreamRequestSpec } from '../types.js';
import { applyReasoning, applyResponseFormat, applyTools } from './features.js';
import { conversation } from './messages.js';
import { refuse } from './refuse.js';
import type { MessageParam, MessagesRequest, RequestBlock } from './wire.js';

const DEFAULT_VERSION = '2023-06-01';
const DEFAULT_MAX_TOKENS = 4096;

export function anthropicChatRequest(request: ChatRequest, ctx: AttemptContext): UpstreamRequestSpec {
  refuseUnsupported(request, ctx);
  const { system, messages } = conversation(request.messages ?? [], ctx);
  const body: MessagesRequest = { model: ctx.model, max_tokens: maxTokens(request, ctx), messages };
  if (system.length) body.system = system;
  applySampling(request, body);
  applyTools(request, body, ctx);
  applyResponseFormat(request, body, ctx);
  if (canThink(messages)) applyReasoning(request, body, ctx);
  else if (request.reasoning_effort && request.reasoning_effort !== 'none')
    ctx.warn?.(
      'reasoning_effort: ran without thinking (the tool loop has no thinking block from this model)',
    );
  if (!body.thinking) withoutThinkingBlocks(messages);
  if (request.stream) body.stream = true;
  return {
    method: 'POST',
    url: upstreamUrl(ctx.provider, ctx.provider.options.chatPath ?? '/messages'),
    headers: headers(ctx.provider, request.stream === true),
    body: JSON.stringify(body),
  };
}

/**
 * With thinking on, the API requires the last assistant turn, when it called tools, to start with its
 * thinking block. A conversation whose tool loop began elsewhere (another provider, another model, or
 * a client that did not keep `thinking_blocks`) has none to send: that request runs without thinking,
 * which the API allows, rather than failing (a failover must not turn into a 400).
 */
function canThink(messages: readonly MessageParam[]): boolean {
  const last = messages.findLast((m) => m.role === 'assistant');
  if (!last || !last.content.some((b) => b.type === 'tool_use')) return true;
  return last.content[0] !== undefined && isThinkingBlock(last.content[0]);
}

const isThinkingBlock = (b: RequestBlock): boolean => b.type === 'thinking' || b.type === 'redacted_thinking';

/** Thinking blocks only go back when the request thinks (a turn left empty goes: the API combines turns). */
function withoutThinkingBlocks(messages: MessageParam[]): void {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'assistant' || !m.content.some(isThinkingBlock)) continue;
    m.content = m.content.filter((b) => !isThinkingBlock(b));
    if (m.content.length === 0) messages.splice(i, 1);
  }
}

/** max_tokens is required by the API; OpenAI's is optional. */
function maxTokens(request: ChatRequest, ctx: AttemptContext): number {
  return (
    request.max_completion_tokens ??
    request.max_tokens ??
    ctx.provider.options.defaultMaxTokens ??
    DEFAULT_MAX_TOKENS
  );
}

/**
 * OpenAI's temperature range is 0–2, Anthropic's 0–1; both ends mean the same (deterministic, most
 * random), so values above 1 are clamped to 1 rather than refused: a request that is valid for the
 * route's OpenAI target must stay valid when it fails over here. Values in 0–1 pass unchanged.
 */
function applySampling(request: ChatRequest, body: MessagesRequest): void {
  if (typeof request.temperature === 'number')
    body.temperature = Math.min(Math.max(request.temperature, 0), 1);
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  const stop =
    typeof request.stop === 'string' ? [request.stop] : Array.isArray(request.stop) ? request.stop : [];
  const sequences = stop.filter((s): s is string => typeof s === 'string' && s !== '');
  if (sequences.length) body.stop_sequences = sequences;
  if (typeof request.user === 'string' && request.user) body.metadata = { user_id: request.user };
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;
const nonZero = (v: unknown): boolean => typeof v === 'number' && v !== 0;

/** Parameters the Messages API has no equivalent for. Defaults that change nothing (n: 1, penalties 0) pass. */
function refuseUnsupported(request: ChatRequest, ctx: AttemptContext): void {
  const logitBias = request.logit_bias;
  const unsupported: [string, boolean, string][] = [
    ['n', typeof request.n === 'number' && request.n > 1, '`n` > 1 (several choices)'],
    ['logprobs', request.logprobs === true, '`logprobs`'],
    ['top_logprobs', typeof request.top_logprobs === 'number' && request.top_logprobs > 0, '`top_logprobs`'],
    ['seed', isSet(request.seed), '`seed`'],
    ['presence_penalty', nonZero(request.presence_penalty), '`presence_penalty`'],
    ['frequency_penalty', nonZero(request.frequency_penalty), '`frequency_penalty`'],
    [
      'logit_bias',
      typeof logitBias === 'object' && logitBias !== null && Object.keys(logitBias).length > 0,
      '`logit_bias`',
    ],
    ['audio', isSet(request.audio), 'Audio output (`audio`)'],
  ];
  for (const [param, present, what] of unsupported) if (present) refuse(ctx, param, what);
}

function headers(provider: ProviderSettings, stream: boolean): Record<string, string> {
  const out: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': provider.options.apiVersion ?? DEFAULT_VERSION,
    ...provider.headers,
  };
  if (provider.apiKey) {
    out[provider.options.authHeader ?? 'x-api-key'] = (provider.options.authPrefix ?? '') + provider.apiKey;
  }
  if (stream) out.accept = 'text/event-stream';
  return out;
}

function upstreamUrl(provider: ProviderSettings, path: string): string {
  const url = provider.baseUrl + path;
  const qs = provider.options.query ? new URLSearchParams(provider.options.query).toString() : '';
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
}
