/**
 * What every protocol's context-length failure carries: OpenAI's code and param (or the upstream's own,
 * when an OpenAI-protocol API gives them), and the size the error message states ("prompt is too long:
 * 208656 tokens > 200000 maximum"), so that the engine can skip targets whose context window is smaller
 * (docs/failover.md). Each provider says it its own way: the pattern is in its error table; the numbers
 * its groups capture are added up (Anthropic's "input length and `max_tokens` exceed context limit:
 * 188240 + 21333 > 200000").
 */
export function contextLengthFields(
  message: string,
  pattern: RegExp,
  upstream: { code: string | null; param: string | null } = { code: null, param: null },
): { code: string; param: string; promptTokens?: number } {
  const fields = { code: upstream.code ?? 'context_length_exceeded', param: upstream.param ?? 'messages' };
  const match = pattern.exec(message);
  if (!match) return fields;
  const tokens = match.slice(1).reduce((sum, group) => sum + (group ? Number(group) : 0), 0);
  return Number.isSafeInteger(tokens) && tokens > 0 ? { ...fields, promptTokens: tokens } : fields;
}
