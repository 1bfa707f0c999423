/**
 * The HTTP surface. Layer order, written once (each layer adds or reads what is said):
 *   0. connection    — node:http's limits (server.*: header and request timeouts, header size, connection
 *                      cap); what it refuses gets 431/408/400 in OpenAI's shape (client-error.ts)
 *   1. request id    — reads `x-request-id` (if sane) or makes one; echoed on every response
 *   2. routing       — path → handler; unknown path 404, wrong method 405 (with `allow`)
 *   3. auth          — `/v1/*`, `/metrics` and `/status.json`: gateway key → the caller's GatewayKey (401
 *                      otherwise); `/status` is an HTML shell without data, served to anyone
 *   4. body          — JSON bodies bounded by server.bodyLimitBytes (413), parsed (400)
 *   5. handler       — validates (400 naming the field), resolves the model (404), runs the engine
 *   6. errors        — anything thrown leaves as an OpenAI-shaped error; nothing internal leaks
 * Client disconnect aborts the request's signal, which cancels every upstream attempt. Every request is
 * tracked by the drain (src/server/drain.ts), which ends what is left at shutdown.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { ApiError, methodNotAllowed, routeNotFound } from '../core/errors.js';
import { secretScrubberFor } from '../config/secrets.js';
import type { ResolvedConfig } from '../config/types.js';
import type { SecretScrubber } from '../core/secret-scrubber.js';
import type { EventBus } from '../core/events.js';
import type { Engine } from '../engine/engine.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { KeyAuthenticator } from './auth.js';
import { answerClientError } from './client-error.js';
import { handleChatCompletions } from './chat-handler.js';
import type { Drain } from './drain.js';
import { handleEmbeddings } from './embeddings-handler.js';
import { sendError, sendJson } from './respond.js';
import { handleMetrics } from './metrics-endpoint.js';
import { handleStatus } from './status.js';
import type { LiveStats } from '../telemetry/live-stats.js';
import { handleStatusJson, handleStatusPage } from './status-page.js';
import type { StoreRecorder } from '../store/recorder.js';
import { handleRecentRequests, handleStats, storedRequestHandler } from './store-endpoint.js';
import { regionsHandler } from './regions-endpoint.js';
import type { SharedState } from '../state/index.js';
import type { KeyService } from '../keys/service.js';
import { keysHandler } from './keys-endpoint.js';
import { newRequestId } from './request-id.js';
import { GatewayResponse } from './gateway-response.js';

export interface GatewayServerDeps {
  config: ResolvedConfig;
  engine: Engine;
  /** Told about unexpected errors (bugs), never about client or upstream errors. */
  onInternalError?: (error: unknown) => void;
  /** Requests in flight, for a graceful shutdown; `/readyz` answers 503 once it drains. */
  drain: Drain;
  /** Where `request.started` / `request.ended` are announced (src/core/events.ts). */
  events?: EventBus;
  /** Prometheus metrics served at GET /metrics; absent when `metrics.enabled` is false. */
  metrics?: GatewayMetrics;
  /** What the status page shows (GET /status, /status.json); absent when `status.enabled` is false. */
  liveStats?: LiveStats;
  /** The request store behind /v1/switchyard/requests and /stats; absent when `store.enabled` is false. */
  requestStore?: StoreRecorder;
  /** The response cache (docs/caching.md); absent when no route has a `cache` section. */
  cache?: ResponseCache;
  /** Shared state across instances (GET /v1/switchyard/state; docs/deployment.md). */
  sharedState?: SharedState;
  /** Keys and limits (docs/keys.md): the key limiter, and virtual keys with their admin API. */
  keys?: KeyService;
}

export interface RequestContext {
  requestId: string;
  req: IncomingMessage;
  res: ServerResponse;
  deps: GatewayServerDeps;
  auth: KeyAuthenticator;
  /** Redacts every configured secret from what leaves the gateway (error bodies, error events). */
  scrubber: SecretScrubber;
  /** Set once the request reached a route and `request.started` was announced (model-call.ts). */
  announced?: boolean;
}

