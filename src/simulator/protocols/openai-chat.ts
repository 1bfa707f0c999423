/**
 * Chat Completions answers: the `chat.completion` object and the `chat.completion.chunk` stream
 * (first chunk `delta: {role: "assistant", content: ""}`, tool-call deltas with `index`/`id`/`type`/
 * `function.name` first and arguments in fragments, a finish chunk, the usage chunk with
 * `choices: []` when `stream_options.include_usage`, then `data: [DONE]`).
 */
import { continuedPieces } from '../continuation.js';
import { randomId } from '../random.js';
import { sseFrame } from '../sse.js';
import { instanceOf, jsonObjectAnswer } from '../instance.js';
import { countWords, estimateJsonTokens, replyWords } from '../text.js';
import type { ModelBehavior } from '../types.js';
import type { Json } from './openai-check.js';
import { DEEPSEEK_REASONING } from './deepseek.js';
import { errorResponse } from './openai-errors.js';
import type { ChatRequest } from './openai-chat-request.js';
import type { Answer, Headers, ProtocolContext, StreamFrame } from './types.js';

type FinishReason = 'stop' | 'length' | 'tool_calls';

interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One generated choice: text pieces (one per token) or tool calls. */
interface Choice {
  pieces: string[];
  toolCalls: ToolCall[];
  finish: FinishReason;
  tokens: number;
}

export const SYSTEM_FINGERPRINT = 'fp_sim0001';
const ARGUMENT_FRAGMENT = 8;

/** Prompt tokens: words of every text content, 3 per message, 3 for the reply, tools by size. */
export function promptTokens(request: ChatRequest): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += 3;
    const content = message.content;
    if (typeof content === 'string') tokens += countWords(content);
    else if (Array.isArray(content)) {
      for (const part of content as Json[])
        tokens += typeof part.text === 'string' ? countWords(part.text) : 85;
    }
    if (message.tool_calls !== undefined) tokens += estimateJsonTokens(message.tool_calls);
  }
  if (request.tools !== null) tokens += estimateJsonTokens(request.tools);
  return tokens;
}

/** The reply text, and its pieces (one per token): words, or JSON in fragments when JSON was asked for. */
function replyText(request: ChatRequest, behavior: ModelBehavior, index: number): [string, boolean] {
  const words = replyWords(behavior.replyTokens, index, behavior.replyText).join(' ');
  const format = request.responseFormat;
  if (format === null) return [words, false];
  const value = format.type === 'json_schema' ? instanceOf(format.schema) : jsonObjectAnswer(words);
  return [JSON.stringify(value), true];
}

function textChoice(request: ChatRequest, behavior: ModelBehavior, index: number): Choice {
  const [reply, json] = replyText(request, behavior, index);
  const rest = request.continuing && continuedPieces(reply, request.continuing.prefix);
  if (rest) return continuedChoice(request, rest);
  let text = reply;
  let finish: FinishReason = 'stop';
  const stopAt = Math.min(...request.stop.map((s) => text.indexOf(s)).filter((i) => i >= 0));
  if (Number.isFinite(stopAt)) text = json ? text.slice(0, stopAt) : text.slice(0, stopAt).trimEnd();
  let pieces = json
    ? fragments(text)
    : text === ''
      ? []
      : text.split(' ').map((word, i) => (i === 0 ? word : ` ${word}`));
  if (request.maxTokens !== null && pieces.length > request.maxTokens) {
    pieces = pieces.slice(0, request.maxTokens);
    finish = 'length';
  }
  return { pieces, toolCalls: [], finish, tokens: pieces.length };
}

/**
 * The rest of an answer asked to be continued, capped by max_tokens (a prefix is input, not output);
 * Mistral repeats the prefix first.
 */
function continuedChoice(request: ChatRequest, rest: string[]): Choice {
  const { prefix, echo } = request.continuing!;
  let pieces = rest;
  let finish: FinishReason = 'stop';
  if (request.maxTokens !== null && pieces.length > request.maxTokens) {
    pieces = pieces.slice(0, request.maxTokens);
    finish = 'length';
  }
  const tokens = pieces.length;
  return { pieces: echo ? [prefix, ...pieces] : pieces, toolCalls: [], finish, tokens };
}

/**
 * Tool calls, when tools are offered and the model is forced to call one (`required`, a named
 * function) or the conversation ends with a user turn: a tool result is answered with text, so an
 * agent loop ends after one round trip.
 */
function toolChoice(request: ChatRequest, behavior: ModelBehavior, context: ProtocolContext): Choice | null {
  const tools = request.tools ?? [];
  const choice = request.toolChoice;
  if (tools.length === 0 || choice === 'none') return null;
  const forced = choice === 'required' || typeof choice === 'object';
  if (!forced && request.messages.at(-1)?.role !== 'user') return null;
  const named = typeof choice === 'object' ? tools.find((t) => t.name === choice.name) : undefined;
  let count = named !== undefined ? 1 : behavior.toolCalls;
  if (count <= 0 && choice === 'required') count = 1;
  if (count <= 0) return null;
  if (!request.parallelToolCalls) count = 1;
  const toolCalls: ToolCall[] = [];
  for (let i = 0; i < count; i++) {
    const tool = named ?? tools[i % tools.length];
    if (tool === undefined) break;
    toolCalls.push({
      id: `call_${randomId(context.random, 24)}`,
      name: tool.name,
      arguments: JSON.stringify(instanceOf(tool.parameters ?? { type: 'object' })),
    });
  }
  const tokens = toolCalls.reduce((sum, call) => sum + 1 + fragments(call.arguments).length, 0);
  return { pieces: [], toolCalls, finish: 'tool_calls', tokens };
}

