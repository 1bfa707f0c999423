/**
 * What the gateway announces as it works: one typed event per thing that happened, published where it
 * happens (engine, target runner, hedging, breakers, cooldowns, the upstream client's queue, health
 * probes). Metrics, the decision trace (x-switchyard-trace: one collector per request, src/core/trace.ts),
 * the request log, alerts and the status page are subscribers; nothing parses strings back.
 *
 * One bus per gateway (not process-wide `diagnostics_channel` channels), so that two gateways in one
 * process — tests, the drill — never see each other's traffic. It costs nothing when nobody listens: a
 * publisher asks `bus.wants(name)` (one property read) before it builds an event object, as undici
 * checks `channel.hasSubscribers` before it publishes.
 */

import type { TraceEntry } from './trace.js';

/** Tokens an attempt or request consumed: exact from upstream usage, or estimated. */
export interface EventTokens {
  prompt: number;
  completion: number;
  cached?: number;
  estimated: boolean;
}

/** How an attempt ended: `ok`, one of the failure classes, or cancelled (lost a race, client left). */
export type AttemptOutcomeClass = 'ok' | 'retry' | 'failover' | 'context' | 'fatal' | 'cancelled';

/** Why a target was not tried for a request. */
export type SkipReason =
  | 'breaker-open'
  | 'half-open-full'
  | 'cooldown'
  | 'concurrency'
  | 'context-window'
  /** The target's protocol does not serve this kind of request (e.g. embeddings). */
  | 'unsupported-endpoint'
  /** The target cannot take the request as sent (a parameter it does not support). */
  | 'unsupported-parameter'
  /** A continuation of a cut stream: the target has no way to continue an answer (`continuation: none`). */
  | 'cannot-continue'
  /** Routing (docs/routing.md): past the request's tier floor, in a drained region, past a cost cap, or
   * left out by a per-request pin or skip. */
  | 'tier-floor'
  | 'region-drained'
  | 'cost-cap'
  | 'override';

