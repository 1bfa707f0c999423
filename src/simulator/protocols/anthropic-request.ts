/**
 * `POST /v1/messages` request validation, from the Messages API reference (create a message), the
 * tool-use and extended-thinking guides, and real error messages quoted in public issue threads.
 */
import { expect, fail, need, noExtra, oneOf, optional, range, tag, type Json } from './anthropic-check.js';
import { validateMessages, type AnthropicMessage } from './anthropic-content.js';
import { AnthropicInvalid } from './anthropic-errors.js';
import { checkStructuredSchema } from './anthropic-schema.js';
import { checkThinkingReplay } from './anthropic-thinking.js';

export interface AnthropicTool {
  name: string;
  schema: Json;
}

export type AnthropicToolChoice =
  { type: 'auto' | 'any' | 'none'; parallel: boolean } | { type: 'tool'; name: string; parallel: boolean };

/** The simulator's view of a validated Messages request: only what it uses to answer. */
export interface MessagesRequest {
  model: string;
  maxTokens: number;
  messages: AnthropicMessage[];
  system: string;
  stream: boolean;
  stopSequences: string[];
  tools: AnthropicTool[];
  toolChoice: AnthropicToolChoice;
  /** Thinking budget when `thinking.type` is enabled, else null. */
  thinkingBudget: number | null;
  /** Thinking on, with a budget or adaptive: the answer starts with a thinking block. */
  thinking: boolean;
  /** `output_config.format` (or the deprecated `output_format`) JSON schema: the text is JSON. */
  outputSchema: Json | null;
}

/** Top-level body parameters of Messages create (API reference). */
const KNOWN = [
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_k',
  'top_p',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
  'container',
  'context_management',
  'mcp_servers',
  'output_config',
  'output_format',
  'inference_geo',
];

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

function readSystem(body: Json): string {
  if (!('system' in body)) return '';
  if (typeof body.system === 'string') return body.system;
  const blocks = expect(body.system, 'list', 'system') as unknown[];
  return blocks
    .map((b, i) => {
      const block = expect(b, 'dictionary', `system.${i}`) as Json;
      tag(block, ['text'], `system.${i}`);
      noExtra(block, ['type', 'text', 'cache_control', 'citations'], `system.${i}.text`);
      return need(block, 'text', 'string', `system.${i}.text`) as string;
    })
    .join(' ');
}

function readTools(body: Json): AnthropicTool[] {
  if (!('tools' in body)) return [];
  const list = expect(body.tools, 'list', 'tools') as unknown[];
  const tools: AnthropicTool[] = [];
  list.forEach((value, i) => {
    const tool = expect(value, 'dictionary', `tools.${i}`) as Json;
    if (typeof tool.type === 'string' && tool.type !== 'custom') return; // server and client-schema tools
    const at = `tools.${i}.custom`;
    noExtra(
      tool,
      ['type', 'name', 'description', 'input_schema', 'cache_control', 'strict', 'input_examples'],
      at,
    );
    const name = need(tool, 'name', 'string', at) as string;
    if (!TOOL_NAME.test(name)) throw fail(`${at}.name`, `String should match pattern '${TOOL_NAME.source}'`);
    optional(tool, 'description', 'string', at);
    const schema = need(tool, 'input_schema', 'dictionary', at) as Json;
    if (!('type' in schema)) throw fail(`${at}.input_schema.type`, 'Field required');
    oneOf(schema.type, ['object'], `${at}.input_schema.type`);
    if (tools.some((t) => t.name === name)) throw new AnthropicInvalid('tools: Tool names must be unique.');
    if (tool.strict === true) checkStructuredSchema(schema, `tools.${i}.custom`);
    tools.push({ name, schema });
  });
  return tools;
}

function readToolChoice(body: Json, tools: AnthropicTool[]): AnthropicToolChoice {
  if (!('tool_choice' in body)) return { type: 'auto', parallel: true };
  const choice = expect(body.tool_choice, 'dictionary', 'tool_choice') as Json;
  const type = tag(choice, ['auto', 'any', 'tool', 'none'], 'tool_choice');
  const at = `tool_choice.${type}`;
  noExtra(
    choice,
    type === 'none'
      ? ['type']
      : type === 'tool'
        ? ['type', 'name', 'disable_parallel_tool_use']
        : ['type', 'disable_parallel_tool_use'],
    at,
  );
  const parallel = optional(choice, 'disable_parallel_tool_use', 'boolean', at) !== true;
  if (tools.length === 0 && type !== 'none') {
    throw new AnthropicInvalid('tool_choice may only be specified while providing tools.');
  }
  if (type !== 'tool') return { type: type as 'auto' | 'any' | 'none', parallel };
  const name = need(choice, 'name', 'string', at) as string;
  if (!tools.some((t) => t.name === name))
    throw fail(`${at}.name`, `Tool '${name}' not found in provided tools`);
  return { type: 'tool', name, parallel };
}

