import type { AlertSettings, SloSettings } from '../alerts/settings.js';
import type { CacheStoreSettings, RouteCacheSettings } from '../cache/schema.js';
import type { ProviderSettings } from '../providers/types.js';
import type { KeyRouting, RouteRouting } from '../routing/schema.js';
import type { KeyLimits, KeysSettings } from '../keys/types.js';
import type {
  BreakerSettings,
  ContinuationSettings,
  HedgeSettings,
  Price,
  RetrySettings,
  Timeouts,
  UpstreamSettings,
  MetricsSettings,
  LogSettings,
  StatusSettings,
  StoreSettings,
} from './schema.js';
import type { SpeculativeRoute } from './speculative.js';
import type { RouteCaptureSettings } from '../store/capture-schema.js';
/** Shared state across instances (src/state/, docs/deployment.md). */
import type { StateSettings } from './schema.js';
export type { StateSettings };

export type {
  BreakerSettings,
  ContinuationSettings,
  HedgeSettings,
  LogSettings,
  MetricsSettings,
  StatusSettings,
  Price,
  RetrySettings,
  StoreSettings,
  Timeouts,
  UpstreamSettings,
};

/** A provider plus an upstream model: what one attempt calls. */
export interface Target {
  /** `provider/model`, unique within a route. */
  id: string;
  provider: ProviderSettings;
  model: string;
  price?: Price;
  /** Input tokens the model takes, when configured (providers.*.contextWindows). */
  contextWindow?: number;
  /** Degradation tier (1 = premium). */
  tier: number;
  /** The provider's region, when configured (regional routing, docs/routing.md). */
  region?: string;
  /** Concurrency limit per target, from the provider. */
  limits?: { maxConcurrent: number; maxQueued: number; queueTimeoutMs: number };
}

/** What a public model name resolves to (speculative modes: race, consensus; docs/speculative.md). */
export interface Route extends SpeculativeRoute {
  name: string;
  targets: Target[];
  timeouts: Timeouts;
  retry: RetrySettings;
  /** Drop request parameters a target cannot honour instead of answering 400. */
  dropUnsupportedParams: boolean;
  /** Hedged requests; undefined = off. */
  hedge?: HedgeSettings;
  /** Streams cut after the commit point are continued on a target that can; undefined = off. */
  continuation?: ContinuationSettings;
  /** Response cache; undefined = off (docs/caching.md). */
  cache?: RouteCacheSettings;
  /** Routing policy and its settings (docs/routing.md); undefined = priority, no floor, no caps. */
  routing?: RouteRouting;
  /** Which of prompts and completions the request store captures here; undefined = `store.capture`'s. */
  capture?: RouteCaptureSettings;
}

export interface GatewayKey {
  name: string;
  key: string;
  /** Public model names this key may use; every route when undefined. */
  models?: Set<string>;
  /** Tier floor, preferred region, overrides, cost cap (docs/routing.md). */
  routing?: KeyRouting;
  /** Keys and limits (docs/keys.md): a virtual key's id, rpm/tpm limits, the debug-header scope. */
  id?: string;
  limits?: KeyLimits;
  /** May ask for x-switchyard-debug: trace; true unless said otherwise. */
  debug?: boolean;
}

export interface ServerSettings {
  host: string;
  port: number;
  bodyLimitBytes: number;
  /** Deepest nesting of objects and arrays a request body may have. */
  bodyDepthLimit: number;
  /** Slow and greedy clients: node:http's limits. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderBytes: number;
  maxConnections: number;
  /** A streaming client that does not catch up (drain) for this long is cut (the upstream cancelled). */
  clientStallMs: number;
  requestLog: boolean;
  /** Graceful shutdown: how long requests in flight may finish (docs/operations.md). */
  drainMs: number;
}

export interface ResolvedConfig {
  server: ServerSettings;
  retryBudget: { ratio: number; floorPerSecond: number };
  breakers: BreakerSettings;
  /** The HTTP client to providers (connections, gateway queue, read bounds). */
  upstream: UpstreamSettings;
  /** Prometheus metrics at GET /metrics. */
  metrics: MetricsSettings;
  /** Service level objectives (burn-rate alerts). */
  slos: SloSettings[];
  /** Alert sinks, rate limits, burn-rate windows, event alerts. */
  alerts: AlertSettings;
  /** The operational log's level and format. */
  log: LogSettings;
  /** The status page at GET /status (and its data, /status.json). */
  status: StatusSettings;
  /** The request store (docs/observability.md#request-store). */
  store: StoreSettings;
  /** The response cache's store bounds (routes with a `cache` section use it). */
  cache: CacheStoreSettings;
  /** Shared state across instances: memory (this process) or Redis. */
  state: StateSettings;
  /** Providers with active health checks. */
  healthChecks: { provider: string; intervalMs: number; timeoutMs: number }[];
  providers: Map<string, ProviderSettings>;
  routes: Map<string, Route>;
  keys: GatewayKey[];
  /** Admin keys, the key store and how limits fail (docs/keys.md). */
  keysAdmin: KeysSettings;
}
