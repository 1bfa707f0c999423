/**
 * Validates a chat-completions body into the canonical request. Every error names the field, as
 * OpenAI does (`param`), and nothing about the body is trusted beyond what is checked here.
 */
import type { ChatRequest } from '../core/chat.js';
import { invalidRequest } from '../core/errors.js';

type Json = Record<string, unknown>;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function fail(param: string, message: string): never {
  throw invalidRequest(`Invalid value for '${param}': ${message}`, param, 'invalid_value');
}

/** `v` is `body[key]`, read by the caller by name (one keyed read by eight names would be megamorphic). */
function optionalNumber(v: unknown, key: string, min: number, max: number, integer = false): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(key, `expected a number, got ${typeName(v)}.`);
  if (integer && !Number.isInteger(v)) fail(key, `expected an integer, got ${v}.`);
  if (v < min || v > max) fail(key, `${v} is outside the allowed range [${min}, ${max}].`);
}

function content(v: unknown, param: string, allowNull: boolean): void {
  if (typeof v === 'string') return;
  if ((v === null || v === undefined) && allowNull) return;
  if (!Array.isArray(v)) fail(param, `expected a string or an array of content parts, got ${typeName(v)}.`);
  v.forEach((part, i) => {
    const p = `${param}[${i}]`;
    if (!isObject(part) || typeof part.type !== 'string')
      fail(p, 'a content part is an object with a `type`.');
    if (part.type === 'text' && typeof part.text !== 'string') fail(`${p}.text`, 'expected a string.');
    if (part.type === 'image_url' && !(isObject(part.image_url) && typeof part.image_url.url === 'string'))
      fail(`${p}.image_url.url`, 'expected a string URL.');
  });
}

function message(m: unknown, i: number): void {
  const p = `messages[${i}]`;
  if (!isObject(m)) fail(p, `expected an object, got ${typeName(m)}.`);
  if (typeof m.role !== 'string' || !ROLES.has(m.role))
    fail(
      `${p}.role`,
      `expected one of 'system', 'developer', 'user', 'assistant', 'tool'; got ${JSON.stringify(m.role)}.`,
    );
  if (m.role === 'assistant') {
    content(m.content, `${p}.content`, true);
    if (m.tool_calls !== undefined) {
      if (!Array.isArray(m.tool_calls)) fail(`${p}.tool_calls`, 'expected an array.');
      m.tool_calls.forEach((c, j) => {
        const cp = `${p}.tool_calls[${j}]`;
        if (!isObject(c) || typeof c.id !== 'string') fail(`${cp}.id`, 'expected a string.');
        if (!isObject(c.function) || typeof c.function.name !== 'string')
          fail(`${cp}.function.name`, 'expected a string.');
        if (typeof c.function.arguments !== 'string')
          fail(`${cp}.function.arguments`, 'expected a JSON string.');
      });
    } else if (m.content === undefined || m.content === null) {
      fail(`${p}.content`, "an assistant message needs 'content' or 'tool_calls'.");
    }
    if (m.thinking_blocks !== undefined) thinkingBlocks(m.thinking_blocks, `${p}.thinking_blocks`);
    return;
  }
  content(m.content, `${p}.content`, false);
  if (m.role === 'tool' && typeof m.tool_call_id !== 'string')
    fail(`${p}.tool_call_id`, 'expected a string.');
}

/** The thinking blocks an answer carried, sent back: `{type: 'thinking', thinking, signature}` or `{type: 'redacted_thinking', data}`. */
function thinkingBlocks(blocks: unknown, p: string): void {
  if (!Array.isArray(blocks)) fail(p, 'expected an array.');
  blocks.forEach((b, j) => {
    const bp = `${p}[${j}]`;
    if (!isObject(b)) fail(bp, `expected an object, got ${typeName(b)}.`);
    if (b.origin !== undefined && typeof b.origin !== 'string') fail(`${bp}.origin`, 'expected a string.');
    if (b.type === 'thinking') {
      if (typeof b.thinking !== 'string') fail(`${bp}.thinking`, 'expected a string.');
      if (typeof b.signature !== 'string') fail(`${bp}.signature`, 'expected a string.');
    } else if (b.type === 'redacted_thinking') {
      if (typeof b.data !== 'string') fail(`${bp}.data`, 'expected a string.');
    } else fail(`${bp}.type`, "expected 'thinking' or 'redacted_thinking'.");
  });
}

function tools(body: Json): void {
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) fail('tools', `expected an array, got ${typeName(body.tools)}.`);
    body.tools.forEach((t, i) => {
      const p = `tools[${i}]`;
      if (!isObject(t) || t.type !== 'function') fail(`${p}.type`, "expected 'function'.");
      if (!isObject(t.function) || typeof t.function.name !== 'string' || !TOOL_NAME.test(t.function.name))
        fail(`${p}.function.name`, 'expected a name of letters, digits, _ or - (at most 64).');
      if (t.function.parameters !== undefined && !isObject(t.function.parameters))
        fail(`${p}.function.parameters`, 'expected a JSON Schema object.');
    });
  }
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) return;
  if (typeof choice === 'string') {
    if (!['none', 'auto', 'required'].includes(choice))
      fail('tool_choice', `unknown value ${JSON.stringify(choice)}.`);
  } else if (!(isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string')) {
    fail('tool_choice', "expected 'none', 'auto', 'required' or {type: 'function', function: {name}}.");
  }
  if (choice !== 'none' && !(Array.isArray(body.tools) && body.tools.length)) {
    throw invalidRequest(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      'tool_choice',
    );
  }
}

function responseFormat(v: unknown): void {
  if (v === undefined || v === null) return;
  if (!isObject(v)) fail('response_format', `expected an object, got ${typeName(v)}.`);
  if (v.type === 'text' || v.type === 'json_object') return;
  if (v.type !== 'json_schema')
    fail('response_format.type', "expected 'text', 'json_object' or 'json_schema'.");
  if (!isObject(v.json_schema) || typeof v.json_schema.name !== 'string')
    fail('response_format.json_schema.name', 'expected a string.');
}

export function validateChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest(`The request body must be a JSON object, got ${typeName(body)}.`);
  if (body.model === undefined)
    throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof body.model !== 'string' || body.model === '') fail('model', 'expected a non-empty string.');
  if (body.messages === undefined)
    throw invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(body.messages)) fail('messages', `expected an array, got ${typeName(body.messages)}.`);
  if (body.messages.length === 0) fail('messages', 'expected at least one message.');
  body.messages.forEach(message);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    fail('stream', `expected a boolean, got ${typeName(body.stream)}.`);
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isObject(body.stream_options)) fail('stream_options', 'expected an object.');
    if (body.stream !== true)
      throw invalidRequest(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
      );
  }
  optionalNumber(body.max_tokens, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  optionalNumber(body.max_completion_tokens, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  optionalNumber(body.temperature, 'temperature', 0, 2);
  optionalNumber(body.top_p, 'top_p', 0, 1);
  optionalNumber(body.n, 'n', 1, 128, true);
  optionalNumber(body.presence_penalty, 'presence_penalty', -2, 2);
  optionalNumber(body.frequency_penalty, 'frequency_penalty', -2, 2);
  optionalNumber(body.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  const stop = body.stop;
  if (stop !== undefined && stop !== null && typeof stop !== 'string') {
    if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string'))
      fail('stop', 'expected a string or an array of strings.');
    if (stop.length > 4) fail('stop', 'at most 4 stop sequences.');
  }
  tools(body);
  responseFormat(body.response_format);
  return body as ChatRequest;
}
