/**
 * OpenAI messages → Anthropic `system` + `messages`
 * (platform.claude.com/docs/en/api/messages/create; …/agents-and-tools/tool-use/implement-tool-use).
 *
 * - system and developer messages, wherever they appear, become top-level `system` text blocks, in order;
 * - user and tool turns are `user` turns (a tool result is a `tool_result` block), assistant turns are
 *   `assistant` turns with `tool_use` blocks for their tool calls;
 * - consecutive turns of one role are merged into one, since the API expects alternating roles, and in a
 *   user turn the tool_result blocks go first ("tool_result blocks must come first in the content
 *   array; any text must come after all tool results").
 * An assistant message's `reasoning_content` is not sent back: Anthropic only accepts thinking blocks with
 * the signature it issued. Its `thinking_blocks` (which the gateway's answers carry) go back, first in
 * the turn, when this very target produced them; request.ts decides whether the request keeps them.
 */
import type {
  ChatMessage,
  ContentPart,
  MessageContent,
  ThinkingBlock,
  ToolCall,
  ToolMessage,
} from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { type AttemptContext, targetId } from '../types.js';
import { anthropicToolId } from './mapping.js';
import { refuse } from './refuse.js';
import type {
  ImageBlock,
  MessageParam,
  RequestBlock,
  TextBlock,
  ThinkingBlockParam,
  ToolResultBlock,
  ToolUseBlock,
} from './wire.js';

export interface Conversation {
  system: TextBlock[];
  messages: MessageParam[];
}

/** The image types the API accepts (…/build-with-claude/vision). */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function conversation(messages: readonly ChatMessage[], ctx: AttemptContext): Conversation {
  const system: TextBlock[] = [];
  const turns: MessageParam[] = [];
  const push = (role: MessageParam['role'], blocks: RequestBlock[]): void => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((message, i) => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...systemBlocks(message.content, path, ctx));
        break;
      case 'user':
        push('user', contentBlocks(message.content, path, ctx));
        break;
      case 'assistant': {
        const blocks: RequestBlock[] = [
          ...replayedThinking(message.thinking_blocks, ctx),
          ...contentBlocks(message.content, path, ctx),
        ];
        (message.tool_calls ?? []).forEach((call, j) =>
          blocks.push(toolUse(call, `${path}.tool_calls[${j}]`)),
        );
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [toolResult(message, path, ctx)]);
        break;
      default:
        throw invalidRequest(
          `Invalid value for ${path}.role: ${JSON.stringify((message as { role?: unknown }).role)}.`,
          `${path}.role`,
        );
    }
  });
  for (const turn of turns) {
    if (turn.role === 'user') turn.content = toolResultsFirst(turn.content);
  }
  return { system, messages: turns };
}

/**
 * The thinking blocks of an earlier answer of this target, verbatim (their signatures are checked).
 * Blocks from another target are left out: the API rejects a signature another model issued.
 */
function replayedThinking(
  blocks: readonly ThinkingBlock[] | undefined,
  ctx: AttemptContext,
): ThinkingBlockParam[] {
  if (!blocks) return [];
  const here = targetId(ctx);
  const out: ThinkingBlockParam[] = [];
  for (const b of blocks) {
    if (b.origin !== undefined && b.origin !== here) continue;
    if (b.type === 'thinking') out.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
    else out.push({ type: 'redacted_thinking', data: b.data });
  }
  return out;
}

function systemBlocks(content: MessageContent | undefined, path: string, ctx: AttemptContext): TextBlock[] {
  return contentBlocks(content, path, ctx).filter((block): block is TextBlock => {
    if (block.type === 'text') return true;
    refuse(ctx, path, `Non-text content in a ${path} system message`);
    return false;
  });
}

/** Text and image parts; audio and file parts are refused (or dropped). Empty text is skipped: the API rejects empty text blocks. */
function contentBlocks(
  content: MessageContent | null | undefined,
  path: string,
  ctx: AttemptContext,
): (TextBlock | ImageBlock)[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content))
    throw invalidRequest(`${path}.content must be a string or an array.`, `${path}.content`);
  const blocks: (TextBlock | ImageBlock)[] = [];
  content.forEach((part: ContentPart, j) => {
    const param = `${path}.content[${j}]`;
    switch (part.type) {
      case 'text':
      case 'refusal': {
        const text = (part as { text?: unknown; refusal?: unknown })[
          part.type === 'text' ? 'text' : 'refusal'
        ];
        if (typeof text === 'string' && text) blocks.push({ type: 'text', text });
        break;
      }
      case 'image_url':
        blocks.push(imageBlock(part, param));
        break;
      case 'input_audio':
        refuse(ctx, param, 'Audio input (an `input_audio` content part)');
        break;
      case 'file':
        refuse(ctx, param, 'File input (a `file` content part)');
        break;
      default:
        refuse(ctx, param, `A content part of type ${JSON.stringify(part.type)}`);
    }
  });
  return blocks;
}

/** `data:<type>;base64,<data>` → a base64 source; `http(s)://` → a url source (…/build-with-claude/vision). */
function imageBlock(part: ContentPart, param: string): ImageBlock {
  const url = (part as { image_url?: { url?: unknown } }).image_url?.url;
  const urlParam = `${param}.image_url.url`;
  if (typeof url !== 'string') throw invalidRequest(`${urlParam} must be a string.`, urlParam);
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const header = comma === -1 ? '' : url.slice(5, comma);
    if (!header.toLowerCase().endsWith(';base64')) {
      throw invalidRequest(`${urlParam} must be a base64 data URL (data:image/png;base64,…).`, urlParam);
    }
    const mediaType = header.slice(0, -';base64'.length).toLowerCase();
    if (!IMAGE_TYPES.has(mediaType)) {
      throw invalidRequest(
        `${urlParam} has type ${JSON.stringify(mediaType)}; the Anthropic API accepts ${[...IMAGE_TYPES].join(', ')}.`,
        urlParam,
      );
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: url.slice(comma + 1) } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalidRequest(`${urlParam} must be an http(s) URL or a base64 data URL.`, urlParam);
}

function toolUse(call: ToolCall, path: string): ToolUseBlock {
  const param = `${path}.function.arguments`;
  const args = call.function?.arguments ?? '';
  let input: unknown = {};
  if (args.trim() !== '') {
    try {
      input = JSON.parse(args);
    } catch {
      throw invalidRequest(
        `${param} is not valid JSON; Anthropic needs tool-call arguments as a JSON object.`,
        param,
      );
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidRequest(`${param} must be a JSON object; Anthropic tool inputs are objects.`, param);
  }
  return {
    type: 'tool_use',
    id: anthropicToolId(String(call.id ?? '')),
    name: call.function?.name ?? '',
    input: input as Record<string, unknown>,
  };
}

function toolResult(message: ToolMessage, path: string, ctx: AttemptContext): ToolResultBlock {
  const block: ToolResultBlock = {
    type: 'tool_result',
    tool_use_id: anthropicToolId(String(message.tool_call_id ?? '')),
  };
  if (typeof message.content === 'string') {
    if (message.content) block.content = message.content;
  } else {
    const blocks = contentBlocks(message.content, path, ctx);
    if (blocks.length) block.content = blocks;
  }
  return block;
}

function toolResultsFirst(blocks: RequestBlock[]): RequestBlock[] {
  const results = blocks.filter((b) => b.type === 'tool_result');
  return results.length === 0 ? blocks : [...results, ...blocks.filter((b) => b.type !== 'tool_result')];
}
