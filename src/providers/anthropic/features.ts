/**
 * Tools, structured output and reasoning: the request features that interact with each other.
 */
import type { ChatRequest, FunctionTool } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { schemaWarning, translateSchema, type JsonSchema } from '../schema-subset.js';
import { targetId, type AttemptContext } from '../types.js';
import { JSON_TOOL } from './mapping.js';
import { refuse } from './refuse.js';
import { ANTHROPIC_SCHEMA } from './schema.js';
import type { MessagesRequest, ToolChoiceParam, ToolParam } from './wire.js';

/**
 * `tools` → `{name, description, input_schema, strict}`; `tool_choice` auto/none/required/named →
 * `{type: auto|none|any|tool}`; `parallel_tool_calls: false` → `disable_parallel_tool_use: true`, which
 * lives inside tool_choice and is not accepted with `none` (…/agents-and-tools/tool-use/implement-tool-use).
 */
export function applyTools(request: ChatRequest, body: MessagesRequest, ctx: AttemptContext): void {
  const tools: ToolParam[] = [];
  (request.tools ?? []).forEach((tool, i) => {
    if (tool?.type !== 'function') {
      refuse(ctx, `tools[${i}]`, `A tool of type ${JSON.stringify(tool?.type)}`);
      return;
    }
    tools.push(toolParam(tool, i, ctx));
  });
  if (tools.length === 0) return;
  body.tools = tools;
  const choice = toolChoice(request, ctx);
  if (choice) body.tool_choice = choice;
}

/**
 * A schema in the subset Anthropic's constrained decoding accepts (./schema.ts), as a new object; what
 * moved is said in `x-switchyard-warnings`.
 */
function supportedSchema(schema: JsonSchema, where: string, ctx: AttemptContext): JsonSchema {
  const translated = translateSchema(schema, ANTHROPIC_SCHEMA);
  const warning = schemaWarning(where, targetId(ctx), translated);
  if (warning !== undefined) ctx.warn?.(warning);
  return translated.schema;
}

function toolParam(tool: FunctionTool, i: number, ctx: AttemptContext): ToolParam {
  const { name, description, parameters, strict } = tool.function ?? ({} as FunctionTool['function']);
  if (name === JSON_TOOL) {
    throw invalidRequest(
      `tools[${i}].function.name ${JSON.stringify(name)} is reserved by the gateway.`,
      `tools[${i}].function.name`,
    );
  }
  const schema = parameters ?? { type: 'object', properties: {} };
  // Strict tool use is documented for Anthropic too (…/build-with-claude/structured-outputs); its schema
  // must fit the structured-outputs subset. A tool that is not strict takes any JSON Schema.
  const param: ToolParam = {
    name,
    input_schema: strict === true ? supportedSchema(schema, `tools[${i}].function.parameters`, ctx) : schema,
  };
  if (description) param.description = description;
  if (strict === true) param.strict = true;
  return param;
}

function toolChoice(request: ChatRequest, ctx: AttemptContext): ToolChoiceParam | undefined {
  const noParallel = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const choice = request.tool_choice;
  if (choice === undefined || choice === null || choice === 'auto') {
    return request.parallel_tool_calls === false
      ? { type: 'auto', ...noParallel }
      : choice === 'auto'
        ? { type: 'auto' }
        : undefined;
  }
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any', ...noParallel };
  if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
    return { type: 'tool', name: choice.function.name, ...noParallel };
  }
  refuse(ctx, 'tool_choice', `tool_choice ${JSON.stringify(choice)}`);
  return undefined;
}

/**
 * `response_format`:
 * - `json_schema` → structured outputs, `output_config.format: {type: 'json_schema', schema}`: generally
 *   available, no beta header (the older `output_format` + `structured-outputs-2025-11-13` beta is
 *   deprecated), on the Claude 4.5 models and later (…/build-with-claude/structured-outputs). The schema
 *   is rewritten into the subset the API accepts (./schema.ts).
 * - `json_object` → there is no schema-less JSON mode, so a forced single tool whose input is any object;
 *   the response and stream translators turn that tool's input back into message text. Forcing a tool
 *   excludes the client's own tools, so `json_object` with `tools` is refused (or the format dropped).
 */
