/**
 * OpenTelemetry spans from the gateway's events: a SERVER span per model request (`chat ROUTE`), a
 * CLIENT child per upstream attempt (`chat MODEL`) with the GenAI attributes, and the decisions in
 * between (retries scheduled and denied, failovers, hedges, skipped targets) as events on the request
 * span. Loaded only when tracing is on (src/telemetry/tracing.ts).
 *
 * Off the hot path: a listener only queues the event with its time (bounded); spans are built after
 * the current I/O turn (setImmediate) with those times. Bounded: a request's span lives in `open` from
 * `request.started` to `request.ended`; a span whose end never comes is ended as incomplete once it is
 * older than `maxAgeMs`, or when `maxOpen` requests are open. Spans carry no prompt, no completion, no
 * upstream text and no secret: names, codes, numbers and the key's configured name.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { EventBus, EventName, GatewayEvents } from '../core/events.js';
import { attemptAttributes, requestEndAttributes, requestStartAttributes } from './span-attributes.js';
import { remoteParent } from './trace-context.js';

export interface RequestSpansOptions {
  events: EventBus;
  tracer: Tracer;
  /** Provider name → where its API is (server.address, server.port). */
  servers: Map<string, { address: string; port: number }>;
  /** A request open longer than this is ended as incomplete (its `request.ended` never came). */
  maxAgeMs: number;
  /** At most this many request spans open at once; past it the oldest is ended as incomplete. */
  maxOpen?: number;
  /**
   * The time on the performance clock (ms since performance.timeOrigin): performance.now() by default.
   * Span times are taken here, on the request path.
   */
  now?: () => number;
  /** Told once per batch when events were dropped because the queue was full. */
  onDropped?: (count: number) => void;
  /** Told of the first span that could not be built in a batch (a bug; the batch goes on). */
  onError?: (error: unknown) => void;
}

interface OpenRequest {
  span: Span;
  startedAt: number;
  /** Other requests in flight with the same request id (a client reusing x-request-id): untraced. */
  duplicates: number;
}

type Queued = { [K in EventName]: { name: K; event: GatewayEvents[K]; at: number } }[EventName];

/**
 * A performance-clock time as milliseconds since the epoch. The SDK would take a small number for a
 * performance time and a large one for an epoch time; this is never ambiguous.
 */
const wall = (at: number): number => performance.timeOrigin + at;

/** Events queued for one batch at most (one I/O turn's worth). */
const MAX_QUEUED = 20_000;
/**
 * Requests recently ended, whose attempts may still end: a hedge or a race that lost is cancelled as
 * the request answers, and its `attempt.ended` can come after `request.ended`.
 */
const RECENT = 1_024;
const TRACED: readonly EventName[] = [
  'request.started',
  'request.ended',
  'attempt.ended',
  'retry.scheduled',
  'retry.denied',
  'failover',
  'hedge.fired',
  'hedge.settled',
  'target.skipped',
];

export class RequestSpans {
  private readonly open = new Map<string, OpenRequest>();
  /** Recently ended requests (at most RECENT): the parent of attempts that end late. */
  private readonly recent = new Map<string, { parent: Context; startedAt: number }>();
  private queue: Queued[] = [];
  private dropped = 0;
  private scheduled = false;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly now: () => number;
  private readonly maxOpen: number;

  constructor(private readonly options: RequestSpansOptions) {
    this.now = options.now ?? (() => performance.now());
    this.maxOpen = options.maxOpen ?? 10_000;
    for (const name of TRACED) {
      this.unsubscribe.push(
        options.events.subscribe(name, (event: GatewayEvents[typeof name]) =>
          this.enqueue({ name, event, at: this.now() } as Queued),
        ),
      );
    }
  }

  /** Request spans open now. */
  get size(): number {
    return this.open.size;
  }

  /** Builds what is queued now (tests; shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (this.dropped) {
      this.options.onDropped?.(this.dropped);
      this.dropped = 0;
    }
    let failed = false;
    for (const item of batch) {
      try {
        this.handle(item);
      } catch (error) {
        // Runs in a setImmediate of its own: a throw here would take the process down.
        if (!failed) this.options.onError?.(error);
        failed = true;
      }
    }
  }

  /** Stops listening, builds what is queued and ends what is still open (as incomplete). */
  close(): void {
    for (const u of this.unsubscribe) u();
    this.flush();
    const at = this.now();
    for (const [id, req] of this.open) this.abandon(id, req, at, 'gateway stopped');
  }

