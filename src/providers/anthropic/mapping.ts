/**
 * Small mappings shared by the request, response and stream translators.
 */
import { createHash } from 'node:crypto';
import type { FinishReason, Usage } from '../../core/chat.js';
import type { WireUsage } from './wire.js';

/**
 * The tool that carries `response_format: json_object` (Anthropic has no schema-less JSON mode: its
 * structured outputs need a schema). Responses turn this tool's input back into message text. The
 * request translator refuses client tools with this name, so the response side may rely on it.
 */
export const JSON_TOOL = 'switchyard_json_response';

/** Tool-use ids must match this pattern (API 400: "tool_use.id: String should match pattern"). */
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * A client's tool-call id as Anthropic accepts it. OpenAI ids (`call_abc…`) and Anthropic ids
 * (`toolu_…`) pass unchanged, so a conversation moves between providers with its ids intact. Other
 * ids (e.g. `functions.get_weather:0` from some OpenAI-compatible servers) become the id with every
 * other character replaced by `_` plus a hash of the original: the same input always gives the same
 * output (so a tool_use and its tool_result still pair up) and two different ids never collide.
 */
export function anthropicToolId(id: string): string {
  if (TOOL_ID.test(id)) return id;
  const digest = createHash('sha256').update(id).digest('hex').slice(0, 12);
  const safe = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return safe ? `${safe}_${digest}` : `id_${digest}`;
}

/**
 * stop_reason → finish_reason (platform.claude.com/docs/en/build-with-claude/handling-stop-reasons).
 * - `pause_turn` (a server-tool loop hit its iteration limit; "send the assistant content back to
 *   continue") and `model_context_window_exceeded` ("treat the response as truncated") both mean the
 *   answer is unfinished: `length` is the only OpenAI reason that says so.
 * - `refusal` → `content_filter` (reference §3 row 28: a policy outcome, not an outage).
 * - Unknown or missing reasons → `stop`.
 */
export function finishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'pause_turn':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

const count = (n: number | null | undefined): number => (typeof n === 'number' && n >= 0 ? n : 0);

/**
 * Anthropic reports uncached, cache-read and cache-write input tokens separately; OpenAI's
 * prompt_tokens is all of them, with the cache reads repeated in `cached_tokens`.
 */
export function openAIUsage(usage: WireUsage): Usage {
  const cacheRead = count(usage.cache_read_input_tokens);
  const prompt = count(usage.input_tokens) + cacheRead + count(usage.cache_creation_input_tokens);
  const completion = count(usage.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
}
