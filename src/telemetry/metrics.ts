/**
 * Prometheus metrics (prom-client, the gateway's own Registry), a subscriber of the gateway's events.
 * Names follow the OpenTelemetry GenAI semantic conventions where they exist (the gateway is a GenAI
 * server to its clients and a GenAI client of its providers), `switchyard_*` for the rest. Every label
 * value is bounded (metric-labels.ts). The list with labels is in docs/observability.md.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus, GatewayEvents } from '../core/events.js';
import type { ResolvedConfig } from '../config/types.js';
import { MetricLabels } from './metric-labels.js';

/** Seconds: LLM calls take from tens of milliseconds (cached, embeddings) to a minute (long answers). */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Tokens, as the GenAI conventions advise (powers of 4), up to 4 M. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];
const QUEUE_BUCKETS = [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10];
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Token counts come from the upstream's usage, which may be absent (embeddings have no output tokens)
 * or hostile: only finite, non-negative numbers are counted.
 */
function countable(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

export interface MetricsDeps {
  config: ResolvedConfig;
  events: EventBus;
  /** The upstream client's connections in use and queued, read at scrape time. */
  upstreamUsage?: () => { origin: string; active: number; queued: number }[];
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly labels: MetricLabels;
  private readonly unsubscribe: (() => void)[] = [];
  /**
   * Request and attempt events wait here and are counted after the current I/O turn (setImmediate):
   * prom-client's label handling costs some 20 µs per request, which must not delay a response.
   */
  private pending: (() => void)[] = [];
  private flushScheduled = false;

  private readonly serverDuration = this.histogram(
    'gen_ai_server_request_duration_seconds',
    'Time from request to its last byte, per request (GenAI server request duration).',
    ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model', 'error_type'],
  );
  private readonly serverTtft = this.histogram(
    'gen_ai_server_time_to_first_token_seconds',
    'Streams: time from request to the first token sent to the client.',
    ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_response_model'],
  );
  private readonly clientDuration = this.histogram(
    'gen_ai_client_operation_duration_seconds',
    'Duration of each upstream attempt (the gateway as a GenAI client of its providers).',
    [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_response_model',
      'error_type',
    ],
  );
  private readonly clientFirstChunk = this.histogram(
    'gen_ai_client_operation_time_to_first_chunk_seconds',
    'Streaming attempts: time from dispatch to the first chunk from the provider.',
    ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
  );
  private readonly tokenUsage = new Histogram({
    name: 'gen_ai_client_token_usage',
    help: 'Tokens per upstream attempt, by type (input, output); estimated when the provider reported none.',
    labelNames: [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_token_type',
    ],
    buckets: TOKEN_BUCKETS,
    registers: [this.registry],
  });
  private readonly requests = this.counter(
    'switchyard_requests_total',
    'Model requests by route, key, status and outcome (`ok` or the error code the client saw).',
    ['route', 'key', 'status', 'outcome'],
  );
  private readonly requestDuration = this.histogram(
    'switchyard_request_duration_seconds',
    'Total time per model request, by route, key and whether it succeeded.',
    ['route', 'key', 'outcome'],
  );
  private readonly requestTtft = this.histogram(
    'switchyard_request_ttft_seconds',
    'Streams: time to the first token sent to the client, by route and key.',
    ['route', 'key'],
  );
  private readonly inFlight = this.gauge('switchyard_requests_in_flight', 'Model requests being served.', [
    'route',
  ]);
  private readonly tokens = this.counter(
    'switchyard_tokens_total',
    'Tokens consumed by requests (all attempts), by route, key and type.',
    ['route', 'key', 'type'],
  );
  private readonly cost = this.counter(
    'switchyard_cost_usd_total',
    'USD at the configured prices, all attempts of a request included, by route and key.',
    ['route', 'key'],
  );
  private readonly attempts = this.counter(
    'switchyard_attempts_total',
    'Upstream attempts by route, target and outcome class (ok, retry, failover, context, fatal, cancelled).',
    ['route', 'target', 'outcome', 'reason'],
  );
  private readonly retries = this.counter(
    'switchyard_retries_total',
    'Retries of the same target scheduled.',
    ['route', 'target'],
  );
  private readonly retriesDenied = this.counter(
    'switchyard_retries_denied_total',
    'Retries refused (budget, deadline, hint-too-long, max-retries, max-attempts).',
    ['route', 'target', 'reason'],
  );
  private readonly failovers = this.counter('switchyard_failovers_total', 'Moves to the next target.', [
    'route',
    'from',
    'to',
    'reason',
  ]);
  private readonly hedges = this.counter('switchyard_hedges_total', 'Hedges fired, won and lost.', [
    'route',
    'result',
  ]);
  private readonly skips = this.counter('switchyard_target_skips_total', 'Targets not tried, and why.', [
    'route',
    'target',
    'reason',
  ]);
  private readonly breakerState = this.gauge(
    'switchyard_breaker_state',
    'Each target breaker: 1 for its current state (closed, open, half-open), 0 for the others.',
    ['target', 'state'],
  );
  private readonly transitions = this.counter(
    'switchyard_breaker_transitions_total',
    'Breaker state changes; `reason` says why it opened.',
    ['target', 'from', 'to', 'reason'],
  );
  private readonly cooldowns = this.counter(
    'switchyard_cooldowns_total',
    'Targets kept out for a stated time.',
    ['target', 'reason'],
  );
  private readonly budgetExhausted = this.counter(
    'switchyard_budget_exhausted_total',
    'Retries and hedges refused by the retry budget.',
    ['target', 'kind'],
  );
  private readonly queued = this.histogram(
    'switchyard_gateway_queue_seconds',
    "Time requests waited in the gateway's own connection queue (only those that had to wait).",
    ['origin'],
    QUEUE_BUCKETS,
  );
  private readonly saturated = this.counter(
    'switchyard_gateway_saturated_total',
    "Attempts that gave up waiting in the gateway's own queue (gateway_saturated).",
    ['origin'],
  );
  private readonly probes = this.counter('switchyard_health_probes_total', 'Active health probes.', [
    'target',
    'result',
  ]);

  constructor(private readonly deps: MetricsDeps) {
    this.labels = new MetricLabels(deps.config);
    if (deps.config.breakers.enabled) {
      for (const target of this.labels.allTargets()) this.setBreakerState(target, 'closed');
    }
    if (deps.upstreamUsage) this.watchPools(deps.upstreamUsage);
    this.subscribe();
  }

  /** The text exposition, for GET /metrics. */
  async text(): Promise<string> {
    this.flush();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  private subscribe(): void {
    const on = <K extends keyof GatewayEvents>(name: K, fn: (e: GatewayEvents[K]) => void): void => {
      this.unsubscribe.push(this.deps.events.subscribe(name, fn));
    };
    const l = this.labels;
    on('request.started', (e) => this.inFlight.inc({ route: l.route(e.route) }));
    on('request.ended', (e) => this.later(() => this.requestEnded(e)));
    on('attempt.ended', (e) => this.later(() => this.attemptEnded(e)));
    on('retry.scheduled', (e) => this.retries.inc({ route: l.route(e.route), target: l.target(e.target) }));
    on('retry.denied', (e) =>
      this.retriesDenied.inc({ route: l.route(e.route), target: l.target(e.target), reason: e.reason }),
    );
    on('failover', (e) =>
      this.failovers.inc({
        route: l.route(e.route),
        from: l.target(e.from),
        to: l.target(e.to),
        reason: e.reason,
      }),
    );
    on('hedge.fired', (e) => this.hedges.inc({ route: l.route(e.route), result: 'fired' }));
    on('hedge.settled', (e) => this.hedges.inc({ route: l.route(e.route), result: e.result }));
    on('target.skipped', (e) =>
      this.skips.inc({ route: l.route(e.route ?? ''), target: l.target(e.target), reason: e.reason }),
    );
    on('breaker.transition', (e) => {
      const target = l.target(e.target);
      this.transitions.inc({ target, from: e.from, to: e.to, reason: e.reason ?? 'none' });
      this.setBreakerState(target, e.to);
    });
    on('cooldown.set', (e) => this.cooldowns.inc({ target: l.target(e.target), reason: e.reason }));
    on('budget.exhausted', (e) => this.budgetExhausted.inc({ target: l.target(e.target), kind: e.kind }));
    on('gateway.queued', (e) => {
      const origin = l.origin(e.origin);
      if (e.saturated) this.saturated.inc({ origin });
      else this.queued.observe({ origin }, e.ms / 1000);
    });
    on('health.probe', (e) =>
      this.probes.inc({ target: l.target(e.target), result: e.ok ? 'ok' : 'failed' }),
    );
  }

  private later(work: () => void): void {
    this.pending.push(work);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const work = this.pending;
    this.pending = [];
    for (const w of work) {
      try {
        w();
      } catch (error) {
        // Outside the bus's own guard now: a bug here must not take the process down.
        console.error('switchyard: counting a metric failed', error);
      }
    }
  }

  private requestEnded(e: GatewayEvents['request.ended']): void {
    const l = this.labels;
    const route = l.route(e.route);
    const key = l.key(e.key);
    const ok = e.status < 400;
    this.inFlight.dec({ route });
    this.requests.inc({ route, key, status: String(e.status), outcome: e.outcome });
    this.requestDuration.observe({ route, key, outcome: ok ? 'ok' : 'error' }, e.totalMs / 1000);
    const response = e.model !== undefined ? l.model(e.model) : 'none';
    this.serverDuration.observe(
      {
        gen_ai_operation_name: e.endpoint,
        gen_ai_request_model: route,
        gen_ai_response_model: response,
        // Only on errors, as the conventions say (absent, not empty, on success).
        ...(ok ? {} : { error_type: e.outcome }),
      },
      e.totalMs / 1000,
    );
    if (e.ttftMs !== undefined) {
      this.requestTtft.observe({ route, key }, e.ttftMs / 1000);
      const ttftLabels = { gen_ai_operation_name: e.endpoint, gen_ai_request_model: route };
      this.serverTtft.observe({ ...ttftLabels, gen_ai_response_model: response }, e.ttftMs / 1000);
    }
    if (e.tokens) {
      if (countable(e.tokens.prompt)) this.tokens.inc({ route, key, type: 'input' }, e.tokens.prompt);
      if (countable(e.tokens.completion))
        this.tokens.inc({ route, key, type: 'output' }, e.tokens.completion);
    }
    if (countable(e.costUsd)) this.cost.inc({ route, key }, e.costUsd);
  }

  private attemptEnded(e: GatewayEvents['attempt.ended']): void {
    const l = this.labels;
    const route = l.route(e.route);
    const target = l.target(e.target);
    this.attempts.inc({ route, target, outcome: e.outcome, reason: e.reason });
    const model = l.model(e.model);
    const base = {
      gen_ai_operation_name: e.operation,
      gen_ai_provider_name: l.provider(e.provider),
      gen_ai_request_model: model,
    };
    this.clientDuration.observe(
      { ...base, gen_ai_response_model: model, ...(e.outcome === 'ok' ? {} : { error_type: e.reason }) },
      e.durationMs / 1000,
    );
    if (e.stream && e.ttftMs !== undefined) this.clientFirstChunk.observe(base, e.ttftMs / 1000);
    if (e.tokens) {
      if (countable(e.tokens.prompt))
        this.tokenUsage.observe({ ...base, gen_ai_token_type: 'input' }, e.tokens.prompt);
      if (countable(e.tokens.completion))
        this.tokenUsage.observe({ ...base, gen_ai_token_type: 'output' }, e.tokens.completion);
    }
  }

  private setBreakerState(target: string, state: string): void {
    for (const s of BREAKER_STATES) this.breakerState.set({ target, state: s }, s === state ? 1 : 0);
  }

  private watchPools(usage: NonNullable<MetricsDeps['upstreamUsage']>): void {
    const labels = this.labels;
    const read = (field: 'active' | 'queued') =>
      function (this: Gauge): void {
        this.reset();
        for (const u of usage()) this.set({ origin: labels.origin(u.origin) }, u[field]);
      };
    new Gauge({
      name: 'switchyard_upstream_connections_active',
      help: 'Upstream connections in use, per origin.',
      labelNames: ['origin'],
      registers: [this.registry],
      collect: read('active'),
    });
    new Gauge({
      name: 'switchyard_upstream_queued',
      help: "Attempts waiting in the gateway's own connection queue, per origin.",
      labelNames: ['origin'],
      registers: [this.registry],
      collect: read('queued'),
    });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    buckets = LATENCY_BUCKETS,
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
