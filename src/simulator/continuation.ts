/**
 * Deterministic answers that can be continued. The simulator's answer to a prompt does not depend on
 * the words of the prompt, only on the model's behaviour, so "the answer this conversation would get"
 * is known: a model asked to continue a partial answer that is the start of it goes on with exactly
 * the rest, whatever the cut. How a request asks depends on the provider (written from their API
 * references, not shared with the gateway): Anthropic continues a trailing assistant message
 * (prefill); Mistral and DeepSeek continue the last assistant message when it has `prefix: true`;
 * any model continues when the last user turn asks it to continue the assistant turn before it.
 */

/** The rest of `full` after `prefix`, in pieces of one token (leading whitespace + a word); null if `prefix` is not its start. */
export function continuedPieces(full: string, prefix: string): string[] | null {
  if (prefix === '' || !full.startsWith(prefix)) return null;
  return full.slice(prefix.length).match(/\s*\S+|\s+$/g) ?? [];
}

/** Whether a user turn asks the model to continue its previous answer. */
export function asksToContinue(text: string): boolean {
  return /\bcontinue\b/i.test(text);
}

/** The text of a message content: a string, or the `text` of its parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: unknown) => {
      const text = (p as { text?: unknown } | null)?.text;
      return typeof text === 'string' ? text : '';
    })
    .join('');
}
