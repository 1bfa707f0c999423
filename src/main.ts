/** Composition root: config → upstream client, engine → HTTP server. */
import type { Server } from 'node:http';
import type { Alerting } from './alerts/index.js';
import type { DestinationStream } from 'pino';
import type { AddressInfo } from 'node:net';
import type { Clock, Random } from './core/clock.js';
import { EventBus } from './core/events.js';
import { secretScrubberFor } from './config/secrets.js';
import type { ResolvedConfig } from './config/types.js';
import { Engine } from './engine/engine.js';
import { responseCacheFromConfig } from './cache/from-config.js';
import { SharedCacheStore } from './cache/shared-store.js';
import { Router } from './routing/router.js';
import { healthFromConfig } from './engine/health-from-config.js';
import { HealthMonitor } from './engine/health-monitor.js';
import { version } from './lifecycle.js';
import { RetryBudget } from './resilience/retry-budget.js';
import { systemClock, systemRandom } from './resilience/system-clock.js';
import type { WallClock } from './resilience/wall-clock.js';
import { createGatewayServer } from './server/app.js';
import { loadProtocols } from './providers/registry.js';
import { startKeyService, type KeyService } from './keys/service.js';
import type { KeyStore } from './keys/types.js';
import type { WindowCounters } from './state/counters.js';
import { Drain, type DrainSummary } from './server/drain.js';
import type { GatewayMetrics } from './telemetry/metrics.js';
import { createLogger, type Logger } from './telemetry/logger.js';
import { logOperations } from './telemetry/operations-log.js';
import { logRequests, pinoRequestLogger, type RequestLogger } from './telemetry/request-log.js';
import type { Env } from './telemetry/tracing-config.js';
import { startTracing, type Tracing } from './telemetry/tracing.js';
import { LiveStats } from './telemetry/live-stats.js';
import { UpstreamClient } from './upstream/client.js';
import { startRequestStore, type StoreRecorder } from './store/index.js';
import { startSharedState, type SharedState } from './state/index.js';

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 — the OpenAI base URL is `${url}/v1`. */
  url: string;
  port: number;
  server: Server;
  config: ResolvedConfig;
  engine: Engine;
  /** Prometheus metrics (GET /metrics), when `metrics.enabled`. */
  metrics: GatewayMetrics | undefined;
  /** What the status page shows (GET /status), when `status.enabled`. */
  liveStats: LiveStats | undefined;
  /** What happened, as typed events (src/core/events.ts): subscribe to watch the gateway work. */
  events: EventBus;
  /** Active health checks (providers with `healthCheck`). */
  monitor: HealthMonitor;
  /** SLO and event alerts, when `alerts.sinks` are configured. */
  alerts: Alerting | undefined;
  /** The request store's recorder (and, once open, the store), when `store.enabled`. */
  store: StoreRecorder | undefined;
  /** Shared state across instances (memory, or Redis: docs/deployment.md); `counters` for limits. */
  state: SharedState;
  /** Keys and limits (docs/keys.md). */
  keys: KeyService;
  /** Requests being served now. */
  readonly inFlight: number;
  /** The operational log (src/telemetry/logger.ts). */
  log: Logger;
  /** OpenTelemetry tracing, when the OTEL_* variables turn it on (docs/observability.md#tracing). */
  tracing: Tracing | undefined;
  /**
   * Graceful shutdown (what SIGTERM does): stop accepting, `/readyz` 503, let requests in flight finish
   * for up to `drainMs` (default `server.drainMs`), end the rest with `server_shutting_down`, then
   * close everything. Calling it again joins the same drain.
   */
  drain(options?: { drainMs?: number }): Promise<DrainSummary>;
  /** Stops at once: open connections are closed mid-response. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  clock?: Clock;
  random?: Random;
  onInternalError?: (error: unknown) => void;
  /** Overrides `server.requestLog` (tests collect records this way). */
  logger?: RequestLogger;
  /** The operational log; by default built from `log` (level, format), JSON lines on stdout. */
  log?: Logger;
  /** Where the default operational log writes (stdout by default; tests capture it). */
  logDestination?: DestinationStream;
  /** Where the OTEL_* variables are read (tracing); process.env by default. */
  env?: Env;
  /**
   * Keys and limits (docs/keys.md): the key store (default: opened from `store`), the counters limits
   * count against (default: in memory; a shared backend plugs in here), the wall clock they read.
   */
  keys?: { store?: KeyStore; counters?: WindowCounters; wallNow?: () => number };
}

