/**
 * Tools, structured output and thinking: the request features with more than a field rename.
 */
import type { ChatRequest, FunctionTool } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { schemaWarning, translateSchema, type JsonSchema } from '../schema-subset.js';
import { targetId, type AttemptContext } from '../types.js';
import { refuse } from './refuse.js';
import { GEMINI_SCHEMA } from './schema.js';
import type {
  FunctionDeclaration,
  GenerateContentRequest,
  GenerationConfig,
  ThinkingConfig,
} from './wire.js';

/**
 * `tools` → `tools: [{functionDeclarations: [{name, description, parametersJsonSchema}]}]`.
 * Parameters go in `parametersJsonSchema`, which takes JSON Schema (FunctionDeclaration reference: "This
 * field is mutually exclusive with `parameters`", its example uses `additionalProperties: false`), rather
 * than the OpenAPI-subset `parameters` field. Keywords outside the documented JSON Schema subset
 * (./schema.ts) move into descriptions; `$schema`, a meta keyword, is removed.
 * JSON Schema support for function declarations and structured output: blog.google "Gemini API structured
 * outputs" (Nov 2025: anyOf, $ref, additionalProperties, type null, prefixItems, minimum/maximum).
 *
 * `tool_choice` → `toolConfig.functionCallingConfig` (…/docs/function-calling#function_calling_modes):
 * auto → AUTO, none → NONE, required → ANY, a named function → ANY with `allowedFunctionNames: [name]`.
 * `parallel_tool_calls: false` has no equivalent (the model may always call several functions at once).
 */
export function applyTools(request: ChatRequest, body: GenerateContentRequest, ctx: AttemptContext): void {
  const declarations: FunctionDeclaration[] = [];
  (request.tools ?? []).forEach((tool, i) => {
    if (tool?.type !== 'function') {
      refuse(ctx, `tools[${i}]`, `A tool of type ${JSON.stringify(tool?.type)}`);
      return;
    }
    declarations.push(declaration(tool, i, ctx));
  });
  if (request.parallel_tool_calls === false && declarations.length) {
    refuse(ctx, 'parallel_tool_calls', '`parallel_tool_calls: false` (Gemini cannot forbid parallel calls)');
  }
  if (declarations.length === 0) return;
  body.tools = [{ functionDeclarations: declarations }];
  const choice = request.tool_choice;
  if (choice === undefined || choice === null) return;
  if (choice === 'auto') body.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
  else if (choice === 'none') body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
  else if (choice === 'required') body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
  else if (
    typeof choice === 'object' &&
    choice.type === 'function' &&
    typeof choice.function?.name === 'string'
  ) {
    body.toolConfig = {
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] },
    };
  } else refuse(ctx, 'tool_choice', `tool_choice ${JSON.stringify(choice)}`);
}

function declaration(tool: FunctionTool, i: number, ctx: AttemptContext): FunctionDeclaration {
  const { name, description, parameters } = tool.function ?? ({} as FunctionTool['function']);
  if (typeof name !== 'string' || name === '')
    throw invalidRequest(`tools[${i}].function.name is required.`, `tools[${i}].function.name`);
  const out: FunctionDeclaration = { name };
  if (typeof description === 'string' && description) out.description = description;
  // A function without parameters leaves the schema unset (FunctionDeclaration reference).
  if (parameters && typeof parameters === 'object')
    out.parametersJsonSchema = jsonSchema(parameters, `tools[${i}].function.parameters`, ctx);
  return out;
}

/** A client's JSON Schema in the subset the API reads (a new object); what moved goes to the warnings. */
function jsonSchema(schema: JsonSchema, where: string, ctx: AttemptContext): JsonSchema {
  const translated = translateSchema(schema, GEMINI_SCHEMA);
  const warning = schemaWarning(where, targetId(ctx), translated);
  if (warning !== undefined) ctx.warn?.(warning);
  return translated.schema;
}

