/**
 * What chat and embeddings requests share once the body is valid: the route (404), the key's access to
 * it (403), the client's deadline header (400), cancellation when the client leaves, the debug trace
 * header, and `request.started` / `request.ended` (which the request log and the metrics listen to).
 */
import { ApiError, forbidden, invalidRequest, modelNotFound } from '../core/errors.js';
import type { GatewayKey, Route } from '../config/types.js';
import type { RunCall } from '../engine/engine.js';
import type { ResponseMeta } from '../engine/types.js';
import { CLIENT_TIMEOUT_HEADER, parseClientTimeout } from '../resilience/deadline.js';
import { formatTrace, totalCost } from '../telemetry/request-log.js';
import { NO_EVENTS, type GatewayEvents } from '../core/events.js';
import type { CacheOutcome } from '../cache/key.js';
import type { RequestContext } from './app.js';
import { metaHeaders } from './respond.js';
import { requestRouting } from './routing-headers.js';
import { KeyLimiter, type Reservation } from '../keys/limiter.js';
import { capturePlan, type CapturePlan } from './capture.js';
import { RequestEvents } from '../core/request-events.js';
import type { TraceEntry } from '../core/trace.js';
import { Cancel } from '../core/cancel.js';

export interface ModelCall {
  route: Route;
  /** Everything the engine needs but the request itself. */
  run: RunCall;
  /** Extra response headers (the trace, when asked for); `streaming` at a stream's commit point. */
  headers(meta: ResponseMeta, streaming?: boolean): Record<string, string>;
  /** Announces the request's end once it is answered; errors get the trace header too. */
  settle(status: number, error?: unknown): void;
  /** The response cache's outcome, said in `request.ended` (routes with a cache; docs/caching.md). */
  cache?: CacheOutcome;
  /**
   * Answered from the cache: no attempt, cost 0; `target` answered originally, `ageMs` ago. Announces
   * `cache.hit` (which makes the trace) and returns the meta to answer with.
   */
  answeredFromCache(target: string, ageMs: number): ResponseMeta;
  /** The key's limits and budget (docs/keys.md): resolves, or throws their 429; `estimate` for tpm. */
  admit(estimate: () => number): Promise<void> | undefined;
  /** What the request store captures of this request (store.capture); undefined: nothing. */
  capture?: CapturePlan;
  /** The captured text, said in `request.ended` (bounded, not yet redacted). */
  captured?: { prompt?: string; completion?: string };
}

export function startModelCall(
  ctx: RequestContext,
  key: GatewayKey | undefined,
  model: string,
  endpoint: 'chat' | 'embeddings',
  stream: boolean,
): ModelCall {
  const { req, res, requestId, deps } = ctx;
  const started = performance.now();
  const route = deps.config.routes.get(model);
  if (!route) throw modelNotFound(model);
  if (key?.models && !key.models.has(route.name)) {
    throw forbidden(`The key "${key.name}" may not use the model \`${route.name}\`.`);
  }
  // Routing (docs/routing.md): the request's tier floor, region and overrides; spend caps reached.
  const routing = requestRouting(req.headers, key, route, ctx.auth.open);
  const capped = deps.engine.router?.capRefusal(route);
  if (capped) throw capped;
  const timeout = parseClientTimeout(req.headers[CLIENT_TIMEOUT_HEADER], route.timeouts.requestMs);
  if (!timeout.ok) throw invalidRequest(timeout.message, CLIENT_TIMEOUT_HEADER);

  const cancel = new Cancel();
  // Aborted when the client leaves before the answer is finished, or at shutdown.
  deps.drain.cancelWith(res, cancel);
  // A key may be denied the debug trace (`debug: false`, docs/keys.md).
  const wantsTrace = req.headers['x-switchyard-debug'] === 'trace' && key?.debug !== false;
  let settled: ResponseMeta | undefined;
  let committedAt: number | undefined;
  let hit: { target: string; trace: readonly TraceEntry[] } | undefined;
  const headers = (meta: ResponseMeta, streaming = false): Record<string, string> => {
    if (streaming) committedAt = performance.now();
    if (!wantsTrace) return {};
    // A replayed stream has no attempt still streaming: its trace is the cache hit's entry.
    return { 'x-switchyard-trace': formatTrace(meta, streaming && !hit) };
  };
  const { events } = deps;
  ctx.announced = true;
  // Built field by field (a conditional spread takes V8's slow clone path): one per request.
  const announced: GatewayEvents['request.started'] = { requestId, route: route.name, endpoint, stream };
  if (key) announced.key = key.name;
  if (events?.wants('request.started')) events.publish('request.started', withTraceContext(announced, req));

  const limiter = key && KeyLimiter.limits(key) ? deps.keys?.limiter : undefined;
  let reservation: Reservation | undefined;
  const call: ModelCall = {
    route,
    // Every field, in the engine's order (absent ones undefined): one shape for every request.
    run: {
      route,
      requestId,
      cancel,
      timeoutMs: timeout.timeoutMs,
      routing,
      onSettled: (meta) => {
        settled = meta;
      },
    },
    headers,
    admit(estimate) {
      // A key without limits has nothing to wait for: no promise, no microtask.
      if (!limiter || !key) return undefined;
      return limiter.admit(key, estimate).then((r) => {
        reservation = r;
      });
    },
    settle(status, error) {
      if (limiter && key) limiter.settle(key, reservation, usedBy(hit ? undefined : settled));
      if (settled && error instanceof ApiError)
        Object.assign(error.headers, metaHeaders(settled), headers(settled));
      if (events?.wants('request.ended')) {
        const timing = { started, committedAt };
        const ended = hit
          ? cacheHitEnded(announced, route, hit, status, timing)
          : requestEnded(announced, route, settled, status, error, timing);
        if (call.cache && !hit) ended.cache = call.cache;
        if (call.captured) ended.capture = call.captured;
        events.publish('request.ended', ended);
      }
    },
    answeredFromCache(target, ageMs) {
      // The request's own publisher, as the engine's for a live answer: its trace is the subscriber.
      const published = new RequestEvents(events ?? NO_EVENTS);
      published.publish('cache.hit', { requestId, route: route.name, target, ageMs });
      hit = { target, trace: published.trace };
      call.cache = 'hit';
      return { target, attempts: 0, trace: published.trace };
    },
  };
  const capture = deps.requestStore ? capturePlan(deps.config.store, route) : undefined;
  if (capture) call.capture = capture;
  return call;
}

