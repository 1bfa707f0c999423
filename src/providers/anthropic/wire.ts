/**
 * The Anthropic Messages API wire shapes this module reads and writes: only the fields it uses.
 * Source: platform.claude.com/docs/en/api/messages/create, …/build-with-claude/streaming, …/api/errors.
 */

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (TextBlock | ImageBlock)[];
}

/** A thinking block sent back verbatim (…/extended-thinking#preserving-thinking-blocks). */
export type ThinkingBlockParam =
  { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

export type RequestBlock = TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlockParam;

export interface MessageParam {
  role: 'user' | 'assistant';
  content: RequestBlock[];
}

export interface ToolParam {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoiceParam =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export type ThinkingParam = { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' };

export interface OutputConfig {
  format?: { type: 'json_schema'; schema: Record<string, unknown> };
  effort?: 'low' | 'medium' | 'high';
}

export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: TextBlock[];
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  stream?: boolean;
  tools?: ToolParam[];
  tool_choice?: ToolChoiceParam;
  thinking?: ThinkingParam;
  output_config?: OutputConfig;
}

/** A response content block as received: unknown block types are tolerated and ignored. */
export interface ResponseBlock {
  type: string;
  text?: string;
  thinking?: string;
  /** thinking blocks: the signature the API checks when the block is sent back. */
  signature?: string;
  /** redacted_thinking blocks: the encrypted thinking. */
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export interface WireUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface MessageBody {
  id?: string;
  type?: string;
  content?: ResponseBlock[];
  stop_reason?: string | null;
  usage?: WireUsage;
}

/** `{"type":"error","error":{"type","message","details"?},"request_id"}` (api/errors "Error shapes"). */
export interface ErrorBody {
  type?: string;
  error?: { type?: string; message?: string; details?: { error_code?: string } | null };
}
