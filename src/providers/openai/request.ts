import type { ChatRequest } from '../../core/chat.js';
import type { AttemptContext, ProviderSettings, UpstreamRequestSpec } from '../types.js';

/** Builds `baseUrl + path?query` with `{model}` filled in. */
export function upstreamUrl(provider: ProviderSettings, path: string, model: string): string {
  let url = provider.baseUrl + path.replace('{model}', encodeURIComponent(model));
  const query = provider.options.query;
  if (query) {
    const qs = new URLSearchParams(query).toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  return url;
}

export function authHeaders(provider: ProviderSettings): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers };
  if (provider.apiKey) {
    const name = provider.options.authHeader ?? 'authorization';
    const prefix = provider.options.authPrefix ?? (name === 'authorization' ? 'Bearer ' : '');
    headers[name] = prefix + provider.apiKey;
  }
  return headers;
}

/**
 * The request goes upstream as the client sent it, with the upstream model name, less the Anthropic
 * `thinking_blocks` the gateway added to assistant messages (OpenAI-protocol APIs do not know them, and
 * some reject unknown message fields). Streams always ask for usage (the gateway accounts every
 * attempt's tokens); the client only sees the usage chunk if it asked.
 */
export function openAIChatRequest(request: ChatRequest, ctx: AttemptContext): UpstreamRequestSpec {
  const { provider } = ctx;
  const body: ChatRequest = { ...request, model: ctx.model };
  if (request.messages?.some((m) => m.role === 'assistant' && m.thinking_blocks !== undefined)) {
    body.messages = request.messages.map((m) => {
      if (m.role !== 'assistant' || m.thinking_blocks === undefined) return m;
      const { thinking_blocks: _dropped, ...rest } = m;
      return rest;
    });
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
