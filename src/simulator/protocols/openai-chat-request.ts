/** `POST /v1/chat/completions` request validation, in the API's order and with its messages. */
import {
  expectNonEmptyArray,
  expectOneOf,
  expectRange,
  expectType,
  readModel,
  rejectUnknown,
  type Json,
} from './openai-check.js';
import { deepSeekThinking, isDeepSeek } from './deepseek.js';
import { InvalidRequest } from './openai-errors.js';
import { continuing, type Continuing } from './openai-prefix.js';
import {
  validateMessages,
  validateToolChoice,
  validateTools,
  type FunctionTool,
  type ToolChoice,
} from './openai-messages.js';

/** The simulator's own view of a validated chat request: only what it uses to answer. */
export interface ChatRequest {
  model: string;
  messages: Json[];
  stream: boolean;
  includeUsage: boolean;
  n: number;
  /** `max_completion_tokens` or `max_tokens`, or null. */
  maxTokens: number | null;
  stop: string[];
  /** Function tools, or null when the request has none. */
  tools: FunctionTool[] | null;
  /** DeepSeek models in thinking mode: answers carry `reasoning_content` (deepseek.ts). */
  thinking: boolean;
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  /** `response_format`: JSON with a schema, any JSON object, or null for text. */
  responseFormat: ResponseFormat | null;
  /** A partial answer the model is asked to continue (openai-prefix.ts), or null. */
  continuing: Continuing | null;
}

export type ResponseFormat = { type: 'json_schema'; schema: unknown } | { type: 'json_object' };

function readResponseFormat(value: unknown): ResponseFormat | null {
  if (value === undefined || value === null) return null;
  const format = value as Json;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type !== 'json_schema') return null;
  const spec = format.json_schema;
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidRequest(
      "Missing required parameter: 'response_format.json_schema'.",
      'response_format.json_schema',
      'missing_required_parameter',
    );
  }
  return { type: 'json_schema', schema: (spec as Json).schema ?? {} };
}

/** Every top-level parameter of the Chat Completions create request (API reference). */
const KNOWN = new Set([
  'messages',
  'model',
  'audio',
  'frequency_penalty',
  'function_call',
  'functions',
  'logit_bias',
  'logprobs',
  'max_completion_tokens',
  'max_tokens',
  'metadata',
  'modalities',
  'moderation',
  'n',
  'parallel_tool_calls',
  'prediction',
  'presence_penalty',
  'prompt_cache_key',
  'prompt_cache_options',
  'prompt_cache_retention',
  'reasoning_effort',
  'response_format',
  'safety_identifier',
  'seed',
  'service_tier',
  'stop',
  'store',
  'stream',
  'stream_options',
  'temperature',
  'tool_choice',
  'tools',
  'top_logprobs',
  'top_p',
  'user',
  'verbosity',
  'web_search_options',
]);

const KNOWN_DEEPSEEK = new Set([...KNOWN, 'thinking']);

/** Value checks for optional parameters (null counts as absent, as in the API). */
const CHECKS: Record<string, (value: unknown, param: string) => void> = {
  stream: (v, p) => expectType(v, 'boolean', p),
  n: (v, p) => expectRange(v, p, true, 1, 128),
  temperature: (v, p) => expectRange(v, p, false, 0, 2),
  top_p: (v, p) => expectRange(v, p, false, 0, 1),
  frequency_penalty: (v, p) => expectRange(v, p, false, -2, 2),
  presence_penalty: (v, p) => expectRange(v, p, false, -2, 2),
  max_tokens: (v, p) => expectRange(v, p, true, 1),
  max_completion_tokens: (v, p) => expectRange(v, p, true, 1),
  seed: (v, p) => expectType(v, 'integer', p),
  logprobs: (v, p) => expectType(v, 'boolean', p),
  top_logprobs: (v, p) => expectRange(v, p, true, 0, 20),
  user: (v, p) => expectType(v, 'string', p),
  store: (v, p) => expectType(v, 'boolean', p),
  parallel_tool_calls: (v, p) => expectType(v, 'boolean', p),
  metadata: (v, p) => expectType(v, 'object', p),
  logit_bias: (v, p) => expectType(v, 'object', p),
  stream_options: (v, p) => expectType(v, 'object', p),
  prediction: (v, p) => expectType(v, 'object', p),
  audio: (v, p) => expectType(v, 'object', p),
  modalities: (v, p) => expectType(v, 'array', p),
  reasoning_effort: (v, p) => expectOneOf(v, ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'], p),
  service_tier: (v, p) => expectOneOf(v, ['auto', 'default', 'flex', 'scale', 'priority'], p),
  response_format: (v, p) => {
    expectType(v, 'object', p);
    expectOneOf((v as Json).type, ['text', 'json_object', 'json_schema'], `${p}.type`);
  },
};

function readStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
    throw new InvalidRequest(
      "Invalid type for 'stop': expected one of a string or array of strings.",
      'stop',
      'invalid_type',
    );
  }
  if (value.length > 4) {
    throw new InvalidRequest(
      `Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length ` +
        `${value.length} instead.`,
      'stop',
      'array_above_max_length',
    );
  }
  return value as string[];
}

function onlyWithTools(param: string): InvalidRequest {
  return new InvalidRequest(
    `Invalid value for '${param}': '${param}' is only allowed when 'tools' are specified.`,
    param,
  );
}

/** `beta`: the request came to DeepSeek's beta base URL (`/beta/chat/completions`). */
export function validateChatRequest(body: Json, beta = false): ChatRequest {
  const model = readModel(body);
  rejectUnknown(body, isDeepSeek(model) ? KNOWN_DEEPSEEK : KNOWN);
  const messages = validateMessages(body.messages);
  const thinking = isDeepSeek(model) && deepSeekThinking(model, body, messages);
  for (const [param, check] of Object.entries(CHECKS)) {
    const value = body[param];
    if (value !== undefined && value !== null) check(value, param);
  }
  const stream = body.stream === true;
  const streamOptions = (body.stream_options ?? null) as Json | null;
  if (streamOptions !== null && !stream) {
    throw new InvalidRequest(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      'stream_options',
    );
  }
  if (streamOptions?.include_usage !== undefined) {
    expectType(streamOptions.include_usage, 'boolean', 'stream_options.include_usage');
  }
  const tools = body.tools === undefined || body.tools === null ? null : validateTools(body.tools);
  if (tools === null && body.parallel_tool_calls !== undefined && body.parallel_tool_calls !== null) {
    throw onlyWithTools('parallel_tool_calls');
  }
  if (body.functions !== undefined && body.functions !== null)
    expectNonEmptyArray(body.functions, 'functions');
  const maxTokens = (body.max_completion_tokens ?? body.max_tokens ?? null) as number | null;
  return {
    model,
    messages,
    stream,
    includeUsage: streamOptions?.include_usage === true,
    n: (body.n ?? 1) as number,
    maxTokens,
    stop: readStop(body.stop),
    tools,
    toolChoice: validateToolChoice(body.tool_choice, tools),
    parallelToolCalls: body.parallel_tool_calls !== false,
    responseFormat: readResponseFormat(body.response_format),
    thinking,
    continuing: continuing(model, messages, beta),
  };
}
