import type { FinishReason, ToolCallExtra, Usage } from '../../core/chat.js';
import { transportFailure } from '../../core/errors.js';
import type { SseEvent } from '../../core/sse.js';
import type { PartSink } from '../../core/stream.js';
import type { AttemptContext, HeaderMap, StreamDecoder } from '../types.js';
import { classifyOpenAIError } from './errors.js';

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
  /** Google's OpenAI-compatible API: `{google: {thought_signature}}`, needed back with the call. */
  extra_content?: ToolCallExtra;
}

interface ChunkChoice {
  index?: number;
  delta?: {
    content?: string | null;
    reasoning_content?: string | null;
    reasoning?: string | null;
    refusal?: string | null;
    tool_calls?: ChunkToolCall[] | null;
  };
  finish_reason?: FinishReason | null;
}

interface Chunk {
  choices?: ChunkChoice[];
  usage?: Usage | null;
  error?: unknown;
}

const NO_HEADERS: HeaderMap = {};

const isObject = (v: unknown): v is ToolCallExtra => typeof v === 'object' && v !== null;

/** Decodes an OpenAI chat-completions SSE stream (`data: {chunk}` … `data: [DONE]`). */
export class OpenAIStreamDecoder implements StreamDecoder {
  private done = false;

  constructor(private readonly ctx: AttemptContext) {}

  event(event: SseEvent, emit: PartSink): void {
    if (this.done) return;
    if (event.data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(event.data) as Chunk;
    } catch {
      this.fail(emit, 'malformed_chunk', 'The upstream stream sent a chunk that is not valid JSON.');
      return;
    }
    if (event.event === 'error' || chunk.error !== undefined) {
      this.done = true;
      const failure = classifyOpenAIError(500, NO_HEADERS, JSON.stringify(chunk), this.ctx, true);
      emit({ type: 'error', failure });
      return;
    }
    if (Array.isArray(chunk.choices)) {
      for (const choice of chunk.choices) this.choice(choice, emit);
    }
    if (chunk.usage) emit({ type: 'usage', usage: chunk.usage });
  }

  end(emit: PartSink): void {
    if (!this.done) this.fail(emit, 'stream_cut', 'The upstream closed the stream before it finished.');
  }

  private choice(choice: ChunkChoice, emit: PartSink): void {
    const index = choice.index ?? 0;
    const delta = choice.delta;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (reasoning) emit({ type: 'reasoning', choice: index, text: reasoning });
      if (delta.content) emit({ type: 'text', choice: index, text: delta.content });
      if (delta.refusal) emit({ type: 'refusal', choice: index, text: delta.refusal });
      if (delta.tool_calls) {
        for (const call of delta.tool_calls) {
          emit({
            type: 'tool-call',
            choice: index,
            index: call.index ?? 0,
            ...(call.id ? { id: call.id } : {}),
            ...(call.function?.name ? { name: call.function.name } : {}),
            arguments: call.function?.arguments ?? '',
            ...(isObject(call.extra_content) ? { extra: call.extra_content } : {}),
          });
        }
      }
    }
    if (choice.finish_reason) emit({ type: 'finish', choice: index, reason: choice.finish_reason });
  }

  private fail(emit: PartSink, reason: string, message: string): void {
    this.done = true;
    emit({ type: 'error', failure: transportFailure(reason, message) });
  }
}
