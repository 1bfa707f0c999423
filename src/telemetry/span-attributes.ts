/**
 * What the spans say, following the OpenTelemetry GenAI conventions (`gen_ai.*`, `server.*`,
 * `error.type`, `http.response.status_code`) and `switchyard.*` for the rest. Only names, codes,
 * numbers and the key's configured name: no prompt, no completion, no upstream text, no secret.
 * Built field by field (no object spreads: they cost microseconds each here).
 */
import type { Attributes } from '@opentelemetry/api';
import type { EventTokens, GatewayEvents } from '../core/events.js';

export function requestStartAttributes(e: GatewayEvents['request.started']): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': e.endpoint,
    'gen_ai.request.model': e.route,
    'switchyard.request_id': e.requestId,
    'switchyard.stream': e.stream,
  };
  if (e.key !== undefined) a['switchyard.key'] = e.key;
  return a;
}

export function requestEndAttributes(e: GatewayEvents['request.ended']): Attributes {
  const a: Attributes = {
    'http.response.status_code': e.status,
    'switchyard.outcome': e.outcome,
    'switchyard.attempts': e.attempts,
  };
  if (e.model !== undefined) a['gen_ai.response.model'] = e.model;
  if (e.target !== undefined) a['switchyard.target'] = e.target;
  if (e.provider !== undefined) a['switchyard.provider'] = e.provider;
  if (e.ttftMs !== undefined) a['switchyard.ttft_ms'] = Math.round(e.ttftMs);
  if (e.costUsd !== undefined) a['switchyard.cost_usd'] = e.costUsd;
  if (e.fallbackReason) a['switchyard.fallback_reason'] = e.fallbackReason;
  if (e.cache) a['switchyard.cache'] = e.cache;
  if (e.status >= 400) a['error.type'] = e.outcome;
  addUsage(a, e.tokens);
  return a;
}

export function attemptAttributes(
  e: GatewayEvents['attempt.ended'],
  server: { address: string; port: number } | undefined,
): Attributes {
  const a: Attributes = {
    'gen_ai.operation.name': e.operation,
    'gen_ai.provider.name': e.provider,
    'gen_ai.request.model': e.model,
    'switchyard.target': e.target,
    'switchyard.outcome': e.outcome,
    'switchyard.stream': e.stream,
  };
  if (e.outcome === 'ok') a['gen_ai.response.model'] = e.model;
  // A cancelled attempt (it lost a race, or the client left) did not fail: its reason says why.
  else if (e.outcome === 'cancelled') a['switchyard.reason'] = e.reason;
  else a['error.type'] = e.reason;
  if (server) {
    a['server.address'] = server.address;
    a['server.port'] = server.port;
  }
  if (e.upstreamStatus !== undefined) a['http.response.status_code'] = e.upstreamStatus;
  if (e.ttftMs !== undefined) a['switchyard.ttft_ms'] = Math.round(e.ttftMs);
  if (e.costUsd !== undefined) a['switchyard.cost_usd'] = e.costUsd;
  addUsage(a, e.tokens);
  return a;
}

function addUsage(a: Attributes, tokens: EventTokens | undefined): void {
  if (!tokens) return;
  if (countable(tokens.prompt)) a['gen_ai.usage.input_tokens'] = tokens.prompt;
  if (countable(tokens.completion)) a['gen_ai.usage.output_tokens'] = tokens.completion;
  if (tokens.estimated) a['switchyard.usage.estimated'] = true;
}

/** Token counts come from the upstream: only finite, non-negative numbers are reported. */
const countable = (n: number | undefined): n is number =>
  typeof n === 'number' && Number.isFinite(n) && n >= 0;
