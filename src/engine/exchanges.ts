/** The kinds of request the engine runs, each as a recipe for one attempt on one target. */
import type { ChatCompletion, ChatRequest } from '../core/chat.js';
import type { SkipReason } from '../core/events.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import type { AttemptContext, ChatProtocol } from '../providers/types.js';
import type { AttemptExchange } from './attempt.js';
import { embeddingsFailure } from './outcome-errors.js';

export interface Operation<T> {
  /** What the request does, as OpenTelemetry's `gen_ai.operation.name` says it. */
  name: 'chat' | 'embeddings';
  /** Whether a streamed answer is relayed part by part (and held until its first token). */
  stream: boolean;
  /** Why a target without an exchange is skipped (default: `unsupported-endpoint`). */
  unsupported?: { reason: SkipReason; detail: string };
  /** The exchange for one target, or undefined if its protocol cannot serve this kind of request. */
  exchange(protocol: ChatProtocol, ctx: AttemptContext): AttemptExchange<T> | undefined;
}

export function chatOperation(request: ChatRequest): Operation<ChatCompletion> {
  const stream = request.stream === true;
  return {
    name: 'chat',
    stream,
    exchange: (protocol, ctx) => ({
      request: () => protocol.chatRequest(request, ctx),
      classifyError: (status, headers, body) => protocol.classifyError(status, headers, body, ctx),
      ...(stream
        ? { decoder: () => protocol.streamDecoder(ctx) }
        : { parse: (body: string) => protocol.chatResponse(body, ctx) }),
    }),
  };
}

export function embeddingsOperation(request: EmbeddingsRequest): Operation<EmbeddingsResponse> {
  return {
    name: 'embeddings',
    stream: false,
    exchange: (protocol, ctx) => {
      const { embeddingsRequest, embeddingsResponse } = protocol;
      if (!embeddingsRequest || !embeddingsResponse) return undefined;
      return {
        request: () => embeddingsRequest.call(protocol, request, ctx),
        classifyError: (status, headers, body) =>
          embeddingsFailure(protocol.classifyError(status, headers, body, ctx)),
        parse: (body: string) => embeddingsResponse.call(protocol, body, ctx),
      };
    },
  };
}
