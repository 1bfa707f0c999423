/**
 * Prometheus metrics (prom-client, the gateway's own Registry), a subscriber of the gateway's events.
 * Names follow the OpenTelemetry GenAI semantic conventions where they exist (the gateway is a GenAI
 * server to its clients and a GenAI client of its providers), `switchyard_*` for the rest. Every label
 * value is bounded (metric-labels.ts); the instruments are declared in metric-instruments.ts.
 */
import { Gauge, Registry } from 'prom-client';
import type { EventBus, GatewayEvents } from '../core/events.js';
import type { ResolvedConfig } from '../config/types.js';
import { gatewayInstruments, type GatewayInstruments } from './metric-instruments.js';
import { MetricLabels } from './metric-labels.js';

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
   * counting costs some 3 µs per request (docs/PERFORMANCE.md), which must not delay a response.
   */
  private pending: (() => void)[] = [];
  private flushScheduled = false;

  private readonly m: GatewayInstruments;

  constructor(private readonly deps: MetricsDeps) {
    this.m = gatewayInstruments(this.registry);
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
    on('request.started', (e) => this.m.inFlight.inc({ route: l.route(e.route) }));
    on('request.ended', (e) => this.later(() => this.requestEnded(e)));
    on('attempt.ended', (e) => this.later(() => this.attemptEnded(e)));
    on('retry.scheduled', (e) => this.m.retries.inc({ route: l.route(e.route), target: l.target(e.target) }));
    on('retry.denied', (e) =>
      this.m.retriesDenied.inc({ route: l.route(e.route), target: l.target(e.target), reason: e.reason }),
    );
    on('failover', (e) =>
      this.m.failovers.inc({
        route: l.route(e.route),
        from: l.target(e.from),
        to: l.target(e.to),
        reason: e.reason,
      }),
    );
    on('hedge.fired', (e) => this.m.hedges.inc({ route: l.route(e.route), result: 'fired' }));
    on('hedge.settled', (e) => this.m.hedges.inc({ route: l.route(e.route), result: e.result }));
    on('target.skipped', (e) =>
      this.m.skips.inc({ route: l.route(e.route ?? ''), target: l.target(e.target), reason: e.reason }),
    );
    on('breaker.transition', (e) => {
      const target = l.target(e.target);
      this.m.transitions.inc({ target, from: e.from, to: e.to, reason: e.reason ?? 'none' });
      this.setBreakerState(target, e.to);
    });
    on('cooldown.set', (e) =>
      e.key === undefined
        ? this.m.cooldowns.inc({ target: l.target(e.target), reason: e.reason })
        : this.m.keyCooldowns.inc({ target: l.target(e.target), key: l.poolKey(e.key), reason: e.reason }),
    );
    on('budget.exhausted', (e) => this.m.budgetExhausted.inc({ target: l.target(e.target), kind: e.kind }));
    on('gateway.queued', (e) => {
      const origin = l.origin(e.origin);
      if (e.saturated) this.m.saturated.inc({ origin });
      else this.m.queued.observe({ origin }, e.ms / 1000);
    });
    on('stream.continued', (e) =>
      this.m.continuations.inc({
        route: l.route(e.route),
        from: l.target(e.from),
        to: l.target(e.to),
        method: l.word(e.method),
      }),
    );
    on('race.settled', (e) =>
      this.m.races.inc({ route: l.route(e.route), winner: e.winner === null ? 'none' : l.target(e.winner) }),
    );
    on('consensus.decided', (e) =>
      this.m.consensus.inc({ route: l.route(e.route), decision: l.word(e.decision) }),
    );
    on('request.refused', (e) =>
      this.m.refused.inc({ path: e.path, status: String(e.status), outcome: l.word(e.outcome) }),
    );
    on('health.probe', (e) =>
      this.m.probes.inc({ target: l.target(e.target), result: e.ok ? 'ok' : 'failed' }),
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
    this.m.inFlight.dec({ route });
    this.m.requests.inc({ route, key, status: String(e.status), outcome: l.word(e.outcome) });
    if (e.cache !== undefined) this.m.cache.inc({ route, result: e.cache });
    this.m.requestDuration.observe({ route, key, outcome: ok ? 'ok' : 'error' }, e.totalMs / 1000);
    const response = e.model !== undefined ? l.model(e.model) : 'none';
    // Label objects built field by field: no spreads per request (docs/PERFORMANCE.md).
    const server: Record<string, string> = {
      gen_ai_operation_name: e.endpoint,
      gen_ai_request_model: route,
      gen_ai_response_model: response,
    };
    // Only on errors, as the conventions say (absent, not empty, on success).
    if (!ok) server.error_type = e.outcome;
    this.m.serverDuration.observe(server, e.totalMs / 1000);
    if (e.ttftMs !== undefined) {
      this.m.requestTtft.observe({ route, key }, e.ttftMs / 1000);
      const ttftLabels = {
        gen_ai_operation_name: e.endpoint,
        gen_ai_request_model: route,
        gen_ai_response_model: response,
      };
      this.m.serverTtft.observe(ttftLabels, e.ttftMs / 1000);
    }
    if (e.tokens) {
      if (countable(e.tokens.prompt)) this.m.tokens.inc({ route, key, type: 'input' }, e.tokens.prompt);
      if (countable(e.tokens.completion))
        this.m.tokens.inc({ route, key, type: 'output' }, e.tokens.completion);
    }
    if (countable(e.costUsd)) this.m.cost.inc({ route, key }, e.costUsd);
  }

  private attemptEnded(e: GatewayEvents['attempt.ended']): void {
    const l = this.labels;
    const route = l.route(e.route);
    const target = l.target(e.target);
    this.m.attempts.inc({ route, target, outcome: e.outcome, reason: e.reason });
    const model = l.model(e.model);
    const provider = l.provider(e.provider);
    const op = e.operation;
    // Label objects built field by field: no spreads per attempt (docs/PERFORMANCE.md).
    const client: Record<string, string> = {
      gen_ai_operation_name: op,
      gen_ai_provider_name: provider,
      gen_ai_request_model: model,
      gen_ai_response_model: model,
    };
    if (e.outcome !== 'ok') client.error_type = e.reason;
    this.m.clientDuration.observe(client, e.durationMs / 1000);
    if (e.stream && e.ttftMs !== undefined) {
      const base = { gen_ai_operation_name: op, gen_ai_provider_name: provider, gen_ai_request_model: model };
      this.m.clientFirstChunk.observe(base, e.ttftMs / 1000);
    }
    if (e.tokens) {
      const usage = (type: string, n: number): void =>
        this.m.tokenUsage.observe(
          {
            gen_ai_operation_name: op,
            gen_ai_provider_name: provider,
            gen_ai_request_model: model,
            gen_ai_token_type: type,
          },
          n,
        );
      if (countable(e.tokens.prompt)) usage('input', e.tokens.prompt);
      if (countable(e.tokens.completion)) usage('output', e.tokens.completion);
    }
  }

  private setBreakerState(target: string, state: string): void {
    for (const s of BREAKER_STATES) this.m.breakerState.set({ target, state: s }, s === state ? 1 : 0);
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
}