const THINKING_DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

function readThinking(body: Json, maxTokens: number): number | null {
  if (!('thinking' in body)) return null;
  const thinking = expect(body.thinking, 'dictionary', 'thinking') as Json;
  const type = tag(thinking, ['enabled', 'disabled', 'adaptive'], 'thinking');
  const at = `thinking.${type}`;
  if (type !== 'enabled') {
    noExtra(thinking, ['type'], at);
    return null;
  }
  noExtra(thinking, ['type', 'budget_tokens'], at);
  const budget = need(thinking, 'budget_tokens', 'integer', at) as number;
  range(budget, `${at}.budget_tokens`, 1024);
  if (budget >= maxTokens) {
    throw new AnthropicInvalid(
      `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ` +
        `${THINKING_DOCS}#max-tokens-and-context-window-size`,
    );
  }
  return budget;
}

/** `{type: 'json_schema', schema}` at `at` (structured outputs guide), its schema checked. */
function readFormat(value: unknown, at: string): Json {
  const format = expect(value, 'dictionary', at) as Json;
  tag(format, ['json_schema'], at);
  noExtra(format, ['type', 'schema'], at);
  const schema = need(format, 'schema', 'dictionary', at) as Json;
  checkStructuredSchema(schema, `${at}.schema`);
  return schema;
}

/** `output_config` (`format`, `effort`), or the deprecated top-level `output_format`. */
function readOutputSchema(body: Json): Json | null {
  if ('output_format' in body) return readFormat(body.output_format, 'output_format');
  if (!('output_config' in body)) return null;
  const config = expect(body.output_config, 'dictionary', 'output_config') as Json;
  noExtra(config, ['format', 'effort'], 'output_config');
  if ('effort' in config) oneOf(config.effort, ['low', 'medium', 'high', 'max'], 'output_config.effort');
  return 'format' in config ? readFormat(config.format, 'output_config.format') : null;
}

function readOptionals(body: Json): void {
  if (optional(body, 'temperature', 'number') !== undefined) range(body.temperature, 'temperature', 0, 1);
  if (optional(body, 'top_p', 'number') !== undefined) range(body.top_p, 'top_p', 0, 1);
  if (optional(body, 'top_k', 'integer') !== undefined) range(body.top_k, 'top_k', 0);
  optional(body, 'stream', 'boolean');
  if (optional(body, 'metadata', 'dictionary') !== undefined) {
    noExtra(body.metadata as Json, ['user_id'], 'metadata');
  }
  if ('service_tier' in body) oneOf(body.service_tier, ['auto', 'standard_only'], 'service_tier');
  if (optional(body, 'stop_sequences', 'list') !== undefined) {
    (body.stop_sequences as unknown[]).forEach((s, i) => expect(s, 'string', `stop_sequences.${i}`));
  }
}

export function validateMessagesRequest(body: Json): MessagesRequest {
  noExtra(body, KNOWN);
  const model = need(body, 'model', 'string') as string;
  const messages = validateMessages(body.messages);
  const maxTokens = need(body, 'max_tokens', 'integer') as number;
  range(maxTokens, 'max_tokens', 1);
  readOptionals(body);
  const system = readSystem(body);
  const tools = readTools(body);
  const toolChoice = readToolChoice(body, tools);
  const thinkingBudget = readThinking(body, maxTokens);
  const outputSchema = readOutputSchema(body);
  const thinkingOn =
    (body.thinking as Json | undefined)?.type === 'enabled' ||
    (body.thinking as Json | undefined)?.type === 'adaptive';
  checkThinkingReplay(messages, model, thinkingOn);
  if (thinkingBudget !== null) {
    if (body.temperature !== undefined && body.temperature !== 1) {
      throw new AnthropicInvalid(
        `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ` +
          `${THINKING_DOCS}#feature-compatibility`,
      );
    }
    if (toolChoice.type === 'any' || toolChoice.type === 'tool') {
      throw new AnthropicInvalid('Thinking may not be enabled when tool_choice forces tool use.');
    }
  }
  return {
    model,
    maxTokens,
    messages,
    system,
    stream: body.stream === true,
    stopSequences: (body.stop_sequences ?? []) as string[],
    tools,
    toolChoice,
    thinkingBudget,
    thinking: thinkingOn,
    outputSchema,
  };
}
