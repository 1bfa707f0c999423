/**
 * Validation of `messages`, `tools` and `tool_choice` as the Chat Completions API does it,
 * including the pairing of assistant `tool_calls` with `tool` messages.
 */
import {
  describe,
  expectNonEmptyArray,
  expectOneOf,
  expectType,
  isJsonObject,
  listValues,
  missing,
  type Json,
} from './openai-check.js';
import { InvalidRequest } from './openai-errors.js';

const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'] as const;

/** Content part types each role accepts. */
const PART_TYPES: Record<string, readonly string[]> = {
  user: ['text', 'image_url', 'input_audio', 'file'],
  system: ['text'],
  developer: ['text'],
  assistant: ['text', 'refusal'],
  tool: ['text'],
  function: ['text'],
};

/** A function tool the simulator can call. */
export interface FunctionTool {
  name: string;
  parameters: unknown;
}

function validateParts(parts: unknown[], role: string, param: string): void {
  parts.forEach((part, j) => {
    const at = `${param}[${j}]`;
    expectType(part, 'object', at);
    const p = part as Json;
    if (p.type === undefined) throw missing(`${at}.type`);
    expectOneOf(p.type, PART_TYPES[role] ?? ['text'], `${at}.type`);
    const field = p.type as string;
    if (field === 'text' || field === 'refusal') {
      if (p[field] === undefined) throw missing(`${at}.${field}`);
      expectType(p[field], 'string', `${at}.${field}`);
    } else {
      if (p[field] === undefined) throw missing(`${at}.${field}`);
      expectType(p[field], 'object', `${at}.${field}`);
    }
  });
}

function validateContent(message: Json, role: string, param: string, required: boolean): void {
  const content = message.content;
  if (content === undefined || content === null) {
    if (required) throw missing(`${param}.content`);
    return;
  }
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) {
    throw new InvalidRequest(
      `Invalid type for '${param}.content': expected one of a string or array of objects, but got ` +
        `${describe(content)} instead.`,
      `${param}.content`,
      'invalid_type',
    );
  }
  validateParts(expectNonEmptyArray(content, `${param}.content`), role, `${param}.content`);
}

function validateToolCalls(toolCalls: unknown, param: string): string[] {
  const calls = expectNonEmptyArray(toolCalls, param);
  return calls.map((call, k) => {
    const at = `${param}[${k}]`;
    expectType(call, 'object', at);
    const c = call as Json;
    if (c.id === undefined) throw missing(`${at}.id`);
    expectType(c.id, 'string', `${at}.id`);
    if (c.type === undefined) throw missing(`${at}.type`);
    expectOneOf(c.type, ['function', 'custom'], `${at}.type`);
    if (c.type === 'function') {
      if (c.function === undefined) throw missing(`${at}.function`);
      expectType(c.function, 'object', `${at}.function`);
      const f = c.function as Json;
      if (f.name === undefined) throw missing(`${at}.function.name`);
      expectType(f.name, 'string', `${at}.function.name`);
      if (f.arguments === undefined) throw missing(`${at}.function.arguments`);
      expectType(f.arguments, 'string', `${at}.function.arguments`);
    }
    return c.id as string;
  });
}

function unanswered(index: number, ids: Iterable<string>): InvalidRequest {
  return new InvalidRequest(
    "An assistant message with 'tool_calls' must be followed by tool messages responding to each " +
      `'tool_call_id'. The following tool_call_ids did not have response messages: ${[...ids].join(', ')}`,
    `messages.[${index}].role`,
  );
}

/** Validates every message, then that tool calls and tool messages pair up. */
export function validateMessages(value: unknown): Json[] {
  if (value === undefined || value === null) throw missing('messages');
  const messages = expectNonEmptyArray(value, 'messages');
  let pending = new Set<string>();
  let answerable = new Set<string>();
  let assistantIndex = -1;
  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    expectType(message, 'object', param);
    const m = message as Json;
    if (m.role === undefined) throw missing(`${param}.role`);
    expectOneOf(m.role, ROLES, `${param}.role`);
    const role = m.role as string;
    const hasToolCalls = role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null;
    validateContent(m, role, param, role !== 'assistant');
    if (role === 'tool') {
      if (m.tool_call_id === undefined) throw missing(`${param}.tool_call_id`);
      expectType(m.tool_call_id, 'string', `${param}.tool_call_id`);
      if (!answerable.has(m.tool_call_id as string)) {
        throw new InvalidRequest(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      pending.delete(m.tool_call_id as string);
      return;
    }
    if (pending.size > 0) throw unanswered(assistantIndex, pending);
    answerable = new Set();
    if (hasToolCalls) {
      const ids = validateToolCalls(m.tool_calls, `${param}.tool_calls`);
      pending = new Set(ids);
      answerable = new Set(ids);
      assistantIndex = i;
    }
  });
  if (pending.size > 0) throw unanswered(assistantIndex, pending);
  return messages as Json[];
}

