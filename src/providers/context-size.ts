/**
 * The size a context-length error states ("prompt is too long: 208656 tokens > 200000 maximum"), so
 * that the engine can skip targets whose context window is smaller (docs/failover.md). Each provider
 * says it its own way: the patterns are in its error table; the numbers its groups capture are added up
 * (Anthropic's "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000").
 */
export function statedPromptTokens(message: string, pattern: RegExp): { promptTokens?: number } {
  const match = pattern.exec(message);
  if (!match) return {};
  const tokens = match.slice(1).reduce((sum, group) => sum + (group ? Number(group) : 0), 0);
  return Number.isSafeInteger(tokens) && tokens > 0 ? { promptTokens: tokens } : {};
}
