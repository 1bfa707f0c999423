/**
 * Messages answers: the `message` object, and its stream (Streaming Messages guide): `message_start`
 * (empty content), one `ping`, per block `content_block_start` / `content_block_delta` (text_delta,
 * input_json_delta in `partial_json` fragments, thinking_delta then signature_delta) /
 * `content_block_stop`, `message_delta` (stop_reason, usage.output_tokens), `message_stop`.
 */
import { randomId } from '../random.js';
import { sseFrame } from '../sse.js';
import { instanceOf } from '../instance.js';
import { continuedPieces } from '../continuation.js';
import { countWords, estimateJsonTokens, fragments, replyPieces, replyWords } from '../text.js';
import type { ModelBehavior } from '../types.js';
import type { Json } from './anthropic-check.js';
import { anthropicError } from './anthropic-errors.js';
import { thinkingSignature } from './anthropic-thinking.js';
import type { MessagesRequest } from './anthropic-request.js';
import type { Answer, Headers, ProtocolContext, StreamFrame } from './types.js';

type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use';

type Block =
  | { type: 'thinking'; pieces: string[]; signature: string }
  | { type: 'text'; pieces: string[] }
  | { type: 'tool_use'; id: string; name: string; input: Json };

interface Reply {
  blocks: Block[];
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
}

const THINKING_WORDS = 'Let me think about how to answer this request step by step.';

export function inputTokens(request: MessagesRequest): number {
  let tokens = 3 + countWords(request.system);
  for (const message of request.messages) {
    tokens += 3;
    for (const block of message.blocks) {
      if (typeof block.text === 'string') tokens += countWords(block.text);
      else if (block.type === 'image') tokens += 85;
      else tokens += estimateJsonTokens(block);
    }
  }
  if (request.tools.length > 0) tokens += estimateJsonTokens(request.tools);
  return tokens;
}

/** The text of a final assistant message (a prefill), or ''. */
function prefill(request: MessagesRequest): string {
  const last = request.messages.at(-1);
  if (last?.role !== 'assistant') return '';
  return last.blocks.map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
}

/** The conversation ends with the user's own words, not with tool results. */
function endsWithUserTurn(request: MessagesRequest): boolean {
  const last = request.messages.at(-1);
  return last?.role === 'user' && !last.blocks.every((b) => b.type === 'tool_result');
}

/** Tool calls when tools are offered and forced (`any`, a named tool) or the user spoke last. */
function toolBlocks(request: MessagesRequest, behavior: ModelBehavior, context: ProtocolContext): Block[] {
  const choice = request.toolChoice;
  if (request.tools.length === 0 || choice.type === 'none') return [];
  const forced = choice.type === 'any' || choice.type === 'tool';
  if (!forced && !endsWithUserTurn(request)) return [];
  const named = choice.type === 'tool' ? request.tools.find((t) => t.name === choice.name) : undefined;
  let count = named !== undefined ? 1 : behavior.toolCalls;
  if (count <= 0 && choice.type === 'any') count = 1;
  if (!choice.parallel) count = Math.min(count, 1);
  const blocks: Block[] = [];
  for (let i = 0; i < count; i++) {
    const tool = named ?? request.tools[i % request.tools.length];
    if (tool === undefined) break;
    const id = `toolu_01${randomId(context.random, 22)}`;
    blocks.push({ type: 'tool_use', id, name: tool.name, input: instanceOf(tool.schema) as Json });
  }
  return blocks;
}