const NAME = /^[a-zA-Z0-9_-]+$/;

function validateSchema(name: string, parameters: unknown, param: string): void {
  expectType(parameters, 'object', param);
  const schema = parameters as Json;
  const invalid = (detail: string): InvalidRequest =>
    new InvalidRequest(
      `Invalid schema for function '${name}': ${detail}`,
      param,
      'invalid_function_parameters',
    );
  if (schema.type !== undefined && schema.type !== 'object') {
    throw invalid(`schema must be a JSON Schema of 'type: "object"', got 'type: "${String(schema.type)}"'.`);
  }
  if (schema.properties !== undefined && !isJsonObject(schema.properties)) {
    throw invalid(`In context=(), 'properties' is not of type 'object'.`);
  }
  if (schema.required !== undefined && !Array.isArray(schema.required)) {
    throw invalid(`In context=(), 'required' is not of type 'array'.`);
  }
}

/** Validates `tools`; returns the function tools. */
export function validateTools(value: unknown): FunctionTool[] {
  const tools = expectNonEmptyArray(value, 'tools');
  const functions: FunctionTool[] = [];
  tools.forEach((tool, i) => {
    const param = `tools[${i}]`;
    expectType(tool, 'object', param);
    const t = tool as Json;
    if (t.type === undefined) throw missing(`${param}.type`);
    expectOneOf(t.type, ['function', 'custom'], `${param}.type`);
    if (t.type !== 'function') return;
    if (t.function === undefined) throw missing(`${param}.function`);
    expectType(t.function, 'object', `${param}.function`);
    const f = t.function as Json;
    if (f.name === undefined) throw missing(`${param}.function.name`);
    expectType(f.name, 'string', `${param}.function.name`);
    const name = f.name as string;
    if (name.length > 64) {
      throw new InvalidRequest(
        `Invalid '${param}.function.name': string too long. Expected a string with maximum length 64, but got a ` +
          `string with length ${name.length} instead.`,
        `${param}.function.name`,
        'string_above_max_length',
      );
    }
    if (!NAME.test(name)) {
      throw new InvalidRequest(
        `Invalid '${param}.function.name': string does not match pattern. Expected a string that matches the ` +
          `pattern '^[a-zA-Z0-9_-]+$'.`,
        `${param}.function.name`,
        'invalid_value',
      );
    }
    if (f.parameters !== undefined) validateSchema(name, f.parameters, `${param}.function.parameters`);
    functions.push({ name, parameters: f.parameters ?? {} });
  });
  return functions;
}

export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

const CHOICES = ['none', 'auto', 'required'] as const;

export function validateToolChoice(value: unknown, tools: FunctionTool[] | null): ToolChoice {
  if (value === undefined || value === null) return 'auto';
  if (tools === null) {
    throw new InvalidRequest(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      'tool_choice',
    );
  }
  if (typeof value === 'string') {
    expectOneOf(value, CHOICES, 'tool_choice');
    return value as ToolChoice;
  }
  if (!isJsonObject(value)) {
    throw new InvalidRequest(
      `Invalid type for 'tool_choice': expected one of ${listValues(CHOICES)} or an object.`,
      'tool_choice',
      'invalid_type',
    );
  }
  if (value.type === undefined) throw missing('tool_choice.type');
  expectOneOf(value.type, ['function', 'allowed_tools', 'custom'], 'tool_choice.type');
  if (value.type !== 'function') return 'auto';
  if (value.function === undefined) throw missing('tool_choice.function');
  expectType(value.function, 'object', 'tool_choice.function');
  const name = (value.function as Json).name;
  if (name === undefined) throw missing('tool_choice.function.name');
  expectType(name, 'string', 'tool_choice.function.name');
  return { name: name as string };
}
