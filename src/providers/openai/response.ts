import type { ChatCompletion } from '../../core/chat.js';
import { transportFailure } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';
import { UpstreamFailureError } from '../types.js';

const invalid = (detail: string): UpstreamFailureError =>
  new UpstreamFailureError(
    transportFailure('invalid_upstream_response', `The upstream returned an invalid response: ${detail}`),
  );

/** Parses a 2xx chat completion. Lenient: only the fields the gateway relies on are checked. */
export function openAIChatResponse(body: string, ctx: AttemptContext): ChatCompletion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw invalid('the body is not valid JSON (truncated?)');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid('the body is not a JSON object');
  const completion = parsed as Partial<ChatCompletion> & { error?: unknown };
  if (completion.error !== undefined) throw invalid('a 2xx response carried an error object');
  if (!Array.isArray(completion.choices)) throw invalid('`choices` is missing');
  return {
    ...completion,
    id: typeof completion.id === 'string' ? completion.id : `chatcmpl-${ctx.requestId}`,
    object: 'chat.completion',
    created: typeof completion.created === 'number' ? completion.created : Math.floor(Date.now() / 1000),
    model: ctx.publicModel,
    choices: completion.choices,
  };
}