export function applyResponseFormat(request: ChatRequest, body: MessagesRequest, ctx: AttemptContext): void {
  const format = request.response_format;
  if (!format || format.type === 'text') return;
  if (format.type === 'json_schema' && format.json_schema?.schema) {
    const schema = supportedSchema(format.json_schema.schema, 'response_format.json_schema.schema', ctx);
    body.output_config = { ...body.output_config, format: { type: 'json_schema', schema } };
    return;
  }
  const type: string = format.type;
  if (type !== 'json_object' && type !== 'json_schema') {
    refuse(ctx, 'response_format', `response_format ${JSON.stringify(type)}`);
    return;
  }
  if (body.tools?.length) {
    refuse(ctx, 'response_format', 'response_format json_object together with tools');
    return;
  }
  body.tools = [
    {
      name: JSON_TOOL,
      description: 'Respond with a JSON object. Its input is your complete answer.',
      input_schema: { type: 'object' },
    },
  ];
  body.tool_choice = { type: 'tool', name: JSON_TOOL };
}

/** reasoning_effort → thinking budget (manual extended thinking). The API minimum is 1,024 tokens. */
export const THINKING_BUDGET: Readonly<Record<string, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
};

/** reasoning_effort → `output_config.effort` for adaptive thinking. */
const EFFORT: Readonly<Record<string, 'low' | 'medium' | 'high'>> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
};

/**
 * `reasoning_effort` → extended thinking (…/build-with-claude/extended-thinking, …/adaptive-thinking):
 * - Claude 4.6 and later (`claude-opus-4-6`, `claude-sonnet-5`, …): `thinking: {type: 'adaptive'}` plus
 *   `output_config.effort`; manual budgets are deprecated there and rejected by the newest models;
 * - older or unrecognised model names: `thinking: {type: 'enabled', budget_tokens}` from THINKING_BUDGET,
 *   and `max_tokens` (which includes thinking) raised to budget + max_tokens when it would not exceed
 *   the budget, since the API requires budget_tokens < max_tokens.
 * Thinking excludes forced tool use and temperature changes and allows top_p only in [0.95, 1]: a
 * forced tool choice refuses `reasoning_effort` (or drops it: the tool contract wins), sampling
 * parameters are refused (or dropped: the reasoning request wins).
 */
export function applyReasoning(request: ChatRequest, body: MessagesRequest, ctx: AttemptContext): void {
  const effort = request.reasoning_effort;
  if (effort === undefined || effort === null || effort === 'none') return;
  const budget = THINKING_BUDGET[effort];
  if (budget === undefined) {
    throw invalidRequest(
      `Invalid value for reasoning_effort: ${JSON.stringify(effort)}; use one of none, ${Object.keys(THINKING_BUDGET).join(', ')}.`,
      'reasoning_effort',
    );
  }
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool';
  if (forced) {
    refuse(
      ctx,
      'reasoning_effort',
      'reasoning_effort together with a forced tool choice (tool_choice "required", a named tool, or response_format json_object)',
    );
    return;
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    refuse(ctx, 'temperature', 'temperature together with reasoning_effort');
    delete body.temperature;
  }
  if (body.top_p !== undefined && body.top_p < 0.95) {
    refuse(ctx, 'top_p', 'top_p below 0.95 together with reasoning_effort');
    delete body.top_p;
  }
  if (usesAdaptiveThinking(ctx.model)) {
    body.thinking = { type: 'adaptive' };
    body.output_config = { ...body.output_config, effort: EFFORT[effort] };
    return;
  }
  body.thinking = { type: 'enabled', budget_tokens: budget };
  if (body.max_tokens <= budget) body.max_tokens += budget;
}

/**
 * Whether a model name is Claude 4.6 or later. Versions follow the family (`claude-opus-4-6`,
 * `claude-sonnet-5`, `claude-haiku-4-5-20251001`) or precede it (`claude-3-7-sonnet-20250219`); the
 * first numeric token is the major version, a following 1–2 digit token the minor; 8-digit dates are
 * not versions. Names without a version (aliases, deployments) keep the manual budget form.
 */
export function usesAdaptiveThinking(model: string): boolean {
  const tokens = model.toLowerCase().split(/[-.@:]/);
  const at = tokens.findIndex((t) => /^\d{1,2}$/.test(t));
  if (at === -1 || !model.toLowerCase().includes('claude')) return false;
  const major = Number(tokens[at]);
  const next = tokens[at + 1];
  const minor = next !== undefined && /^\d{1,2}$/.test(next) ? Number(next) : 0;
  return major > 4 || (major === 4 && minor >= 6);
}
