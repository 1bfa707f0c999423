import type { ChatMessage, ChatRequest, ToolCall } from '../../core/chat.js';
import type { AttemptContext, ProviderSettings, UpstreamRequestSpec } from '../types.js';

const ownExtra = (call: ToolCall): boolean => call.extra_content?.switchyard !== undefined;

function carriesGatewayFields(m: ChatMessage): boolean {
  return m.role === 'assistant' && (m.thinking_blocks !== undefined || (m.tool_calls ?? []).some(ownExtra));
}

function withoutGatewayFields(m: ChatMessage): ChatMessage {
  if (m.role !== 'assistant' || !carriesGatewayFields(m)) return m;
  const { thinking_blocks: _blocks, ...rest } = m;
  if (!rest.tool_calls?.some(ownExtra)) return rest;
  rest.tool_calls = rest.tool_calls.map((call) => {
    if (!ownExtra(call)) return call;
    const { switchyard: _origin, ...extra } = call.extra_content!;
    const { extra_content: _extra, ...bare } = call;
    return Object.keys(extra).length ? { ...bare, extra_content: extra } : bare;
  });
  return rest;
}

/**
 * Whether the history has a tool-call turn without the `reasoning_content` DeepSeek's thinking mode
 * needs back, and the client did not turn thinking off itself.
 */
function lacksReasoning(request: ChatRequest): boolean {
  const thinking = request.thinking as { type?: unknown } | undefined;
  if (thinking?.type === 'disabled') return false;
  return (request.messages ?? []).some(
    (m) =>
      m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0 && typeof m.reasoning_content !== 'string',
  );
}

/** Builds `baseUrl + path?query` with `{model}` filled in. */
export function upstreamUrl(provider: ProviderSettings, path: string, model: string): string {
  // Distinct (provider, path, model) triples are few: each URL is built once, not per request (looked up
  // by path, then model: no key string made per request).
  let byPath = URLS.get(provider);
  if (!byPath) URLS.set(provider, (byPath = new Map()));
  let byModel = byPath.get(path);
  if (!byModel) byPath.set(path, (byModel = new Map()));
  let url = byModel.get(model);
  if (url === undefined) {
    url = buildUrl(provider, path, model);
    if (byModel.size >= MAX_URLS_PER_PATH) byModel.clear();
    byModel.set(model, url);
  }
  return url;
}

const URLS = new WeakMap<ProviderSettings, Map<string, Map<string, string>>>();
const MAX_URLS_PER_PATH = 1_000;

function buildUrl(provider: ProviderSettings, path: string, model: string): string {
  let url = provider.baseUrl + path.replace('{model}', encodeURIComponent(model));
  const query = provider.options.query;
  if (query) {
    const qs = new URLSearchParams(query).toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  return url;
}

/**
 * The provider's headers with its key; a fresh object each time (callers add to it), copied from one
 * built once per provider settings object (a pool key's settings are their own object).
 */
export function authHeaders(provider: ProviderSettings): Record<string, string> {
  let base = AUTH_HEADERS.get(provider);
  if (!base) AUTH_HEADERS.set(provider, (base = buildAuthHeaders(provider)));
  return Object.assign({}, base);
}

const AUTH_HEADERS = new WeakMap<ProviderSettings, Record<string, string>>();

function buildAuthHeaders(provider: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers };
  if (provider.apiKey) {
    const name = provider.options.authHeader ?? 'authorization';
    const prefix = provider.options.authPrefix ?? (name === 'authorization' ? 'Bearer ' : '');
    headers[name] = prefix + provider.apiKey;
  }
  return headers;
}

/**
 * The request goes upstream as the client sent it, with the upstream model name, less what the gateway
 * itself added to assistant messages: Anthropic `thinking_blocks` and the `switchyard` origin of a tool
 * call's `extra_content` (OpenAI-protocol APIs do not know them, and some reject unknown fields; the
 * `google` thought signature stays, for Google's OpenAI-compatible API). Streams always ask for usage
 * (the gateway accounts every attempt's tokens); the client only sees the usage chunk if it asked.
 */
export function openAIChatRequest(request: ChatRequest, ctx: AttemptContext): UpstreamRequestSpec {
  const { provider } = ctx;
  const body: ChatRequest = { ...request, model: ctx.model };
  if (request.messages?.some(carriesGatewayFields))
    body.messages = request.messages.map(withoutGatewayFields);
  if (provider.options.reasoningReplay && lacksReasoning(request)) {
    body.thinking = { type: 'disabled' };
    ctx.warn?.('thinking: disabled (a tool-call turn has no reasoning_content to send back)');
  }
  if (request.stream && provider.options.streamUsage !== false) {
    body.stream_options = { ...request.stream_options, include_usage: true };
  }
  const headers = authHeaders(provider);
  if (request.stream) headers.accept = 'text/event-stream';
  return {
    method: 'POST',
    url: upstreamUrl(provider, provider.options.chatPath ?? '/chat/completions', ctx.model),
    headers,
    body: JSON.stringify(body),
  };
}
