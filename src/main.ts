/** Composition root: config → upstream client, engine → HTTP server. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, Random } from './core/clock.js';
import { EventBus } from './core/events.js';
import type { ResolvedConfig } from './config/types.js';
import { Engine } from './engine/engine.js';
import { healthFromConfig } from './engine/health-from-config.js';
import { HealthMonitor } from './engine/health-monitor.js';
import { RetryBudget } from './resilience/retry-budget.js';
import { systemClock, systemRandom } from './resilience/system-clock.js';
import { createGatewayServer } from './server/app.js';
import { Drain, type DrainSummary } from './server/drain.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { jsonLinesRequestLogger, logRequests, type RequestLogger } from './telemetry/request-log.js';
import { UpstreamClient } from './upstream/client.js';
import { registerStoreMetrics, startRequestStore, type StoreRecorder } from './store/index.js';

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 — the OpenAI base URL is `${url}/v1`. */
  url: string;
  port: number;
  server: Server;
  config: ResolvedConfig;
  engine: Engine;
  /** Prometheus metrics (GET /metrics), when `metrics.enabled`. */
  metrics: GatewayMetrics | undefined;
  /** What happened, as typed events (src/core/events.ts): subscribe to watch the gateway work. */
  events: EventBus;
  /** Active health checks (providers with `healthCheck`). */
  monitor: HealthMonitor;
  /** The request store's recorder (and, once open, the store), when `store.enabled`. */
  store: StoreRecorder | undefined;
  /** Requests being served now. */
  readonly inFlight: number;
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
}

export async function startGateway(config: ResolvedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const events = new EventBus();
  const client = new UpstreamClient({ ...config.upstream, clock, events });
  const random = options.random ?? systemRandom;
  const budget = new RetryBudget({ clock, ...config.retryBudget });
  const health = healthFromConfig(config, clock, random, events);
  const engine = new Engine({ client, clock, random, budget, health, events });
  const monitor = new HealthMonitor({ client, clock, health, events });
  const metrics = config.metrics.enabled
    ? new GatewayMetrics({ config, events, upstreamUsage: () => client.usage() })
    : undefined;
  monitor.start(config);
  const logger = options.logger ?? (config.server.requestLog ? jsonLinesRequestLogger() : undefined);
  if (logger) logRequests(events, logger);
  // The request store: a subscriber that writes off the request path (src/store/).
  const store = config.store.enabled ? startRequestStore({ config, events, clock, random }) : undefined;
  if (store && metrics) registerStoreMetrics(metrics.registry, store);
  const drain = new Drain(clock);
  const server = createGatewayServer({
    config,
    engine,
    drain,
    events,
    ...(metrics ? { metrics } : {}),
    ...(store ? { requestStore: store } : {}),
    ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
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
    await store?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    server,
    config,
    engine,
    metrics,
    events,
    monitor,
    store,
    get inFlight() {
      return drain.size;
    },
    async drain(options = {}) {
      const summary = await drain.run(server, options.drainMs ?? config.server.drainMs);
      monitor.stop();
      await client.close();
      await store?.close();
      return summary;
    },
    async close() {
      monitor.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await client.close();
      await store?.close();
    },
  };
}
