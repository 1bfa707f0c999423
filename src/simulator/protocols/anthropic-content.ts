/**
 * `messages` validation for `POST /v1/messages`: roles user/assistant only (the system prompt is
 * top-level), consecutive same-role turns accepted (the API reference: "Consecutive user or
 * assistant turns in your request will be combined into a single turn"), content blocks text,
 * image (base64 or url source), document, tool_use, tool_result, thinking, redacted_thinking, and
 * the pairing of `tool_result` blocks with the `tool_use` blocks of the previous message, with the
 * API's own messages.
 */
import { expect, fail, need, noExtra, oneOf, optional, tag, type Json } from './anthropic-check.js';
import { AnthropicInvalid } from './anthropic-errors.js';

const BLOCK_TYPES = [
  'text',
  'image',
  'document',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
] as const;
const MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const CACHE = ['cache_control'];

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  blocks: Json[];
}

function source(block: Json, path: string): void {
  const value = need(block, 'source', 'dictionary', path) as Json;
  const at = `${path}.source`;
  const kind = tag(value, ['base64', 'url'], at);
  if (kind === 'base64') {
    noExtra(value, ['type', 'media_type', 'data'], `${at}.base64`);
    oneOf(need(value, 'media_type', 'string', `${at}.base64`), MEDIA_TYPES, `${at}.base64.media_type`);
    need(value, 'data', 'string', `${at}.base64`);
  } else {
    noExtra(value, ['type', 'url'], `${at}.url`);
    need(value, 'url', 'string', `${at}.url`);
  }
}

/** One content block; returns it. `path` is `messages.N.content.M`. */
function block(value: unknown, path: string): Json {
  const b = expect(value, 'dictionary', path) as Json;
  const type = tag(b, BLOCK_TYPES, path);
  const at = `${path}.${type}`;
  switch (type) {
    case 'text':
      noExtra(b, ['type', 'text', 'citations', ...CACHE], at);
      if (need(b, 'text', 'string', at) === '')
        throw fail('messages', 'text content blocks must be non-empty');
      break;
    case 'image':
      noExtra(b, ['type', 'source', ...CACHE], at);
      source(b, at);
      break;
    case 'document':
      noExtra(b, ['type', 'source', 'title', 'context', 'citations', ...CACHE], at);
      need(b, 'source', 'dictionary', at);
      break;
    case 'tool_use':
      noExtra(b, ['type', 'id', 'name', 'input', ...CACHE], at);
      need(b, 'id', 'string', at);
      need(b, 'name', 'string', at);
      need(b, 'input', 'dictionary', at);
      break;
    case 'tool_result':
      noExtra(b, ['type', 'tool_use_id', 'content', 'is_error', ...CACHE], at);
      need(b, 'tool_use_id', 'string', at);
      optional(b, 'is_error', 'boolean', at);
      if ('content' in b && typeof b.content !== 'string') {
        const inner = expect(b.content, 'list', `${at}.content`) as unknown[];
        inner.forEach((item, i) => block(item, `${at}.content.${i}`));
      }
      break;
    case 'thinking':
      noExtra(b, ['type', 'thinking', 'signature'], at);
      need(b, 'thinking', 'string', at);
      need(b, 'signature', 'string', at);
      break;
    case 'redacted_thinking':
      noExtra(b, ['type', 'data'], at);
      need(b, 'data', 'string', at);
      break;
  }
  return b;
}

function contentBlocks(content: string | unknown[], index: number): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((b, i) => block(b, `messages.${index}.content.${i}`));
}

function readMessage(value: unknown, index: number): AnthropicMessage {
  const path = `messages.${index}`;
  const message = expect(value, 'dictionary', path) as Json;
  if (message.role === 'system') {
    throw new AnthropicInvalid(
      'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" ' +
        'as an input message role.',
    );
  }
  noExtra(message, ['role', 'content'], path);
  const role = oneOf(
    need(message, 'role', 'string', path),
    ['user', 'assistant'],
    `${path}.role`,
  ) as AnthropicMessage['role'];
  if (!('content' in message)) throw fail(`${path}.content`, 'Field required');
  const content = message.content;
  if (typeof content !== 'string' && !Array.isArray(content)) {
    throw fail(`${path}.content`, 'Input should be a valid string');
  }
  return { role, blocks: contentBlocks(content, index) };
}

const idsOf = (blocks: Json[], type: string, key: string): string[] =>
  blocks.filter((b) => b.type === type).map((b) => b[key] as string);

/** tool_use ↔ tool_result pairing between neighbouring messages. */
function checkToolPairs(messages: AnthropicMessage[]): void {
  messages.forEach((message, index) => {
    const previous = messages[index - 1];
    const offered = previous?.role === 'assistant' ? idsOf(previous.blocks, 'tool_use', 'id') : [];
    message.blocks.forEach((b, position) => {
      if (b.type !== 'tool_result' || offered.includes(b.tool_use_id as string)) return;
      throw new AnthropicInvalid(
        `messages.${index}.content.${position}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ` +
          `${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the ` +
          'previous message.',
      );
    });
    if (message.role !== 'assistant') return;
    const asked = idsOf(message.blocks, 'tool_use', 'id');
    const next = messages[index + 1];
    if (asked.length === 0 || next === undefined) return;
    const answered = idsOf(next.blocks, 'tool_result', 'tool_use_id');
    const missing = asked.filter((id) => !answered.includes(id));
    if (missing.length > 0) {
      throw new AnthropicInvalid(
        `messages.${index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ` +
          `${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
  });
}

export function validateMessages(value: unknown): AnthropicMessage[] {
  if (value === undefined) throw fail('messages', 'Field required');
  const list = expect(value, 'list', 'messages') as unknown[];
  if (list.length === 0) throw new AnthropicInvalid('messages: at least one message is required');
  const messages = list.map(readMessage);
  messages.forEach((message, index) => {
    const last = index === messages.length - 1;
    if (message.blocks.length === 0 || (message.blocks.length === 1 && message.blocks[0]?.text === '')) {
      if (last && message.role === 'assistant') return;
      throw new AnthropicInvalid(
        `messages.${index}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
  });
  const final = messages.at(-1);
  const tail = final?.role === 'assistant' ? final.blocks.at(-1) : undefined;
  if (tail?.type === 'text' && typeof tail.text === 'string' && /\s$/.test(tail.text)) {
    throw new AnthropicInvalid('messages: final assistant content cannot end with trailing whitespace');
  }
  checkToolPairs(messages);
  return messages;
}
