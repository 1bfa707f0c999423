/**
 * Every metric the gateway exports, declared once in one list (as Envoy declares its stats), on the
 * gateway's own prom-client Registry. Names and labels: docs/observability.md.
 */
import { Gauge, type Registry } from 'prom-client';
import { KeyedCounter, KeyedGauge } from './keyed-counter.js';
import { KeyedHistogram } from './keyed-histogram.js';

/** Seconds: LLM calls take from tens of milliseconds (cached, embeddings) to a minute (long answers). */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Tokens, as the GenAI conventions advise (powers of 4), up to 4 M. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const QUEUE_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10];

export function gatewayInstruments(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): KeyedCounter<L> =>
    new KeyedCounter(name, help, { labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets = LATENCY_BUCKETS,
  ): KeyedHistogram<L> => new KeyedHistogram(name, help, { labelNames, buckets, registers: [registry] });
  return {
    serverDuration: histogram(
      'gen_ai_server_request_duration_seconds',
      'Time from request to its last byte, per request (GenAI server request duration).',
      ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model', 'error_type'],
    ),
    serverTtft: histogram(
      'gen_ai_server_time_to_first_token_seconds',
      'Streams: time from request to the first token sent to the client.',
      ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model'],
    ),
    clientDuration: histogram(
      'gen_ai_client_operation_duration_seconds',
      'Duration of each upstream attempt (the gateway as a GenAI client of its providers).',
      [
        'gen_ai_operation_name',
        'gen_ai_provider_name',
        'gen_ai_request_model',
        'gen_ai_response_model',
        'error_type',
      ],
    ),
    clientFirstChunk: histogram(
      'gen_ai_client_operation_time_to_first_chunk_seconds',
      'Streaming attempts: time from dispatch to the first chunk from the provider.',
      ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
    ),
    tokenUsage: histogram(
      'gen_ai_client_token_usage',
      'Tokens per upstream attempt, by type (input, output); estimated when the provider reported none.',
      ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_token_type'],
      TOKEN_BUCKETS,
    ),
    requests: counter(
      'switchyard_requests_total',
      'Model requests by route, key, status and outcome (`ok` or the error code the client saw).',
      ['route', 'key', 'status', 'outcome'],
    ),
    refused: counter(
      'switchyard_requests_refused_total',
      'Requests answered with an error before they reached a route (bad key, invalid body, unknown model or path), by path, status and error code.',
      ['path', 'status', 'outcome'],
    ),
    cache: counter(
      'switchyard_cache_requests_total',
      'Requests on routes with a response cache, by route and result (hit, miss, bypass).',
      ['route', 'result'],
    ),
    continuations: counter(
      'switchyard_stream_continuations_total',
      'Streams cut after their first token and continued, by route, the target cut, the target continuing and the method.',
      ['route', 'from', 'to', 'method'],
    ),
    races: counter(
      'switchyard_races_total',
      'Raced requests by route and winner (the target that committed first; none when every racer failed).',
      ['route', 'winner'],
    ),
    consensus: counter(
      'switchyard_consensus_total',
      'Consensus decisions by route and decision (majority, first, primary, no-majority, below-quorum, fallback).',
      ['route', 'decision'],
    ),
    requestDuration: histogram(
      'switchyard_request_duration_seconds',
      'Total time per model request, by route, key and whether it succeeded.',
      ['route', 'key', 'outcome'],
    ),
    requestTtft: histogram(
      'switchyard_request_ttft_seconds',
      'Streams: time to the first token sent to the client, by route and key.',
      ['route', 'key'],
    ),
    // Up and down once per request: counted by the gateway, not by prom-client's Gauge (docs/PERFORMANCE.md).
    inFlight: new KeyedGauge('switchyard_requests_in_flight', 'Model requests being served.', {
      labelNames: ['route'],
      registers: [registry],
    }),
    tokens: counter(
      'switchyard_tokens_total',
      'Tokens consumed by requests (all attempts), by route, key and type.',
      ['route', 'key', 'type'],
    ),
    cost: counter(
      'switchyard_cost_usd_total',
      'USD at the configured prices, all attempts of a request included, by route and key.',
      ['route', 'key'],
    ),
    attempts: counter(
      'switchyard_attempts_total',
      'Upstream attempts by route, target and outcome class (ok, retry, failover, context, fatal, cancelled).',
      ['route', 'target', 'outcome', 'reason'],
    ),
    retries: counter('switchyard_retries_total', 'Retries of the same target scheduled.', [
      'route',
      'target',
    ]),
    retriesDenied: counter(
      'switchyard_retries_denied_total',
      'Retries refused (budget, deadline, hint-too-long, max-retries, max-attempts).',
      ['route', 'target', 'reason'],
    ),
    failovers: counter('switchyard_failovers_total', 'Moves to the next target.', [
      'route',
      'from',
      'to',
      'reason',
    ]),
    hedges: counter('switchyard_hedges_total', 'Hedges fired, won and lost.', ['route', 'result']),
    skips: counter('switchyard_target_skips_total', 'Targets not tried, and why.', [
      'route',
      'target',
      'reason',
    ]),
    breakerState: gauge(
      'switchyard_breaker_state',
      'Each target breaker: 1 for its current state (closed, open, half-open), 0 for the others.',
      ['target', 'state'],
    ),
    transitions: counter(
      'switchyard_breaker_transitions_total',
      'Breaker state changes; `reason` says why it opened.',
      ['target', 'from', 'to', 'reason'],
    ),
    cooldowns: counter('switchyard_cooldowns_total', 'Targets kept out for a stated time.', [
      'target',
      'reason',
    ]),
    keyCooldowns: counter(
      'switchyard_provider_key_cooldowns_total',
      'Keys of a provider key pool kept out for a stated time (the target itself stays in).',
      ['target', 'key', 'reason'],
    ),
    budgetExhausted: counter(
      'switchyard_budget_exhausted_total',
      'Retries and hedges refused by the retry budget.',
      ['target', 'kind'],
    ),
    queued: histogram(
      'switchyard_gateway_queue_seconds',
      "Time requests waited in the gateway's own connection queue (only those that had to wait).",
      ['origin'],
      QUEUE_BUCKETS,
    ),
    saturated: counter(
      'switchyard_gateway_saturated_total',
      "Attempts that gave up waiting in the gateway's own queue (gateway_saturated).",
      ['origin'],
    ),
    probes: counter('switchyard_health_probes_total', 'Active health probes.', ['target', 'result']),
  };
}

export type GatewayInstruments = ReturnType<typeof gatewayInstruments>;