/**
 * `response_format` (…/docs/structured-output): json_object → `responseMimeType: application/json`;
 * json_schema → the same plus `responseJsonSchema` (JSON Schema in its documented subset, ./schema.ts,
 * rather than converting to the OpenAPI-subset `responseSchema`); text → nothing.
 */
export function applyResponseFormat(
  request: ChatRequest,
  config: GenerationConfig,
  ctx: AttemptContext,
): void {
  const format = request.response_format;
  if (!format || format.type === 'text') return;
  const type: string = format.type;
  if (type === 'json_object') {
    config.responseMimeType = 'application/json';
    return;
  }
  if (type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = (format as { json_schema?: { schema?: unknown } }).json_schema?.schema;
    if (schema && typeof schema === 'object')
      config.responseJsonSchema = jsonSchema(schema as JsonSchema, 'response_format.json_schema.schema', ctx);
    return;
  }
  refuse(ctx, 'response_format', `response_format ${JSON.stringify(type)}`);
}

/**
 * Gemini 2.5 thinking budgets per effort: Google's own OpenAI compatibility layer maps low, medium and
 * high to 1K, 8K and 24K thinking tokens and `none` to no thinking (ai.google.dev/gemini-api/docs/openai
 * "Thinking"); minimal takes low's budget, xhigh high's (24,576 is the 2.5 Flash maximum).
 */
export const THINKING_BUDGET: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 1024,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 24576,
};

/** Gemini 3 thinking levels per effort (…/docs/thinking#thinking-levels); Gemini 3 cannot switch thinking off. */
const THINKING_LEVEL: Readonly<Record<string, NonNullable<ThinkingConfig['thinkingLevel']>>> = {
  none: 'minimal',
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
};

/**
 * `reasoning_effort` → `generationConfig.thinkingConfig` (…/docs/thinking):
 * - Gemini 3 and later (`gemini-3-flash-preview`, `gemini-3.1-pro-preview`, …) take `thinkingLevel`
 *   (lowercase, as in the guide's REST examples); `minimal` is Flash-only, so Pro models get `low` instead;
 * - Gemini 2.5 and names without a version (aliases such as `gemini-flash-latest`) take `thinkingBudget`
 *   from {@link THINKING_BUDGET}, which every thinking model accepts ("thinkingBudget is accepted for
 *   backwards compatibility" on Gemini 3); 2.5 Pro cannot switch thinking off, so its `none` is its
 *   documented minimum budget, 128;
 * - `includeThoughts: true` unless the effort is `none`, so thought summaries come back as reasoning_content.
 */
export function thinkingConfig(request: ChatRequest, ctx: AttemptContext): ThinkingConfig | undefined {
  const effort = request.reasoning_effort;
  if (effort === undefined || effort === null) return undefined;
  const budget = typeof effort === 'string' ? THINKING_BUDGET[effort] : undefined;
  if (budget === undefined) {
    throw invalidRequest(
      `Invalid value for reasoning_effort: ${JSON.stringify(effort)}; use one of ${Object.keys(THINKING_BUDGET).join(', ')}.`,
      'reasoning_effort',
    );
  }
  const model = ctx.model.toLowerCase();
  const pro = /(^|[-/])pro([-.]|$)/.test(model);
  const includeThoughts = effort !== 'none';
  if ((geminiMajor(model) ?? 0) >= 3) {
    let level = THINKING_LEVEL[effort] as NonNullable<ThinkingConfig['thinkingLevel']>;
    if (pro && level === 'minimal') level = 'low';
    return { thinkingLevel: level, includeThoughts };
  }
  return { thinkingBudget: pro && budget === 0 ? 128 : budget, includeThoughts };
}

/** The major version in a Gemini model name (`gemini-2.5-flash` → 2, `models/gemini-3-pro` → 3), if any. */
export function geminiMajor(model: string): number | undefined {
  const m = /gemini-(\d+)(?:\.\d+)?(?:-|$)/i.exec(model);
  return m === null ? undefined : Number(m[1]);
}