/** The `request.ended` event of an answer from the cache: no attempt, no tokens used, cost 0. */
function cacheHitEnded(
  announced: GatewayEvents['request.started'],
  route: Route,
  hit: { target: string; trace: readonly TraceEntry[] },
  status: number,
  timing: { started: number; committedAt: number | undefined },
): GatewayEvents['request.ended'] {
  const targetId = hit.target;
  const target = route.targets.find((t) => t.id === targetId);
  return {
    ...announced,
    status,
    outcome: status < 400 ? 'ok' : `status_${status}`,
    target: targetId,
    ...(target ? { provider: target.provider.id, model: target.model } : {}),
    attempts: 0,
    totalMs: performance.now() - timing.started,
    ...(timing.committedAt !== undefined ? { ttftMs: timing.committedAt - timing.started } : {}),
    costUsd: 0,
    trace: hit.trace,
    cache: 'hit',
  };
}

/** The `request.ended` event: what the client got, and what the request cost over all its attempts. */
function requestEnded(
  announced: GatewayEvents['request.started'],
  route: Route,
  meta: ResponseMeta | undefined,
  status: number,
  error: unknown,
  timing: { started: number; committedAt: number | undefined },
): GatewayEvents['request.ended'] {
  const target = meta && route.targets.find((t) => t.id === meta.target);
  let tokens: GatewayEvents['request.ended']['tokens'];
  for (const entry of meta?.trace ?? []) {
    if (!entry.tokens) continue;
    tokens ??= { prompt: 0, completion: 0, estimated: false };
    // Usage comes from the upstream: absent fields (embeddings have no output) count as none.
    tokens.prompt += finiteOrZero(entry.tokens.prompt);
    tokens.completion += finiteOrZero(entry.tokens.completion);
    tokens.estimated ||= entry.tokens.estimated;
  }
  const cost = meta ? totalCost(meta.trace) : undefined;
  // An upstream's error code is its own text (anything, of any length): the gateway's reason stands in.
  const outcome =
    status < 400
      ? 'ok'
      : error instanceof ApiError
        ? (error.reason ?? error.code ?? error.type)
        : `status_${status}`;
  // Built field by field, like withTraceContext below: the spreads this replaced cost some 5 µs per
  // request under load (docs/PERFORMANCE.md).
  const ended = endedBase(announced, status, outcome, meta?.attempts ?? 0, timing, meta?.trace ?? []);
  if (target) {
    ended.target = target.id;
    ended.provider = target.provider.id;
    ended.model = target.model;
  }
  if (tokens) ended.tokens = tokens;
  if (cost !== undefined) ended.costUsd = cost;
  if (meta?.fallbackReason) ended.fallbackReason = meta.fallbackReason;
  if (meta?.warnings) ended.warnings = meta.warnings;
  return ended;
}

/** The fields every `request.ended` has, in one shape. */
function endedBase(
  announced: GatewayEvents['request.started'],
  status: number,
  outcome: string,
  attempts: number,
  timing: { started: number; committedAt: number | undefined },
  trace: GatewayEvents['request.ended']['trace'],
): GatewayEvents['request.ended'] {
  const ended: GatewayEvents['request.ended'] = {
    requestId: announced.requestId,
    route: announced.route,
    endpoint: announced.endpoint,
    stream: announced.stream,
    status,
    outcome,
    attempts,
    totalMs: performance.now() - timing.started,
    trace,
  };
  if (announced.key !== undefined) ended.key = announced.key;
  if (timing.committedAt !== undefined) ended.ttftMs = timing.committedAt - timing.started;
  return ended;
}

/**
 * `request.started`: the announced fields and the client's W3C Trace Context headers, when it sent
 * them (one each; node joins repeats, which tracing then ignores). Built field by field: an object
 * spread here costs microseconds per request once someone listens (bench/tracing-cost.mjs).
 */
function withTraceContext(
  announced: GatewayEvents['request.started'],
  req: RequestContext['req'],
): GatewayEvents['request.started'] {
  const { traceparent, tracestate } = req.headers;
  if (typeof traceparent !== 'string') return announced;
  const started: GatewayEvents['request.started'] = {
    requestId: announced.requestId,
    route: announced.route,
    endpoint: announced.endpoint,
    stream: announced.stream,
    traceparent,
  };
  if (announced.key !== undefined) started.key = announced.key;
  if (typeof tracestate === 'string') started.tracestate = tracestate;
  return started;
}

/** Tokens the providers reported over every attempt, and the cost (what a key's limits settle to). */
function usedBy(meta: ResponseMeta | undefined): { tokens: number; costUsd: number } {
  let tokens = 0;
  for (const entry of meta?.trace ?? []) {
    if (entry.tokens) tokens += finiteOrZero(entry.tokens.prompt) + finiteOrZero(entry.tokens.completion);
  }
  return { tokens, costUsd: meta ? finiteOrZero(totalCost(meta.trace)) : 0 };
}

const finiteOrZero = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) ? n : 0);
