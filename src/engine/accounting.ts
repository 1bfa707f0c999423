/**
 * What each attempt cost, abandoned and lost attempts included: failover is not free, and users should
 * see what it costs. Exact when the upstream reported usage; otherwise estimated (prompt ≈ 4 characters a
 * token, completion = output parts received), and marked so.
 */
import type { Usage } from '../core/chat.js';
import type { Price } from '../config/types.js';
import type { AttemptResult } from './attempt.js';

export interface AttemptTokens {
  prompt: number;
  completion: number;
  cached?: number;
  estimated: boolean;
}

/** Failures after which the upstream had accepted the request and may have billed for it. */
const BILLED_FAILURES = new Set([
  'first_token_timeout',
  'stall_timeout',
  'attempt_timeout',
  'aborted',
  'lost_race',
  'ejected',
  'stream_cut',
  'malformed_chunk',
  'upstream_stream_error',
]);

export function attemptTokens(
  result: AttemptResult<unknown>,
  promptEstimate: () => number,
): AttemptTokens | undefined {
  if (result.usage) return fromUsage(result.usage);
  const billed = result.ok || result.outputParts > 0 || BILLED_FAILURES.has(result.failure.reason);
  return billed ? { prompt: promptEstimate(), completion: result.outputParts, estimated: true } : undefined;
}

function fromUsage(usage: Usage): AttemptTokens {
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const prompt = usage.prompt_tokens;
  const completion = usage.completion_tokens;
  // Two literals, not a conditional spread (V8's slow clone path, once per attempt); fields in one order.
  return cached ? { prompt, completion, cached, estimated: false } : { prompt, completion, estimated: false };
}

/** USD for the tokens at the target's price (per million tokens); undefined without a price. */
export function costUsd(tokens: AttemptTokens, price: Price | undefined): number | undefined {
  if (!price) return undefined;
  const cached = tokens.cached ?? 0;
  const cachedPrice = price.cachedInput ?? price.input;
  return (
    ((tokens.prompt - cached) * price.input + cached * cachedPrice + tokens.completion * price.output) / 1e6
  );
}

/** A rough token count for a request body: about 4 characters a token. */
export function estimateTokens(body: unknown): number {
  return Math.ceil(JSON.stringify(body).length / 4);
}