  private enqueue(item: Queued): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private handle(item: Queued): void {
    switch (item.name) {
      case 'request.started':
        return this.started(item.event, item.at);
      case 'request.ended':
        return this.ended(item.event, item.at);
      case 'attempt.ended':
        return this.attempt(item.event, item.at);
      case 'retry.scheduled':
        return this.note(item.event.requestId, item.at, 'switchyard.retry', {
          'switchyard.target': item.event.target,
          'switchyard.retry.wait_ms': item.event.waitMs,
          'switchyard.retry.source': item.event.source,
        });
      case 'retry.denied':
        return this.note(item.event.requestId, item.at, 'switchyard.retry_denied', {
          'switchyard.target': item.event.target,
          'switchyard.reason': item.event.reason,
        });
      case 'failover':
        return this.note(item.event.requestId, item.at, 'switchyard.failover', {
          'switchyard.failover.from': item.event.from,
          'switchyard.failover.to': item.event.to,
          'switchyard.reason': item.event.reason,
        });
      case 'hedge.fired':
        return this.note(item.event.requestId, item.at, 'switchyard.hedge', {
          'switchyard.hedge.primary': item.event.primary,
          'switchyard.target': item.event.target,
          'switchyard.hedge.delay_ms': item.event.delayMs,
        });
      case 'hedge.settled':
        return this.note(item.event.requestId, item.at, 'switchyard.hedge_settled', {
          'switchyard.hedge.winner': item.event.winner,
          'switchyard.hedge.result': item.event.result,
        });
      case 'target.skipped':
        if (item.event.requestId === undefined) return;
        return this.note(item.event.requestId, item.at, 'switchyard.target_skipped', {
          'switchyard.target': item.event.target,
          'switchyard.reason': item.event.reason,
          'switchyard.skip.detail': item.event.detail,
        });
      default:
        return;
    }
  }

  private started(e: GatewayEvents['request.started'], at: number): void {
    this.expire(at);
    const known = this.open.get(e.requestId);
    if (known) {
      known.duplicates++;
      known.span.addEvent('switchyard.duplicate_request_id', {}, wall(at));
      return;
    }
    if (this.open.size >= this.maxOpen) {
      const [id, oldest] = this.open.entries().next().value!;
      this.abandon(id, oldest, at, 'too many requests open');
    }
    const span = this.options.tracer.startSpan(
      `${e.endpoint} ${e.route}`,
      { kind: SpanKind.SERVER, startTime: wall(at), attributes: requestStartAttributes(e) },
      remoteParent(e.traceparent, e.tracestate),
    );
    this.open.set(e.requestId, { span, startedAt: at, duplicates: 0 });
  }

  private ended(e: GatewayEvents['request.ended'], at: number): void {
    const req = this.open.get(e.requestId);
    if (!req) return;
    if (req.duplicates > 0) {
      req.duplicates--;
      return;
    }
    this.open.delete(e.requestId);
    this.remember(e.requestId, req);
    const { span } = req;
    span.setAttributes(requestEndAttributes(e));
    // As for HTTP server spans: a 4xx is the client's (or the route's) answer, a 5xx is a failure.
    if (e.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: e.outcome });
    span.end(wall(at));
  }

  /** The attempt's span, built when it ended: it began `durationMs` earlier. */
  private attempt(e: GatewayEvents['attempt.ended'], at: number): void {
    const open = this.open.get(e.requestId);
    const req = open
      ? { parent: trace.setSpan(ROOT_CONTEXT, open.span), startedAt: open.startedAt }
      : this.recent.get(e.requestId);
    if (!req) return;
    const attributes = attemptAttributes(e, this.options.servers.get(e.provider));
    const span = this.options.tracer.startSpan(
      `${e.operation} ${e.model}`,
      { kind: SpanKind.CLIENT, startTime: wall(Math.max(req.startedAt, at - e.durationMs)), attributes },
      req.parent,
    );
    if (e.outcome !== 'ok' && e.outcome !== 'cancelled')
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.reason });
    span.end(wall(at));
  }

  private remember(id: string, req: OpenRequest): void {
    this.recent.delete(id);
    // Only the span's ids: an ended span (its attributes, its events) is not kept alive.
    const parent = trace.setSpanContext(ROOT_CONTEXT, req.span.spanContext());
    this.recent.set(id, { parent, startedAt: req.startedAt });
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value!);
  }

  private note(requestId: string, at: number, name: string, attributes: Attributes): void {
    this.open.get(requestId)?.span.addEvent(name, attributes, wall(at));
  }

  /** Ends requests whose end never came; the oldest are first in the map. */
  private expire(at: number): void {
    for (const [id, req] of this.open) {
      if (at - req.startedAt <= this.options.maxAgeMs) return;
      this.abandon(id, req, at, 'request did not end');
    }
  }

  private abandon(id: string, req: OpenRequest, at: number, why: string): void {
    this.open.delete(id);
    req.span.setAttribute('switchyard.incomplete', why);
    req.span.end(wall(at));
  }
}
