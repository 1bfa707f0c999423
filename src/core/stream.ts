/**
 * A typed stream of parts: what every provider's stream decoder produces and what the one SSE encoder
 * turns back into OpenAI chunks. `choice` is the OpenAI choice index (0 unless the request asked for n > 1).
 */
import type { FinishReason, ThinkingBlock, ToolCallExtra, Usage } from './chat.js';
import type { UpstreamFailure } from './errors.js';

export type StreamPart =
  | { type: 'text'; choice: number; text: string }
  | { type: 'reasoning'; choice: number; text: string }
  /** A complete thinking block, once its signature is known (after its reasoning deltas). */
  | { type: 'thinking-block'; choice: number; block: ThinkingBlock }
  | { type: 'refusal'; choice: number; text: string }
  | {
      type: 'tool-call';
      choice: number;
      /** Position of the call in the message's tool_calls array. */
      index: number;
      id?: string;
      name?: string;
      /** A fragment of the JSON arguments string. */
      arguments: string;
      /** With the call's first fragment: data the provider needs back with it (see ToolCall). */
      extra?: ToolCallExtra;
    }
  | { type: 'finish'; choice: number; reason: FinishReason }
  | { type: 'usage'; usage: Usage }
  | { type: 'error'; failure: UpstreamFailure };

/** True for the parts that carry model output: the first one is the stream's first token. */
export function isOutputPart(part: StreamPart): boolean {
  switch (part.type) {
    case 'text':
    case 'reasoning':
    case 'refusal':
      return part.text.length > 0;
    case 'tool-call':
      return true;
    default:
      return false;
  }
}

export type PartSink = (part: StreamPart) => void;
