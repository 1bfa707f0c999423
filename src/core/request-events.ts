/**
 * One request's publisher. The engine, routing and health publish a request's events here; each goes
 * to the request's own subscriber, its decision trace (TRACE_OF, src/core/trace.ts), and on to the
 * gateway's bus when anyone listens there. So the trace is built from the same typed events metrics,
 * alerts, the request log and tracing see, and no code writes a trace entry of its own.
 *
 * Cost: a per-request subscriber needs no lookup by request id (the trace is this object's), and
 * `wants` stays one property read for the events the trace does not take.
 */
import type { EventBus, EventName, GatewayEvents, Publisher } from './events.js';
import { TRACE_OF, type TraceEntry } from './trace.js';

export class RequestEvents implements Publisher {
  /** The decision trace so far (shared with the response meta and `request.ended`: read, never change). */
  readonly trace: TraceEntry[] = [];

  constructor(private readonly bus: EventBus) {}

  wants(name: EventName): boolean {
    return TRACE_OF[name] !== undefined || this.bus.wants(name);
  }

  publish<K extends EventName>(name: K, event: GatewayEvents[K]): void {
    const tracer = TRACE_OF[name];
    if (tracer) tracer(event, this.trace);
    this.bus.publish(name, event);
  }
}
