/**
 * Thinking blocks sent back (…/build-with-claude/extended-thinking, "Preserving thinking blocks"):
 * the API signs each thinking block it returns and rejects one that comes back altered or from another
 * model ("messages.1.content.0: Invalid `signature` in `thinking` block"), and with thinking on, a final
 * assistant turn that used tools must start with its thinking block. The simulator signs with an HMAC
 * of the model and the text under a per-process secret, so only its own unaltered blocks verify.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AnthropicMessage } from './anthropic-content.js';
import { AnthropicInvalid } from './anthropic-errors.js';

const SECRET = randomBytes(32);

export function thinkingSignature(model: string, thinking: string): string {
  return `Eu${createHmac('sha256', SECRET).update(`${model}\n${thinking}`).digest('base64')}`;
}

const DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

export function checkThinkingReplay(
  messages: readonly AnthropicMessage[],
  model: string,
  thinkingOn: boolean,
): void {
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    message.blocks.forEach((b, j) => {
      if (b.type !== 'thinking') return;
      if (b.signature !== thinkingSignature(model, String(b.thinking)))
        throw new AnthropicInvalid(`messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`);
    });
  });
  if (!thinkingOn) return;
  const index = messages.findLastIndex((m) => m.role === 'assistant');
  const final = messages[index];
  if (!final || !final.blocks.some((b) => b.type === 'tool_use')) return;
  const first = final.blocks[0]?.type;
  if (first === 'thinking' || first === 'redacted_thinking') return;
  throw new AnthropicInvalid(
    `messages.${index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first)}\`. ` +
      'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the ' +
      'lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous ' +
      `turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at ${DOCS}`,
  );
}
