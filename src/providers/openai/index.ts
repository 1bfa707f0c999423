import type { ChatProtocol } from '../types.js';
import { openAIEmbeddingsRequest, openAIEmbeddingsResponse } from './embeddings.js';
import { classifyOpenAIError } from './errors.js';
import { openAIChatRequest } from './request.js';
import { openAIChatResponse } from './response.js';
import { OpenAIStreamDecoder } from './stream.js';

/** OpenAI chat completions, and every OpenAI-compatible API through presets. */
export const openAIProtocol: ChatProtocol = {
  name: 'openai',
  chatRequest: openAIChatRequest,
  chatResponse: openAIChatResponse,
  streamDecoder: (ctx) => new OpenAIStreamDecoder(ctx),
  classifyError: (status, headers, body, ctx) => classifyOpenAIError(status, headers, body, ctx),
  embeddingsRequest: openAIEmbeddingsRequest,
  embeddingsResponse: openAIEmbeddingsResponse,
};
