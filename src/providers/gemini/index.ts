import type { ChatProtocol } from '../types.js';
import { geminiEmbeddingsRequest, geminiEmbeddingsResponse } from './embeddings.js';
import { classifyGeminiError } from './errors.js';
import { geminiChatRequest } from './request.js';
import { geminiChatResponse } from './response.js';
import { GeminiStreamDecoder } from './stream.js';

/** The Google Gemini API (generativelanguage.googleapis.com, v1beta) behind the OpenAI API. */
export const geminiProtocol: ChatProtocol = {
  name: 'gemini',
  chatRequest: geminiChatRequest,
  chatResponse: geminiChatResponse,
  streamDecoder: (ctx) => new GeminiStreamDecoder(ctx),
  classifyError: (status, headers, body, ctx) => classifyGeminiError(status, headers, body, ctx),
  embeddingsRequest: geminiEmbeddingsRequest,
  embeddingsResponse: geminiEmbeddingsResponse,
};
