/**
 * The one config schema: validation, defaults and types come from it. Unknown keys are rejected so a
 * typo never silently does nothing. See docs/configuration.md for the reference.
 */
import { z } from 'zod';
import { PROVIDER_TYPES } from './presets.js';
import { alertsSchema, slosSchema } from '../alerts/schema.js';
import { cacheStoreSchema, routeCacheSchema } from '../cache/schema.js';
import { routeCaptureSchema } from '../store/capture-schema.js';
import { storeSchema } from '../store/schema.js';
import { stateSchema } from '../state/schema.js';
import { speculativeRouteFields } from './speculative.js';
import { keyRoutingSchema, routeRoutingSchema } from '../routing/schema.js';
import { keyLimitsSchema, keysAdminFields } from '../keys/schema.js';

const positiveMs = z.number().int().positive();
const nonNegativeMs = z.number().int().nonnegative();

export const timeoutsSchema = z
  .object({
    /** TCP (and TLS) connect, per attempt. */
    connectMs: positiveMs.default(5_000),
    /** From sending the request to the response headers, per attempt. */
    headersMs: positiveMs.default(60_000),
    /** From sending the request to the first content, reasoning or tool-call token, per attempt. */
    firstTokenMs: positiveMs.default(30_000),
    /** Longest gap between two output tokens; keep-alive comments do not reset it. */
    stallMs: positiveMs.default(30_000),
    /** One attempt, start to end. */
    attemptMs: positiveMs.default(300_000),
    /** The whole request: every attempt and every wait. Clients may lower it with x-switchyard-timeout-ms. */
    requestMs: positiveMs.default(600_000),
  })
  .strict();

export const retrySchema = z
  .object({
    /** Upstream attempts per request, retries and failovers together. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Retries of the same target (within maxAttempts). */
    maxRetriesPerTarget: z.number().int().min(0).max(5).default(1),
    /** Full-jitter exponential backoff: U(0, min(cap, base·2^n)). */
    backoffBaseMs: positiveMs.default(500),
    backoffCapMs: positiveMs.default(8_000),
    /** A server hint (retry-after) longer than this fails over at once instead of waiting. */
    maxRetryWaitMs: nonNegativeMs.default(5_000),
  })
  .strict();

const priceSchema = z
  .object({
    /** USD per million input tokens. */
    input: z.number().nonnegative(),
    /** USD per million output tokens. */
    output: z.number().nonnegative(),
    /** USD per million cached input tokens (defaults to input). */
    cachedInput: z.number().nonnegative().optional(),
  })
  .strict();

const providerSchema = z
  .object({
    type: z.enum(PROVIDER_TYPES),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiKey: z.string().optional(),
    /** Key pool (docs/configuration.md#key-pools): several keys of one provider, each `${ENV}` or `{key, name}`. */
    apiKeys: z
      .array(
        z.union([
          z.string(),
          z
            .object({
              key: z.string(),
              name: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, _ . - (1-40)'),
            })
            .strict(),
        ]),
      )
      .min(1)
      .max(32)
      .optional(),
    /** How a key pool picks a key: `round-robin` (default) spreads requests, `ordered` takes the first ready one. */
    keySelection: z.enum(['round-robin', 'ordered']).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    region: z.string().optional(),
    /** Azure OpenAI api-version query parameter. */
    apiVersion: z.string().optional(),
    /** Anthropic: max_tokens sent when the client gives none (the API requires one). */
    defaultMaxTokens: z.number().int().positive().optional(),
    prices: z.record(z.string(), priceSchema).default({}),
    /** Context window (input tokens) per model: after a context-length error, smaller targets are skipped. */
    contextWindows: z.record(z.string(), z.number().int().positive()).default({}),
    /** Concurrent attempts per target of this provider; more wait in a bounded queue, then go elsewhere. */
    maxConcurrent: z.number().int().positive().optional(),
    maxQueued: z.number().int().nonnegative().default(0),
    queueTimeoutMs: positiveMs.default(1_000),
    /** How a cut stream is continued on this provider (routes with `continuation`); default from its type. */
    continuation: z
      .object({
        method: z.enum(['prefill', 'prefix', 'instruction', 'none']).optional(),
        baseUrl: z.url({ protocol: /^https?$/ }).optional(),
      })
      .strict()
      .optional(),
    /** Active health checks: a minimal request to each of the provider's targets every interval. */
    healthCheck: z
      .object({ intervalMs: z.number().int().min(1_000), timeoutMs: positiveMs.default(10_000) })
      .strict()
      .optional(),
  })
  .strict();

const targetObjectSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    /** Degradation tier: 1 (default) is the premium tier; answers from a higher tier carry x-switchyard-degraded. */
    tier: z.number().int().min(1).max(9).optional(),
  })
  .strict();

/** A target is `provider/model` or `{provider, model}`. */
const targetSchema = z.union([
  z
    .string()
    .regex(/^[^/\s]+\/\S+$/, 'a target is "provider/model" or { provider, model }')
    .transform((s) => {
      const slash = s.indexOf('/');
      return { provider: s.slice(0, slash), model: s.slice(slash + 1) };
    }),
  targetObjectSchema,
]);

/** Hedged requests (off unless a route has a `hedge` section). */
export const hedgeSchema = z
  .object({
    /** Start the next target when no first token has come after this long. */
    delayMs: positiveMs.default(800),
    /** Use the primary target's measured p95 time to first token instead, once known (at least minDelayMs). */
    delayFromP95: z.boolean().default(false),
    minDelayMs: positiveMs.default(200),
    /** Extra attempts in parallel per request. */
    maxHedges: z.number().int().min(1).max(2).default(1),
    /** Hedges of a route, as a share of its requests (on top of the retry budget). */
    maxRatio: z.number().min(0).max(1).default(0.05),
  })
  .strict();

/** Streams continued after a cut (off unless a route has a `continuation` section). */
export const continuationSchema = z
  .object({
    /** Continuations per request at most (each may make up to retry.maxAttempts attempts). */
    maxPerRequest: z.number().int().min(1).max(5).default(2),
  })
  .strict();

/** Route-level overrides: the same fields, no defaults (the `defaults` section fills the rest). */
const withoutDefaults = <T extends z.ZodRawShape>(shape: T) =>
  z
    .object(
      Object.fromEntries(
        Object.entries(shape).map(([k, v]) => [
          k,
          (v as unknown as z.ZodDefault<z.ZodType>).unwrap().optional(),
        ]),
      ) as { [K in keyof T]: z.ZodOptional<z.ZodType<z.output<T[K]>>> },
    )
    .strict();

const routeSchema = z
  .object({
    targets: z.array(targetSchema).min(1, 'a route needs at least one target'),
    timeouts: withoutDefaults(timeoutsSchema.shape).optional(),
    retry: withoutDefaults(retrySchema.shape).optional(),
    /** Drop request parameters a target cannot honour instead of answering 400. */
    dropUnsupportedParams: z.boolean().default(false),
    hedge: hedgeSchema.optional(),
    continuation: continuationSchema.optional(),
    /** Response cache (docs/caching.md); off unless the route has a `cache` section. */
    cache: routeCacheSchema.optional(),
    /** Speculative modes (race, consensus): src/config/speculative.ts, docs/speculative.md. */
    ...speculativeRouteFields,
    /** Routing policy, weights, tier floor and cost caps (docs/routing.md). */
    routing: routeRoutingSchema.optional(),
    /** Which of prompts and completions the request store captures for this route (`store.capture`). */
    capture: routeCaptureSchema.optional(),
  })
  .strict();