export interface GatewayEvents {
  'request.started': {
    requestId: string;
    route: string;
    key?: string;
    endpoint: 'chat' | 'embeddings';
    stream: boolean;
    /** The client's W3C Trace Context headers, as sent (tracing continues the client's trace). */
    traceparent?: string;
    tracestate?: string;
  };
  'request.ended': {
    requestId: string;
    route: string;
    /** The gateway key's configured name (never the secret). */
    key?: string;
    endpoint: 'chat' | 'embeddings';
    stream: boolean;
    status: number;
    /** `ok`, or the error code the client saw (e.g. `upstream_503`, `client_closed_request`). */
    outcome: string;
    /** The target that answered or was tried last; its provider and model. */
    target?: string;
    provider?: string;
    model?: string;
    attempts: number;
    totalMs: number;
    /** Streams: time until the first token reached the client (the commit point). */
    ttftMs?: number;
    tokens?: EventTokens;
    costUsd?: number;
    /** Why the answer did not come from the first target, when it did not. */
    fallbackReason?: string;
    /** What the answering target's translation changed about the request. */
    warnings?: string[];
    /** The decision trace, as in x-switchyard-trace (shared, not copied: read it, never change it). */
    trace: readonly TraceEntry[];
    /**
     * On routes with a response cache: `hit` (answered from the cache: no attempt, cost 0, `target`
     * is the one that originally answered), `miss` or `bypass` (docs/caching.md).
     */
    cache?: 'hit' | 'miss' | 'bypass';
    /**
     * With `store.capture` on (docs/observability.md): the request's text and the answer's, as sent,
     * bounded but NOT redacted (the request store's recorder redacts them before anything is stored).
     */
    capture?: { prompt?: string; completion?: string };
  };
  /**
   * A request answered with an error before it reached a route (no `request.started`): bad auth, a
   * body too large or not JSON, an invalid request, an unknown model, a key not allowed the model, an
   * unknown path. Counted apart, so that a client's mistakes never weigh on a route's statistics.
   */
  'request.refused': {
    requestId: string;
    method: string;
    /** The path without its query; `other` for paths the gateway does not serve. */
    path: string;
    status: number;
    /** The error code the client saw (the gateway's own: `invalid_api_key`, `model_not_found`, …). */
    outcome: string;
  };
  'attempt.started': { requestId: string; route: string; target: string; provider: string; model: string };
  'attempt.ended': {
    requestId: string;
    route: string;
    target: string;
    provider: string;
    model: string;
    /** `chat` or `embeddings` (OpenTelemetry's `gen_ai.operation.name`). */
    operation: string;
    stream: boolean;
    outcome: AttemptOutcomeClass;
    /** `ok` or the failure reason (e.g. `upstream_503`, `first_token_timeout`, `lost_race`). */
    reason: string;
    upstreamStatus?: number;
    durationMs: number;
    ttftMs?: number;
    tokens?: EventTokens;
    costUsd?: number;
    /** Whether the failure counts against the target's health (a provider's own fault). */
    countsAgainstBreaker: boolean;
    /** Providers with a key pool: the label of the key the attempt used (`key#2` or its name), never the key. */
    key?: string;
  };
  'retry.scheduled': { requestId: string; route: string; target: string; waitMs: number; source: string };
  /** A retry of the same target refused: `budget`, `deadline`, `hint-too-long`, `max-retries`, … */
  'retry.denied': { requestId: string; route: string; target: string; reason: RetryDenial };
  failover: { requestId: string; route: string; from: string; to: string; reason: string };
  'hedge.fired': { requestId: string; route: string; primary: string; target: string; delayMs: number };
  /** A hedged request ended: `won` when a hedge answered, `lost` when the original attempt did. */
  'hedge.settled': { requestId: string; route: string; winner: string; result: 'won' | 'lost' };
  /** A race route sent the request to `targets` at once (docs/speculative.md). */
  'race.started': { requestId: string; route: string; targets: string[] };
  /** A race route found only `target` usable: it runs alone (no `race.started`). */
  'race.alone': { requestId: string; route: string; target: string };
  /** The race is decided: `winner` got the first token (or answer) first; null when every racer failed. */
  'race.settled': { requestId: string; route: string; targets: string[]; winner: string | null };
  /**
   * A consensus route decided: `agreeing` of `answered` votes gave the chosen answer (`asked` targets,
   * `failed` of them without an answer); `decision` is `majority`, the tie policy used (`first`,
   * `primary`), or why there is no answer (`no-majority`, `below-quorum`, `fallback`).
   */
  'consensus.decided': {
    requestId: string;
    route: string;
    asked: number;
    answered: number;
    failed: number;
    agreeing: number;
    decision: string;
    winner?: string;
  };
  /**
   * A stream cut after its commit point goes on: `to` continues the answer `from` had sent
   * `afterChars` characters of (choice 0's text), by `method` (prefill, prefix, instruction).
   */
  'stream.continued': {
    requestId: string;
    route: string;
    from: string;
    to: string;
    method: string;
    afterChars: number;
    /** Why `from`'s stream ended (e.g. `stream_cut`). */
    reason: string;
  };
  /**
   * A chat request answered from the response cache (docs/caching.md): `target` answered it
   * originally, `ageMs` ago. No attempt follows; `request.ended` says `cache: 'hit'`.
   */
  'cache.hit': { requestId: string; route: string; target: string; ageMs: number };
  'target.skipped': {
    requestId?: string;
    route?: string;
    target: string;
    reason: SkipReason;
    detail: string;
    /** Open breakers: milliseconds until the target may be probed again. */
    retryInMs?: number;
  };
  /** A routing policy scored a candidate (`score` as the policy words it, e.g. `weight=3`). */
  'target.ranked': { requestId: string; route: string; target: string; policy: string; score: string };
  /** Every target's breaker is open: all are tried anyway, in order, from `target` (panic routing). */
  'plan.panic': { requestId: string; route: string; target: string };
  /**
   * A consensus route's verdict on one target's vote: `chosen` or `dissent` (`agreeing` of `answered`
   * votes matched it), `timeout` (no vote within `timeoutMs`), or `fallback` (`answered` votes, below the
   * `quorum`: the route fell back to failover; `target` is the route's first).
   */
  'consensus.voted': { requestId: string; route: string; target: string } & (
    | { verdict: 'chosen' | 'dissent'; agreeing: number; answered: number }
    | { verdict: 'timeout'; timeoutMs: number }
    | { verdict: 'fallback'; answered: number; quorum: number }
  );
  /**
   * A stream cut after its commit point is not continued: `reason` is `complete` (the cut came after
   * the finish reason: nothing to continue), `no-target` (no target could continue it) or why it may
   * not be (`fatal`, `context`, `max-continuations`, `deadline`, `aborted`, not text).
   */
  'stream.uncontinued': { requestId: string; route: string; from: string; reason: string };
  'breaker.transition': { target: string; from: string; to: string; reason: string | null };
  /** A target cooling down; with `key` (a key pool's label, never the key), only that key of its provider. */
  'cooldown.set': {
    target: string;
    ms: number;
    reason: string;
    key?: string;
    /** With `key`: `target` (this model only) or `provider` (every model of the target's provider). */
    keyScope?: 'target' | 'provider';
  };
  /** A region drained or put back (POST /v1/switchyard/regions/{name}/drain|undrain, or shared state). */
  'region.drain': { region: string; drained: boolean };
  /** The shared retry budget refused a retry or a hedge. */
  'budget.exhausted': { target: string; kind: 'retry' | 'hedge'; requestId?: string; route?: string };
  /** A request waited in the gateway's own connection queue (`ms`), or gave up waiting (`saturated`). */
  'gateway.queued': { origin: string; ms: number; saturated: boolean };
  'health.probe': { target: string; ok: boolean; reason?: string; ms: number };
}

