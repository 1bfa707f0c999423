/**
 * Deterministic generated content: reply words (one word = one token), a simple input token
 * estimate, fragments of streamed JSON. JSON built from a schema is in instance.ts.
 */

const WORDS = [
  'switchyard',
  'routes',
  'every',
  'request',
  'to',
  'a',
  'healthy',
  'provider',
  'and',
  'streams',
  'tokens',
  'back',
  'without',
  'losing',
  'the',
  'thread',
  'while',
  'simulated',
  'upstreams',
  'fail',
  'on',
  'schedule',
  'so',
  'tests',
  'can',
  'watch',
  'failover',
  'happen',
  'in',
  'real',
  'time',
];

/** `count` words; `offset` shifts the start so that parallel choices differ. */
export function replyWords(count: number, offset = 0, fixedText: string | null = null): string[] {
  if (fixedText !== null)
    return fixedText
      .split(' ')
      .filter((w) => w !== '')
      .slice(0, count);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[(i + offset * 7) % WORDS.length] as string);
  return words;
}

/** Words in a text: the simulator's token count (1 word = 1 token). */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Token estimate for structured input (tool schemas, arguments): one token per 4 characters. */
export function estimateJsonTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? null).length / 4);
}

/** Splits a text into fragments of `size` characters (streamed tool-call arguments). */
export function fragments(text: string, size = 8): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

/** Reply pieces, one per token: the first word bare, the others with a leading space. */
export function replyPieces(text: string): string[] {
  return text === '' ? [] : text.split(' ').map((word, i) => (i === 0 ? word : ` ${word}`));
}
