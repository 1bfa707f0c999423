import type { ChatProtocol } from '../types.js';
import { classifyAnthropicError } from './errors.js';
import { anthropicChatRequest } from './request.js';
import { anthropicChatResponse } from './response.js';
import { AnthropicStreamDecoder } from './stream.js';

/** The Anthropic Messages API behind the OpenAI chat-completions surface. No embeddings: Anthropic has none. */
export const anthropicProtocol: ChatProtocol = {
  name: 'anthropic',
  chatRequest: anthropicChatRequest,
  chatResponse: anthropicChatResponse,
  streamDecoder: (ctx) => new AnthropicStreamDecoder(ctx),
  classifyError: (status, headers, body, ctx) => classifyAnthropicError(status, headers, body, ctx),
};