/** Why a retry of the same target was refused (`retry.denied`). */
export type RetryDenial = 'max-retries' | 'max-attempts' | 'hint-too-long' | 'deadline' | 'budget';

export type EventName = keyof GatewayEvents;
export type Listener<K extends EventName> = (event: GatewayEvents[K]) => void;

/** Where events are published: the gateway's bus, or one request's (src/core/request-events.ts). */
export interface Publisher {
  /** Whether anyone listens to `name`: publishers check it before building the event. */
  wants(name: EventName): boolean;
  publish<K extends EventName>(name: K, event: GatewayEvents[K]): void;
}

/** Who a request-scoped publication is for (routing and health publish through it while they plan). */
export interface RequestScope {
  events: Publisher;
  requestId: string;
  route: string;
}

export class EventBus implements Publisher {
  private readonly listeners: { [K in EventName]?: Listener<K>[] } = {};

  /** `onListenerError` is told when a listener throws (the gateway's log; stderr by default). */
  constructor(
    private readonly onListenerError: (name: EventName, error: unknown) => void = (name, error) =>
      console.error(`switchyard: a listener of ${name} failed`, error),
  ) {}

  /** Whether anyone listens to `name`: publishers check it before building the event. */
  wants(name: EventName): boolean {
    return this.listeners[name] !== undefined;
  }

  /** Listens to one kind of event until the returned function is called. */
  subscribe<K extends EventName>(name: K, listener: Listener<K>): () => void {
    const list = (this.listeners[name] ?? []) as Listener<K>[];
    (this.listeners as Record<K, Listener<K>[]>)[name] = [...list, listener];
    return () => {
      const rest = ((this.listeners[name] ?? []) as Listener<K>[]).filter((l) => l !== listener);
      if (rest.length) (this.listeners as Record<K, Listener<K>[]>)[name] = rest;
      else delete this.listeners[name];
    };
  }

  /** Tells every listener; a listener that throws is not allowed to break the request path. */
  publish<K extends EventName>(name: K, event: GatewayEvents[K]): void {
    const list = this.listeners[name] as Listener<K>[] | undefined;
    if (!list) return;
    for (const listener of list) {
      try {
        listener(event);
      } catch (error) {
        try {
          this.onListenerError(name, error);
        } catch {
          // Telling failed too: the request goes on regardless.
        }
      }
    }
  }
}

/** For code that runs without a gateway (unit tests): nobody ever listens. */
export const NO_EVENTS = new EventBus();
