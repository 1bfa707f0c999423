/**
 * DeepSeek's additions to the OpenAI protocol, for models named `deepseek-*` (api-docs.deepseek.com,
 * "Thinking Mode"): a top-level `thinking: {type: "enabled" | "disabled"}` (on by default for V4 models,
 * always on for `deepseek-reasoner`); in thinking mode answers carry `reasoning_content`, and every
 * earlier assistant turn that made tool calls must carry its `reasoning_content` back, else a 400
 * ("The `reasoning_content` in the thinking mode must be passed back to the API.", quoted from
 * public issue threads).
 */
import { expectOneOf, expectType, type Json } from './openai-check.js';
import { InvalidRequest } from './openai-errors.js';

export const isDeepSeek = (model: string): boolean => model.startsWith('deepseek-');

/** Whether the request runs in thinking mode; validates `thinking` and the reasoning sent back. */
export function deepSeekThinking(model: string, body: Json, messages: readonly Json[]): boolean {
  let type = model.startsWith('deepseek-v4') ? 'enabled' : 'disabled';
  if (body.thinking !== undefined && body.thinking !== null) {
    expectType(body.thinking, 'object', 'thinking');
    const given = (body.thinking as Json).type;
    expectOneOf(given, ['enabled', 'disabled'], 'thinking.type');
    type = given as string;
  }
  const thinking = model === 'deepseek-reasoner' || type === 'enabled';
  if (!thinking) return false;
  for (const m of messages) {
    const calls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    if (m.role === 'assistant' && calls && typeof m.reasoning_content !== 'string') {
      throw new InvalidRequest(
        'The `reasoning_content` in the thinking mode must be passed back to the API.',
        null,
        'invalid_request_error',
      );
    }
  }
  return true;
}

export const DEEPSEEK_REASONING = 'The user asks something; I will answer it briefly.';