type Handler = (ctx: RequestContext) => Promise<void> | void;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function listModels(ctx: RequestContext): void {
  const key = ctx.auth.authenticate(ctx.req.headers);
  const created = Math.floor(Date.now() / 1000);
  const data = [...ctx.deps.config.routes.keys()]
    .filter((name) => !key?.models || key.models.has(name))
    .map((id) => ({ id, object: 'model', created, owned_by: 'switchyard' }));
  sendJson(ctx.res, 200, { object: 'list', data });
}

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/v1/chat/completions': { POST: handleChatCompletions },
  '/v1/embeddings': { POST: handleEmbeddings },
  '/v1/models': { GET: listModels },
  '/v1/switchyard/status': { GET: handleStatus },
  '/v1/switchyard/requests': { GET: handleRecentRequests },
  '/v1/switchyard/stats': { GET: handleStats },
  // Shared state across instances: driver, Redis connection, what was shared (docs/deployment.md).
  '/v1/switchyard/state': {
    GET: (ctx) => {
      ctx.auth.authenticate(ctx.req.headers);
      const status = ctx.deps.sharedState?.status();
      // The request store's buffer: what waits for PostgreSQL (or SQLite) while it is away.
      const store = ctx.deps.requestStore?.status();
      sendJson(ctx.res, 200, {
        ...(status ?? { object: 'switchyard.state', driver: 'memory' }),
        ...(store ? { store } : {}),
      });
    },
  },
  '/metrics': { GET: handleMetrics },
  '/status': { GET: handleStatusPage },
  '/status.json': { GET: handleStatusJson },
  '/healthz': { GET: (ctx) => sendJson(ctx.res, 200, { status: 'ok' }) },
  '/readyz': {
    GET: (ctx) =>
      ctx.deps.drain.draining
        ? sendJson(ctx.res, 503, { status: 'draining' })
        : sendJson(ctx.res, 200, { status: 'ready', routes: ctx.deps.config.routes.size }),
  },
};

export function createGatewayServer(deps: GatewayServerDeps): Server {
  const auth = new KeyAuthenticator(deps.config.keys, deps.keys?.registry);
  const scrubber = secretScrubberFor(deps.config);
  const onInternalError =
    deps.onInternalError ?? ((error) => console.error('switchyard: internal error', error));
  const limits = deps.config.server;
  const server = createServer(serverOptions(limits), (req, res) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : newRequestId();
    // Echoed on every response (gateway-response.ts).
    res.requestId = requestId;
    deps.drain.track(res);
    const ctx: RequestContext = { requestId, req, res, deps, auth, scrubber };
    const fail = (error: unknown): void => {
      sendError(res, error, onInternalError, scrubber);
      if (!ctx.announced) announceRefused(ctx, error);
    };
    let result: Promise<void> | void;
    try {
      result = dispatch(ctx);
    } catch (error) {
      fail(error);
      return;
    }
    if (result) result.catch(fail);
  });
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (error, socket) => answerClientError(error, socket, limits.maxHeaderBytes));
  return server;
}

/** `request.refused` for an error answered before the request reached a route. */
function announceRefused(ctx: RequestContext, error: unknown): void {
  const { events } = ctx.deps;
  if (!events?.wants('request.refused')) return;
  const url = ctx.req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const known = ROUTES[path] !== undefined || ROUTES[path.replace(/\/+$/, '')] !== undefined;
  const status = error instanceof ApiError ? error.status : 500;
  const outcome = error instanceof ApiError ? (error.reason ?? error.code ?? error.type) : 'internal_error';
  events.publish('request.refused', {
    requestId: ctx.requestId,
    method: KNOWN_METHODS.has(ctx.req.method ?? '') ? ctx.req.method! : 'other',
    path: known ? path : 'other',
    status,
    outcome,
  });
}

const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** node:http's own limits on slow and greedy clients, from `server.*`. */
function serverOptions(
  limits: ResolvedConfig['server'],
): ServerOptions<typeof IncomingMessage, typeof GatewayResponse> {
  return {
    ServerResponse: GatewayResponse,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // How often node:http checks the two timeouts (its default, 30 s, would let them overrun).
    connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

function dispatch(ctx: RequestContext): Promise<void> | void {
  const { req } = ctx;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const methods = ROUTES[path] ?? ROUTES[path.replace(/\/+$/, '')];
  const method = req.method ?? 'GET';
  // Region drains (docs/routing.md): a path with a parameter.
  const regions = methods ? undefined : regionsHandler(path, method);
  if (regions) return regions(ctx);
  // The admin API of virtual keys (docs/keys.md).
  const keys = methods ? undefined : keysHandler(path, method);
  if (keys) return keys(ctx);
  // One stored request, with its captured text (docs/observability.md#request-store).
  const stored = methods ? undefined : storedRequestHandler(path, method);
  if (stored) return stored(ctx);
  if (!methods) throw routeNotFound(method, path);
  const handler = methods[method];
  if (!handler) throw methodNotAllowed(method, path, Object.keys(methods));
  return handler(ctx);
}