function reply(request: MessagesRequest, behavior: ModelBehavior, context: ProtocolContext): Reply {
  const blocks: Block[] = [];
  let budget = request.maxTokens;
  if (request.thinking) {
    const pieces = replyPieces(THINKING_WORDS);
    blocks.push({ type: 'thinking', pieces, signature: thinkingSignature(request.model, pieces.join('')) });
    budget -= pieces.length;
  }
  const tools = toolBlocks(request, behavior, context);
  if (tools.length > 0) {
    blocks.push(...tools);
    const used = tools.reduce((sum, b) => sum + estimateJsonTokens(b), 0);
    return {
      blocks,
      stopReason: 'tool_use',
      stopSequence: null,
      outputTokens: request.maxTokens - budget + used,
    };
  }
  if (request.outputSchema !== null) return jsonReply(request, blocks, budget);
  let text = replyWords(behavior.replyTokens, 0, behavior.replyText).join(' ');
  // Prefill: a final assistant message is continued; the answer is only the rest.
  const rest = continuedPieces(text, prefill(request));
  if (rest) {
    const pieces = rest.slice(0, Math.max(0, budget));
    blocks.push({ type: 'text', pieces });
    const stopReason: StopReason = pieces.length < rest.length ? 'max_tokens' : 'end_turn';
    return {
      blocks,
      stopReason,
      stopSequence: null,
      outputTokens: request.maxTokens - budget + pieces.length,
    };
  }
  let stopReason: StopReason = 'end_turn';
  let stopSequence: string | null = null;
  for (const sequence of request.stopSequences) {
    const at = text.indexOf(sequence);
    if (at >= 0 && (stopSequence === null || at < text.indexOf(stopSequence))) stopSequence = sequence;
  }
  if (stopSequence !== null) {
    text = text.slice(0, text.indexOf(stopSequence));
    stopReason = 'stop_sequence';
  }
  let pieces = replyPieces(text.trimEnd());
  if (pieces.length > budget) {
    pieces = pieces.slice(0, Math.max(0, budget));
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  blocks.push({ type: 'text', pieces });
  return { blocks, stopReason, stopSequence, outputTokens: request.maxTokens - budget + pieces.length };
}

/** Structured outputs: the text block is JSON for the schema, in fragments (cut at max_tokens). */
function jsonReply(request: MessagesRequest, blocks: Block[], budget: number): Reply {
  let pieces = fragments(JSON.stringify(instanceOf(request.outputSchema)));
  let stopReason: StopReason = 'end_turn';
  if (pieces.length > budget) {
    pieces = pieces.slice(0, Math.max(0, budget));
    stopReason = 'max_tokens';
  }
  blocks.push({ type: 'text', pieces });
  return { blocks, stopReason, stopSequence: null, outputTokens: request.maxTokens - budget + pieces.length };
}

function finalBlock(block: Block): Json {
  switch (block.type) {
    case 'thinking':
      return { type: 'thinking', thinking: block.pieces.join(''), signature: block.signature };
    case 'text':
      return { type: 'text', text: block.pieces.join('') };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
  }
}

const event = (type: string, data: Json, token = false): StreamFrame => ({
  text: sseFrame({ event: type, data: JSON.stringify({ type, ...data }) }),
  token,
});

function blockFrames(block: Block, index: number): StreamFrame[] {
  const delta = (d: Json, token = true): StreamFrame =>
    event('content_block_delta', { index, delta: d }, token);
  const frames: StreamFrame[] = [];
  switch (block.type) {
    case 'thinking':
      frames.push(
        event('content_block_start', {
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        }),
      );
      for (const piece of block.pieces) frames.push(delta({ type: 'thinking_delta', thinking: piece }));
      frames.push(delta({ type: 'signature_delta', signature: block.signature }, false));
      break;
    case 'text':
      frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const piece of block.pieces) frames.push(delta({ type: 'text_delta', text: piece }));
      break;
    case 'tool_use': {
      const head = { type: 'tool_use', id: block.id, name: block.name, input: {} };
      frames.push(event('content_block_start', { index, content_block: head }, true));
      frames.push(delta({ type: 'input_json_delta', partial_json: '' }, false));
      for (const part of fragments(JSON.stringify(block.input)))
        frames.push(delta({ type: 'input_json_delta', partial_json: part }));
      break;
    }
  }
  frames.push(event('content_block_stop', { index }));
  return frames;
}

export interface MessagesAnswerInput {
  request: MessagesRequest;
  behavior: ModelBehavior;
  context: ProtocolContext;
  headers: Headers;
}

export function messagesAnswer({ request, behavior, context, headers }: MessagesAnswerInput): Answer {
  const input = inputTokens(request);
  const window = behavior.contextWindow;
  if (window !== null && input > window) {
    // The API's wording: 400 invalid_request_error "prompt is too long: 208656 tokens > 200000 maximum".
    const message = `prompt is too long: ${input} tokens > ${window} maximum`;
    return { kind: 'error', response: anthropicError(400, { type: 'invalid_request_error', message }) };
  }
  const r = reply(request, behavior, context);
  const usage = (output: number): Json => ({
    input_tokens: input,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
    service_tier: 'standard',
  });
  const base = {
    id: `msg_01${randomId(context.random, 22)}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
  };
  if (!request.stream) {
    const body = {
      ...base,
      content: r.blocks.map(finalBlock),
      stop_reason: r.stopReason,
      stop_sequence: r.stopSequence,
      usage: usage(r.outputTokens),
    };
    return { kind: 'json', headers, body: JSON.stringify(body), tokens: r.outputTokens };
  }
  const frames: StreamFrame[] = [
    event('message_start', {
      message: { ...base, content: [], stop_reason: null, stop_sequence: null, usage: usage(1) },
    }),
    event('ping', {}),
  ];
  r.blocks.forEach((block, index) => frames.push(...blockFrames(block, index)));
  frames.push(
    event('message_delta', {
      delta: { stop_reason: r.stopReason, stop_sequence: r.stopSequence },
      usage: { output_tokens: r.outputTokens },
    }),
  );
  frames.push({ ...event('message_stop', {}), terminal: true });
  return { kind: 'stream', headers, frames };
}
