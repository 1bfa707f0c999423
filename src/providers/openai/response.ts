import type { ChatCompletion } from '../../core/chat.js';
import type { AttemptContext } from '../types.js';
import { invalidResponse, parseJsonObject } from '../upstream-body.js';

/** Parses a 2xx chat completion. Lenient: only the fields the gateway relies on are checked. */
export function openAIChatResponse(body: string, ctx: AttemptContext): ChatCompletion {
  const completion = parseJsonObject(body) as Partial<ChatCompletion> & { error?: unknown };
  if (completion.error !== undefined) throw invalidResponse('a 2xx response carried an error object');
  if (!Array.isArray(completion.choices)) throw invalidResponse('`choices` is missing');
  return {
    ...completion,
    id: typeof completion.id === 'string' ? completion.id : `chatcmpl-${ctx.requestId}`,
    object: 'chat.completion',
    created: typeof completion.created === 'number' ? completion.created : Math.floor(Date.now() / 1000),
    model: ctx.publicModel,
    choices: completion.choices,
  };
}
