/**
 * What a request reserves against a tokens-per-minute limit before it runs (docs/keys.md): about one
 * token per 4 characters of the prompt as sent (JSON), plus the output it may produce (max_tokens, or
 * `limits.defaultMaxTokens`, per choice). Rough on purpose: the reservation is settled to what the
 * provider reported when the request ends, so the estimate only decides admission.
 */
import type { ChatRequest } from '../core/chat.js';
import type { EmbeddingsRequest } from '../core/embeddings.js';

const CHARS_PER_TOKEN = 4;

export function estimateChatTokens(request: ChatRequest, defaultMaxTokens: number): number {
  const prompt = Math.ceil(JSON.stringify(request.messages).length / CHARS_PER_TOKEN);
  const output = request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens;
  const choices = request.n && request.n > 1 ? request.n : 1;
  return prompt + output * choices;
}

export function estimateEmbeddingTokens(request: EmbeddingsRequest): number {
  const { input } = request;
  if (typeof input === 'string') return Math.ceil(input.length / CHARS_PER_TOKEN);
  let tokens = 0;
  for (const item of input) {
    if (typeof item === 'string') tokens += Math.ceil(item.length / CHARS_PER_TOKEN);
    else if (Array.isArray(item)) tokens += item.length;
    else tokens += 1;
  }
  return tokens;
}