export async function startGateway(config: ResolvedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  /** Wall-clock time (UTC days, alert times): the injected clock's when it has one. */
  const wallNow = 'wallNow' in clock ? () => (clock as WallClock).wallNow() : () => systemClock.wallNow();
  const log =
    options.log ??
    createLogger({
      ...config.log,
      scrubber: secretScrubberFor(config),
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    });
  const events = new EventBus((event, err) => log.error({ err, event }, 'an event listener failed'));
  // First: loading the SDK is the one step here that waits, and nothing is running yet if it fails.
  const tracing = await startTracing({
    events,
    config,
    log,
    version: version(),
    ...(options.env ? { env: options.env } : {}),
  });
  // The wire protocols the configured providers speak (Anthropic's and Gemini's load only if used).
  await loadProtocols([...config.providers.values()].map((p) => p.protocol));
  const client = new UpstreamClient({ ...config.upstream, clock, events });
  const random = options.random ?? systemRandom;
  const budget = new RetryBudget({ clock, ...config.retryBudget });
  const health = healthFromConfig(config, clock, random, events);
  // Shared state across instances (src/state/): memory by default; Redis shares breaker and cooldown
  // deadlines (local-first: reads stay in process) and offers shared counters. Never waits for Redis.
  const state = await startSharedState({
    config,
    health,
    events,
    log,
    clock: {
      now: () => clock.now(),
      wallNow,
    },
    budgetClock: clock,
  });
  // Routing policies, tier floors, regions, cost caps, overrides (docs/routing.md).
  const router = new Router({
    clock,
    wallNow,
    random,
    events,
    routes: config.routes.values(),
    keys: config.keys,
  });
  const engine = new Engine({ client, clock, random, budget, health, events, router });
  // With Redis: drained regions, provider key cooldowns and cost-cap spend shared too (docs/deployment.md).
  state.attach({ router, keys: engine.keys });
  // With Redis: retry budgets (keyed by target) and hedge caps (by route) count the whole fleet's
  // retries, synced every state.budgetSyncMs off the request path (docs/deployment.md).
  const targetIds = [...new Set([...config.routes.values()].flatMap((r) => r.targets.map((t) => t.id)))];
  const hedging = [...config.routes.values()].filter((r) => r.hedge);
  state.shareBudgets(() => [
    { name: 'retry', budget, keys: targetIds },
    ...hedging.map((r) => ({ name: 'hedge', budget: engine.hedgeCap(r), keys: [r.name] })),
  ]);
  const monitor = new HealthMonitor({ client, clock, health, events });
  // prom-client (~12 MB of RSS) is imported only when metrics are on (docs/PERFORMANCE.md).
  const metrics = config.metrics.enabled
    ? new (await import('./telemetry/metrics.js')).GatewayMetrics({
        config,
        events,
        upstreamUsage: () => client.usage(),
      })
    : undefined;
  const liveStats = config.status.enabled
    ? new LiveStats({ config, events, clock: 'wallNow' in clock ? (clock as WallClock) : systemClock })
    : undefined;
  monitor.start(config);
  const logger = options.logger ?? (config.server.requestLog ? pinoRequestLogger(log) : undefined);
  if (logger) logRequests(events, logger);
  logOperations(events, log);
  // The request store: a subscriber that writes off the request path (src/store/).
  const store = config.store.enabled ? startRequestStore({ config, events, clock, random }) : undefined;
  if (store && metrics) (await import('./store/metrics.js')).registerStoreMetrics(metrics.registry, store);
  const drain = new Drain(clock);
  // The response cache (docs/caching.md): built only when a route caches; shared through Redis with it.
  const cache = responseCacheFromConfig({ config, clock, wallNow, redis: state.redis });
  if (metrics && cache?.shared instanceof SharedCacheStore)
    (await import('./cache/metrics.js')).registerSharedCacheMetrics(metrics.registry, cache.shared);
  // Keys and limits (docs/keys.md): the key limiter; virtual keys and their store with an admin key.
  const keys = await startKeyService({
    config,
    wallNow: options.keys?.wallNow ?? wallNow,
    ...(options.keys?.store ? { store: options.keys.store } : {}),
    // Limits count through the shared state's counters: in memory, or in Redis across instances.
    counters: options.keys?.counters ?? state.counters,
    log: (message, err) => log.warn({ err }, message),
  });
  if (metrics) (await import('./keys/metrics.js')).registerKeyMetrics(metrics.registry, keys);
  // SLOs and alerts: their code is loaded only when sinks are configured (without, nothing starts).
  const alerting = config.alerts.sinks.length ? await import('./alerts/index.js') : undefined;
  const server = createGatewayServer({
    keys,
    config,
    engine,
    drain,
    events,
    ...(metrics ? { metrics } : {}),
    ...(cache ? { cache } : {}),
    onInternalError: options.onInternalError ?? ((err) => log.error({ err }, 'internal error')),
    ...(liveStats ? { liveStats } : {}),
    ...(store ? { requestStore: store } : {}),
    sharedState: state,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.port, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // e.g. EADDRINUSE: nothing may be left running (the CLI says so in one line and exits).
    monitor.stop();
    await client.close();
    await tracing?.shutdown();
    await store?.close();
    await keys.close();
    await state.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  // Alerts: subscribers of the events; their timer is unref'd and their deliveries never block a request.
  const alerts = alerting?.startAlerting({
    config,
    events,
    clock,
    wallNow,
    random,
    gatewayUrl: url,
  });
  return {
    url,
    port,
    server,
    config,
    engine,
    metrics,
    liveStats,
    events,
    monitor,
    alerts,
    store,
    state,
    keys,
    get inFlight() {
      return drain.size;
    },
    log,
    tracing,
    async drain(options = {}) {
      const summary = await drain.run(server, options.drainMs ?? config.server.drainMs);
      await alerts?.stop();
      monitor.stop();
      await client.close();
      await tracing?.shutdown();
      await store?.close();
      await keys.close();
      await state.close();
      return summary;
    },
    async close() {
      await alerts?.stop(1_000);
      monitor.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
      await tracing?.shutdown();
      await store?.close();
      await keys.close();
      await state.close();
    },
  };
}
