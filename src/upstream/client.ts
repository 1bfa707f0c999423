/**
 * The only code that talks HTTP to providers: one undici Pool per origin, keep-alive, no fetch.
 * Transport errors come back classified as UpstreamFailures.
 *
 * Each origin has as many slots as connections, and a request holds a slot from before it is handed to
 * undici until undici is done with it (the response's end, or an error or abort: `UpstreamBody`). With
 * one request per connection (no pipelining) the pool then never queues inside undici: a request that
 * has a slot goes to the provider at once, and the wait for a slot is the gateway's own queue, bounded
 * (`maxQueued`, `queueTimeoutMs`) and measured apart (`onDispatch`). A request that gets no slot fails with `gateway_saturated`, which never counts
 * against the target: the provider never saw it. See docs/failover.md, "The gateway's own queue".
 */
import { Pool } from './undici-pool.js';
import type { Clock } from '../core/clock.js';
import {
  shuttingDownFailure,
  timeoutFailure,
  transportFailure,
  type UpstreamFailure,
} from '../core/errors.js';
import { NO_EVENTS, type EventBus } from '../core/events.js';
import type { UpstreamRequestSpec } from '../providers/types.js';
import { ConcurrencyLimit } from '../resilience/concurrency-limit.js';
import { systemClock } from '../resilience/system-clock.js';
import {
  ATTEMPT_CANCELLED,
  UpstreamBody,
  UpstreamCancel,
  type HeadFailures,
  type UpstreamResponse,
} from './body.js';

export { UpstreamBody, UpstreamCancel, type UpstreamResponse } from './body.js';

export interface SendOptions {
  signal: UpstreamCancel;
  headersTimeoutMs: number;
  connectTimeoutMs: number;
  /** Called when the request got a connection slot and goes to the provider (after any gateway queue). */
  onDispatch?: () => void;
}

/** The `upstream` config section (docs/configuration.md); every field has its default. */
export interface UpstreamClientOptions {
  /** Connections per origin (one request each); more requests wait in the gateway's queue. */
  connectionsPerOrigin?: number;
  /** Requests waiting for a connection, per origin; more fail at once as `gateway_saturated`. */
  maxQueued?: number;
  /** Longest wait for a connection before failing as `gateway_saturated`. */
  queueTimeoutMs?: number;
  /** Idle keep-alive before a pooled socket is closed. */
  keepAliveTimeoutMs?: number;
  /** Largest non-streaming 2xx body read, in bytes; more fails as `upstream_response_too_large`. */
  maxResponseBytes?: number;
  /** Largest stream event (or line without an end), in characters; more fails as `upstream_event_too_large`. */
  maxEventBytes?: number;
  clock?: Clock;
  /** Time spent in the gateway's own queue, and giving up on it, is announced here (`gateway.queued`). */
  events?: EventBus;
}

/** The limits an attempt applies to what it reads. */
export interface ReadLimits {
  maxResponseBytes: number;
  maxEventBytes: number;
}

export const UPSTREAM_DEFAULTS = Object.freeze({
  connectionsPerOrigin: 1024,
  maxQueued: 1024,
  queueTimeoutMs: 5_000,
  keepAliveTimeoutMs: 30_000,
  maxResponseBytes: 128 * 1024 * 1024,
  maxEventBytes: 16 * 1024 * 1024,
});

export class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
    this.name = 'UpstreamError';
  }
}

/** Distinct upstream URLs are few (targets × endpoints): parse each once, not per request. */
const MAX_CACHED_URLS = 1_000;

export class UpstreamClient implements HeadFailures {
  /** Per origin and connect timeout (undici sets it per pool). */
  private readonly pools = new Map<string, Pool>();
  /** Per origin, shared by its pools: each pool has as many connections, so none ever queues. */
  private readonly slots = new Map<string, ConcurrencyLimit>();
  private readonly urls = new Map<string, { origin: string; path: string }>();
  private readonly settings: Required<Omit<UpstreamClientOptions, 'clock' | 'events'>>;
  private readonly clock: Clock;
  private readonly events: EventBus;
  readonly limits: ReadLimits;
  /**
   * Set by `close()`: from then on a failed request is the gateway's own doing (its connections to the
   * provider are being destroyed), never the provider's, and counts against no breaker.
   */
  closing = false;

