/**
 * A Messages API response → an OpenAI chat completion (platform.claude.com/docs/en/api/messages/create).
 */
import type { ChatCompletion, ResponseMessage, ThinkingBlock, ToolCall } from '../../core/chat.js';
import { type AttemptContext, targetId } from '../types.js';
import { invalidResponse, parseJsonObject } from '../upstream-body.js';
import { JSON_TOOL, finishReason, openAIUsage } from './mapping.js';
import type { MessageBody } from './wire.js';

/**
 * Text blocks are joined into `content`, thinking blocks into `reasoning_content` (redacted thinking
 * carries nothing readable), and both, verbatim with their origin, into `thinking_blocks` for the
 * client to send back; tool_use blocks become `tool_calls` with the input as a JSON string. The
 * gateway's json_object tool (see JSON_TOOL) becomes content text with finish `stop`.
 */
export function anthropicChatResponse(body: string, ctx: AttemptContext): ChatCompletion {
  const message = parse(body);
  const texts: string[] = [];
  const thinking: string[] = [];
  const thinkingBlocks: ThinkingBlock[] = [];
  const origin = targetId(ctx);
  const toolCalls: ToolCall[] = [];
  let jsonAnswer = false;
  for (const block of message.content ?? []) {
    if (typeof block !== 'object' || block === null)
      throw invalidResponse('a content block is not an object');
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      thinking.push(block.thinking);
      if (typeof block.signature === 'string' && block.signature)
        thinkingBlocks.push({
          type: 'thinking',
          thinking: block.thinking,
          signature: block.signature,
          origin,
        });
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string')
      thinkingBlocks.push({ type: 'redacted_thinking', data: block.data, origin });
    else if (block.type === 'tool_use' && block.name === JSON_TOOL) {
      texts.push(JSON.stringify(block.input ?? {}));
      jsonAnswer = true;
    } else if (block.type === 'tool_use') {
      if (typeof block.id !== 'string' || typeof block.name !== 'string')
        throw invalidResponse('a tool_use block lacks its id or name');
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const result: ResponseMessage = {
    role: 'assistant',
    content: texts.length ? texts.join('') : toolCalls.length ? null : '',
  };
  if (toolCalls.length) result.tool_calls = toolCalls;
  if (thinking.length) result.reasoning_content = thinking.join('');
  if (thinkingBlocks.length) result.thinking_blocks = thinkingBlocks;
  const reason =
    jsonAnswer && toolCalls.length === 0 && message.stop_reason === 'tool_use'
      ? 'stop'
      : finishReason(message.stop_reason);
  return {
    id: `chatcmpl-${typeof message.id === 'string' ? message.id : ctx.requestId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: ctx.publicModel,
    choices: [{ index: 0, message: result, finish_reason: reason, logprobs: null }],
    ...(message.usage ? { usage: openAIUsage(message.usage) } : {}),
  };
}

function parse(body: string): MessageBody {
  const parsed = parseJsonObject(body);
  const message = parsed as MessageBody;
  if (message.type === 'error') throw invalidResponse('a 2xx response carried an error object');
  if (!Array.isArray(message.content)) throw invalidResponse('`content` is missing');
  if (message.usage !== undefined && (typeof message.usage !== 'object' || message.usage === null)) {
    throw invalidResponse('`usage` is not an object');
  }
  return message;
}
