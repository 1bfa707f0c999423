/**
 * Continuing an answer on the OpenAI protocol. Mistral (docs.mistral.ai, chat completions: an
 * assistant message with `prefix: true` conditions the answer to start with its content; without it a
 * final assistant message is refused: "Expected last role User or Tool (or Assistant with prefix True)
 * for serving but got assistant"; its guide strips the prefix from the returned content, so the answer
 * here repeats it) and DeepSeek ("Chat Prefix Completion (Beta)": last message `role: assistant` with
 * `prefix: true`, only on the beta base URL `https://api.deepseek.com/beta`; the answer is the rest).
 * Other models continue when asked to in a user turn after the partial answer.
 */
import { asksToContinue, contentText } from '../continuation.js';
import type { Json } from './openai-check.js';
import { isDeepSeek } from './deepseek.js';
import { InvalidRequest } from './openai-errors.js';

export const isMistral = (model: string): boolean =>
  /^(open-)?(mistral|mixtral|codestral|ministral|magistral|pixtral|devstral)/.test(model);

/** A partial answer to continue, and whether the answer repeats it first. */
export interface Continuing {
  prefix: string;
  echo: boolean;
}

export function continuing(model: string, messages: readonly Json[], beta: boolean): Continuing | null {
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    const prefix = contentText(last.content);
    if (last.prefix === true) {
      if (isMistral(model)) return { prefix, echo: true };
      if (isDeepSeek(model) && beta) return { prefix, echo: false };
      if (isDeepSeek(model)) {
        // The simulator's own wording: the prefix completion is a beta feature.
        throw new InvalidRequest(
          'Prefix completion is only available with base_url="https://api.deepseek.com/beta".',
          'messages',
          'invalid_request_error',
        );
      }
      return null;
    }
    if (isMistral(model)) {
      throw new InvalidRequest(
        'Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant',
        null,
        'invalid_request_message_order',
      );
    }
    return null;
  }
  const before = messages.at(-2);
  if (last?.role === 'user' && asksToContinue(contentText(last.content)) && before?.role === 'assistant') {
    return { prefix: contentText(before.content), echo: false };
  }
  return null;
}
