/**
 * The only code that talks HTTP to providers: one undici Pool per origin, keep-alive, no fetch.
 * Transport errors come back classified as UpstreamFailures.
 */
import { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { timeoutFailure, transportFailure, type UpstreamFailure } from '../core/errors.js';
import type { HeaderMap, UpstreamRequestSpec } from '../providers/types.js';

export interface UpstreamResponse {
  status: number;
  headers: HeaderMap;
  body: Dispatcher.ResponseData['body'];
}

/**
 * Cancels one upstream request. undici takes an EventEmitter as a request's signal; one is made per
 * attempt, and an EventEmitter costs a fraction of an AbortController (and no DOMException to cancel).
 */
export class UpstreamCancel extends EventEmitter {
  aborted = false;
  reason: Error | undefined;

  cancel(reason: Error = ATTEMPT_CANCELLED): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/** The default reason; the attempt records its own failure before cancelling, so this is never shown. */
const ATTEMPT_CANCELLED = Object.assign(new Error('The upstream request was cancelled.'), {
  code: 'UND_ERR_ABORTED',
});

export interface SendOptions {
  signal: AbortSignal | UpstreamCancel;
  headersTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface UpstreamClientOptions {
  /** Connections per origin. */
  connections?: number;
  /** Idle keep-alive before a pooled socket is closed. */
  keepAliveTimeoutMs?: number;
}

export class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
    this.name = 'UpstreamError';
  }
}

/** Distinct upstream URLs are few (targets × endpoints): parse each once, not per request. */
const MAX_CACHED_URLS = 1_000;

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  private readonly urls = new Map<string, { origin: string; path: string }>();

  constructor(private readonly options: UpstreamClientOptions = {}) {}

  async send(spec: UpstreamRequestSpec, options: SendOptions): Promise<UpstreamResponse> {
    const url = this.parse(spec.url);
    const pool = this.pool(url.origin, options.connectTimeoutMs);
    try {
      const response = await pool.request({
        method: spec.method,
        path: url.path,
        headers: spec.headers,
        body: spec.body ?? null,
        signal: options.signal,
        headersTimeout: options.headersTimeoutMs,
        // The engine watches first-token and stall times itself; keep-alive bytes must not count.
        bodyTimeout: 0,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw new UpstreamError(classifyTransportError(error, url.origin));
    }
  }

  async close(): Promise<void> {
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
      pool = new Pool(origin, {
        connections: this.options.connections ?? 256,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 30_000,
        connect: { timeout: connectTimeoutMs },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }
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