const keySchema = z
  .object({
    name: z.string().min(1),
    key: z.string().min(8, 'gateway keys must be at least 8 characters'),
    /** Public model names this key may use; all when absent. */
    models: z.array(z.string()).optional(),
    /** Tier floor, preferred region, per-request overrides, cost cap (docs/routing.md). */
    routing: keyRoutingSchema.optional(),
    /** Requests and tokens per minute (docs/keys.md). */
    limits: keyLimitsSchema.optional(),
    /** May ask for the debug trace header (docs/keys.md). */
    debug: z.boolean().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().optional(),
        port: z.number().int().min(0).max(65_535).default(4000),
        /** Largest request body accepted, in bytes. */
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(4 * 1024 * 1024),
        /** Deepest nesting of objects and arrays in a request body (deeper: 400 before any attempt). */
        bodyDepthLimit: z.number().int().min(8).max(1000).default(64),
        /** Time a client has to send its request headers (408 after). */
        headersTimeoutMs: positiveMs.default(30_000),
        /** Time a client has to send its whole request, headers and body (408 after). */
        requestTimeoutMs: positiveMs.default(120_000),
        /** How long an idle keep-alive connection stays open. */
        keepAliveTimeoutMs: positiveMs.default(65_000),
        /** Largest request head (request line and headers; 431 past it). */
        maxHeaderBytes: z.number().int().min(1024).default(16_384),
        /** Open client connections at most; connections past it are closed at once. */
        maxConnections: z.number().int().positive().default(10_000),
        /** A streaming client that does not catch up (drain) for this long is cut, the upstream cancelled. */
        clientStallMs: positiveMs.default(30_000),
        /** Write one JSON line per model request (trace, attempts, cost) to stdout. */
        requestLog: z.boolean().default(false),
        /** On SIGTERM/SIGINT, how long requests in flight may run before the gateway ends them. */
        drainMs: nonNegativeMs.default(20_000),
      })
      .strict()
      .prefault({}),
    defaults: z
      .object({ timeouts: timeoutsSchema.prefault({}), retry: retrySchema.prefault({}) })
      .strict()
      .prefault({}),
    /** Circuit breakers, one per target; defaults in docs/configuration.md. */
    breakers: z
      .object({
        enabled: z.boolean().default(true),
        consecutiveFailures: z.number().int().positive().optional(),
        failureRateThreshold: z.number().gt(0).max(1).optional(),
        slowCallRateThreshold: z.number().gt(0).max(1).optional(),
        minimumCalls: z.number().int().positive().optional(),
        windowMs: positiveMs.optional(),
        slowCallMs: positiveMs.optional(),
        slowCallP95Multiple: z.number().nonnegative().optional(),
        slowCallFloorMs: positiveMs.optional(),
        openBaseMs: positiveMs.optional(),
        openMaxMs: positiveMs.optional(),
        halfOpenProbes: z.number().int().positive().optional(),
        slowStartWindowMs: positiveMs.optional(),
        panicThreshold: z.number().min(0).max(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Per target, over a 10 s window: retries ≤ ratio × first attempts + floorPerSecond × 10. */
    retryBudget: z
      .object({
        ratio: z.number().min(0).max(1).default(0.2),
        floorPerSecond: z.number().min(0).default(1),
      })
      .strict()
      .prefault({}),
    /** The HTTP client to providers: connections, the gateway's own queue, bounds on what is read. */
    upstream: z
      .object({
        connectionsPerOrigin: z.number().int().positive().default(1024),
        maxQueued: z.number().int().nonnegative().default(1024),
        queueTimeoutMs: positiveMs.default(5_000),
        maxResponseBytes: z
          .number()
          .int()
          .positive()
          .default(128 * 1024 * 1024),
        maxEventBytes: z
          .number()
          .int()
          .positive()
          .default(16 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** Prometheus metrics at GET /metrics (docs/observability.md). Off by default: see what it costs there. */
    metrics: z
      .object({
        enabled: z.boolean().default(false),
        /** Readable without a key even when gateway keys are configured (e.g. a scraper on a private network). */
        public: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Service level objectives and where their alerts (and the event alerts) go (docs/observability.md). */
    slos: slosSchema,
    alerts: alertsSchema,
    /** The response cache's store (docs/caching.md); routes turn caching on with their own `cache` section. */
    cache: cacheStoreSchema.prefault({}),
    /** The operational log (docs/observability.md#logs): JSON lines on stdout. */
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** `json`, or `pretty` (one readable line per record, for people; the demo uses it). */
        format: z.enum(['json', 'pretty']).default('json'),
      })
      .strict()
      .prefault({}),
    /** The status page at GET /status and its data at GET /status.json (docs/observability.md). */
    status: z
      .object({
        enabled: z.boolean().default(true),
        /** Readable without a key even when gateway keys are configured. */
        public: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The request store (docs/observability.md#request-store): one record per request, queryable. */
    store: storeSchema,
    /** Shared state across gateway instances (docs/deployment.md). */
    state: stateSchema,
    providers: z.record(
      z.string().regex(/^[A-Za-z0-9_.-]+$/, 'provider names use letters, digits, _ . -'),
      providerSchema,
    ),
    routes: z.record(z.string().min(1), routeSchema),
    keys: z.array(keySchema).default([]),
    /** Keys and limits (docs/keys.md): admin keys, the key store's refresh, how limits fail. */
    ...keysAdminFields,
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ConfigFile = z.output<typeof configSchema>;
export type Timeouts = z.output<typeof timeoutsSchema>;
export type RetrySettings = z.output<typeof retrySchema>;
export type Price = z.output<typeof priceSchema>;
export type HedgeSettings = z.output<typeof hedgeSchema>;
export type ContinuationSettings = z.output<typeof continuationSchema>;
export type BreakerSettings = z.output<typeof configSchema>['breakers'];
export type UpstreamSettings = z.output<typeof configSchema>['upstream'];
export type MetricsSettings = z.output<typeof configSchema>['metrics'];
export type LogSettings = z.output<typeof configSchema>['log'];
export type StatusSettings = z.output<typeof configSchema>['status'];
export type StoreSettings = z.output<typeof configSchema>['store'];
export type StateSettings = z.output<typeof configSchema>['state'];