function fragments(text: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += ARGUMENT_FRAGMENT) parts.push(text.slice(i, i + ARGUMENT_FRAGMENT));
  return parts;
}

function usage(prompt: number, completion: number): Json {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function message(choice: Choice, reasoning: string | null): Json {
  const thought = reasoning === null ? {} : { reasoning_content: reasoning };
  if (choice.toolCalls.length > 0) {
    return {
      role: 'assistant',
      ...thought,
      content: null,
      tool_calls: choice.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
      refusal: null,
      annotations: [],
    };
  }
  return { role: 'assistant', ...thought, content: choice.pieces.join(''), refusal: null, annotations: [] };
}

/** Deltas of one choice: [delta, is-token, finish_reason]. */
function deltas(choice: Choice, reasoning: string | null): Array<[Json, boolean, FinishReason | null]> {
  const out: Array<[Json, boolean, FinishReason | null]> = [];
  if (reasoning !== null)
    out.push([{ role: 'assistant', content: null, reasoning_content: reasoning }, true, null]);
  if (choice.toolCalls.length === 0) {
    out.push([{ role: 'assistant', content: '', refusal: null }, false, null]);
    for (const piece of choice.pieces) out.push([{ content: piece }, true, null]);
  }
  choice.toolCalls.forEach((call, index) => {
    const head = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    out.push([
      index === 0
        ? { role: 'assistant', content: null, tool_calls: [head], refusal: null }
        : { tool_calls: [head] },
      true,
      null,
    ]);
    for (const part of fragments(call.arguments))
      out.push([{ tool_calls: [{ index, function: { arguments: part } }] }, true, null]);
  });
  out.push([{}, false, choice.finish]);
  return out;
}

export interface ChatAnswerInput {
  request: ChatRequest;
  behavior: ModelBehavior;
  context: ProtocolContext;
  headers: Headers;
}

export function chatAnswer({ request, behavior, context, headers }: ChatAnswerInput): Answer {
  const window = behavior.contextWindow;
  if (window !== null && promptTokens(request) > window) {
    // The wording of the API's context_length_exceeded error.
    const message =
      `This model's maximum context length is ${window} tokens. However, your messages resulted in ` +
      `${promptTokens(request)} tokens. Please reduce the length of the messages.`;
    const error = {
      message,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    };
    const response = errorResponse(400, error, { ...headers, 'content-type': 'application/json' });
    return { kind: 'error', response };
  }
  const choices: Choice[] = [];
  for (let i = 0; i < request.n; i++) {
    choices.push(toolChoice(request, behavior, context) ?? textChoice(request, behavior, i));
  }
  const prompt = promptTokens(request);
  const completion = choices.reduce((sum, c) => sum + c.tokens, 0);
  const reasoning = request.thinking ? DEEPSEEK_REASONING : null;
  const base = {
    id: `chatcmpl-${randomId(context.random, 29)}`,
    created: context.unixSeconds(),
    model: request.model,
  };
  if (!request.stream) {
    const body = {
      ...base,
      object: 'chat.completion',
      choices: choices.map((c, index) => ({
        index,
        message: message(c, reasoning),
        logprobs: null,
        finish_reason: c.finish,
      })),
      usage: usage(prompt, completion),
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    };
    const tokens = Math.max(0, ...choices.map((c) => c.tokens));
    return { kind: 'json', headers, body: JSON.stringify(body, null, 2), tokens };
  }
  const chunk = (choicesField: Json[], extra: Json = {}): string =>
    sseFrame({
      data: JSON.stringify({
        ...base,
        object: 'chat.completion.chunk',
        service_tier: 'default',
        system_fingerprint: SYSTEM_FINGERPRINT,
        choices: choicesField,
        ...(request.includeUsage ? { usage: null } : {}),
        ...extra,
      }),
    });
  const perChoice = choices.map((choice, index) =>
    deltas(choice, reasoning).map(([delta, token, finish]): StreamFrame => ({
      text: chunk([{ index, delta, logprobs: null, finish_reason: finish }]),
      token,
    })),
  );
  const frames: StreamFrame[] = [];
  const longest = Math.max(...perChoice.map((f) => f.length));
  for (let step = 0; step < longest; step++) {
    for (const list of perChoice) if (step < list.length) frames.push(list[step] as StreamFrame);
  }
  if (request.includeUsage)
    frames.push({ text: chunk([], { usage: usage(prompt, completion) }), token: false });
  frames.push({ text: sseFrame({ data: '[DONE]' }), token: false, terminal: true });
  return { kind: 'stream', headers, frames };
}
