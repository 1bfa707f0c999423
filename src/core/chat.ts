/**
 * The canonical chat model. The OpenAI chat-completions shape is the canonical form: requests arrive in
 * it, every provider translates from it, and every response is normalised back to it.
 * Only the fields the gateway reads are typed; other fields pass through untouched where a provider
 * speaks the same protocol.
 */

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type ContentPart = TextPart | ImagePart | { type: string; [key: string]: unknown };

export type MessageContent = string | ContentPart[];

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /**
   * Provider data that must come back with the call. Gemini's thought signature, in the shape of
   * Google's own OpenAI-compatible API (`google.thought_signature`), with the `provider/model` that
   * issued it (`switchyard.origin`): it goes back only there.
   */
  extra_content?: ToolCallExtra;
}

export interface ToolCallExtra {
  google?: { thought_signature?: string };
  switchyard?: { origin?: string };
}

export interface SystemMessage {
  role: 'system' | 'developer';
  content: MessageContent;
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: MessageContent;
  name?: string;
}

/**
 * A thinking block of an Anthropic answer, as the API returned it (its signature is checked when it is
 * sent back), with `origin`: the `provider/model` that produced it. Answers carry them in
 * `message.thinking_blocks` (the field LiteLLM uses) so that a client that sends the message back in
 * its next request keeps a tool loop with extended thinking valid; they go back only to their origin.
 */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string; origin?: string }
  | { type: 'redacted_thinking'; data: string; origin?: string };

export interface AssistantMessage {
  role: 'assistant';
  content?: MessageContent | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  reasoning_content?: string | null;
  thinking_blocks?: ThinkingBlock[];
  name?: string;
}

export interface ToolMessage {
  role: 'tool';
  content: MessageContent;
  tool_call_id: string;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        schema?: Record<string, unknown>;
        strict?: boolean | null;
        description?: string;
      };
    };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  user?: string;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  reasoning_effort?: string | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  [key: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [key: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [key: string]: unknown };
}

export interface ResponseMessage {
  role: 'assistant';
  content: string | null;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
}

export interface ChatChoice {
  index: number;
  message: ResponseMessage;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatChoice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}