  constructor(options: UpstreamClientOptions = {}) {
    const { clock, events, ...rest } = options;
    this.events = events ?? NO_EVENTS;
    this.settings = { ...UPSTREAM_DEFAULTS };
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (this.settings as Record<string, number>)[key] = value as number;
    }
    this.clock = clock ?? systemClock;
    this.limits = {
      maxResponseBytes: this.settings.maxResponseBytes,
      maxEventBytes: this.settings.maxEventBytes,
    };
  }

  /**
   * Sends the request once it has a connection slot; settles with the status and headers (the body
   * follows, read through `UpstreamBody`) or rejects with an UpstreamError. undici's dispatch API, not
   * `request`: no body stream, no header object beyond undici's own, no abort listener per request.
   */
  send(spec: UpstreamRequestSpec, options: SendOptions): Promise<UpstreamResponse> {
    try {
      const url = this.parse(spec.url);
      const slots = this.originSlots(url.origin);
      const release = slots.tryAcquire();
      if (release) return this.dispatch(spec, options, url, release);
      return this.queue(slots, url.origin, options.signal).then((queued) =>
        this.dispatch(spec, options, url, queued),
      );
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private dispatch(
    spec: UpstreamRequestSpec,
    options: SendOptions,
    url: { origin: string; path: string },
    release: () => void,
  ): Promise<UpstreamResponse> {
    options.onDispatch?.();
    const { signal } = options;
    if (signal.aborted) {
      release();
      return Promise.reject(this.headFailure(signal.reason ?? ATTEMPT_CANCELLED, url.origin));
    }
    const pool = this.pool(url.origin, options.connectTimeoutMs);
    return new Promise((resolve, reject) => {
      const handler = new UpstreamBody(signal, release, resolve, reject, url.origin, this);
      pool.dispatch(
        {
          method: spec.method,
          path: url.path,
          headers: spec.headers,
          body: spec.body ?? null,
          headersTimeout: options.headersTimeoutMs,
          // The engine watches first-token and stall times itself; keep-alive bytes must not count.
          bodyTimeout: 0,
        },
        handler,
      );
    });
  }

  /** A request that failed before its response headers, as the attempt reads it. */
  headFailure(error: Error, origin: string): UpstreamError {
    return new UpstreamError(this.closing ? shuttingDownFailure() : classifyTransportError(error, origin));
  }

  /** Connections in use and requests waiting for one, per origin (for status and tests). */
  usage(): { origin: string; active: number; queued: number }[] {
    return [...this.slots].map(([origin, slots]) => ({
      origin,
      active: slots.active,
      queued: slots.queued,
    }));
  }

  /** Waits in the gateway's own queue for a connection slot; throws when none comes. */
  private async queue(slots: ConcurrencyLimit, origin: string, signal: UpstreamCancel): Promise<() => void> {
    const { queueTimeoutMs } = this.settings;
    const since = this.clock.now();
    const release = await slots.acquire(queueTimeoutMs, signal);
    if (this.events.wants('gateway.queued')) {
      const ms = this.clock.now() - since;
      this.events.publish('gateway.queued', { origin, ms, saturated: !release && !signal.aborted });
    }
    if (release) return release;
    if (signal.aborted) throw new UpstreamError(classifyTransportError(ATTEMPT_CANCELLED, origin));
    throw new UpstreamError(gatewaySaturated(origin, this.settings.connectionsPerOrigin, queueTimeoutMs));
  }

  async close(): Promise<void> {
    this.closing = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }

  private parse(href: string): { origin: string; path: string } {
    let url = this.urls.get(href);
    if (!url) {
      const parsed = new URL(href);
      url = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      if (this.urls.size >= MAX_CACHED_URLS) this.urls.clear();
      this.urls.set(href, url);
    }
    return url;
  }

  private pool(origin: string, connectTimeoutMs: number): Pool {
    const key = `${origin}|${connectTimeoutMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      const { connectionsPerOrigin, keepAliveTimeoutMs } = this.settings;
      pool = new Pool(origin, {
        connections: connectionsPerOrigin,
        pipelining: 1,
        keepAliveTimeout: keepAliveTimeoutMs,
        connect: { timeout: connectTimeoutMs },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  private originSlots(origin: string): ConcurrencyLimit {
    let slots = this.slots.get(origin);
    if (!slots) {
      const { connectionsPerOrigin: maxConcurrent, maxQueued } = this.settings;
      slots = new ConcurrencyLimit(this.clock, { maxConcurrent, maxQueued });
      this.slots.set(origin, slots);
    }
    return slots;
  }
}

/**
 * No connection to the origin came in time: the gateway's own limit, not the provider's fault (the
 * provider never saw the request). Fails over without a retry and without touching the breaker.
 */
export function gatewaySaturated(origin: string, connections: number, waitedMs: number): UpstreamFailure {
  const message = `The gateway has no free connection to ${origin} (all ${connections} in use; waited up to ${waitedMs} ms).`;
  return {
    ...transportFailure('gateway_saturated', message),
    class: 'failover',
    status: 503,
    breaker: false,
  };
}

/** Maps undici and socket errors to classified failures. Never includes request headers (keys). */
export function classifyTransportError(error: unknown, origin: string): UpstreamFailure {
  const err = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? err.name ?? 'unknown';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return timeoutFailure('connect_timeout', `Timed out connecting to ${origin}.`);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return timeoutFailure('headers_timeout', `${origin} sent no response headers in time.`);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return transportFailure('connect_error', `Could not connect to ${origin} (${code}).`);
    case 'UND_ERR_ABORTED':
    case 'AbortError':
      return { ...transportFailure('aborted', 'The upstream request was cancelled.'), breaker: false };
    default:
      return transportFailure('connection_error', `The connection to ${origin} failed (${code}).`);
  }
}
