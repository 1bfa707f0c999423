import { SpanKind, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  AlwaysOnSampler,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, type GatewayEvents } from '../core/events.js';
import { RequestSpans } from './request-spans.js';
import { remoteParent } from './trace-context.js';
import { tracingSettings } from './tracing-config.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
afterEach(() => exporter.reset());

function setup(options: { maxAgeMs?: number; maxOpen?: number } = {}) {
  const events = new EventBus();
  let now = 1;
  const spans = new RequestSpans({
    events,
    tracer: provider.getTracer('test'),
    servers: new Map([['p', { address: 'api.example.com', port: 443 }]]),
    maxAgeMs: options.maxAgeMs ?? 10_000,
    ...(options.maxOpen !== undefined ? { maxOpen: options.maxOpen } : {}),
    now: () => now,
  });
  const start = (requestId: string): void =>
    events.publish('request.started', { requestId, route: 'r', endpoint: 'chat', stream: false });
  const end = (requestId: string, extra: Partial<GatewayEvents['request.ended']> = {}): void =>
    events.publish('request.ended', {
      requestId,
      route: 'r',
      endpoint: 'chat',
      stream: false,
      status: 200,
      outcome: 'ok',
      attempts: 1,
      totalMs: 5,
      trace: [],
      ...extra,
    });
  return {
    events,
    spans,
    start,
    end,
    at: (t: number) => {
      now = t;
    },
  };
}

const names = (): string[] => exporter.getFinishedSpans().map((s) => s.name);

describe('request spans', () => {
  it('nothing is built on the request path: events wait for the batch (or an explicit flush)', () => {
    const { spans, start, end } = setup();
    start('a');
    end('a');
    expect(names()).toEqual([]);
    spans.flush();
    expect(names()).toEqual(['chat r']);
    expect(spans.size).toBe(0);
  });

  it('an attempt span starts durationMs before its end, under the request span', () => {
    const { events, spans, start, end, at } = setup();
    at(100);
    start('a');
    at(400);
    events.publish('attempt.ended', {
      requestId: 'a',
      route: 'r',
      target: 'p/m',
      provider: 'p',
      model: 'm',
      operation: 'chat',
      stream: false,
      outcome: 'cancelled',
      reason: 'lost_race',
      durationMs: 250,
      tokens: { prompt: 3, completion: Number.NaN, estimated: true },
      countsAgainstBreaker: false,
    });
    end('a');
    spans.flush();
    const [attempt, request] = exporter.getFinishedSpans();
    expect(attempt!.kind).toBe(SpanKind.CLIENT);
    expect(attempt!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
    const ms = (t: [number, number]): number => t[0] * 1e3 + t[1] / 1e6;
    expect(ms(attempt!.endTime) - ms(attempt!.startTime)).toBeCloseTo(250, 3);
    expect(attempt!.attributes).toMatchObject({
      'server.address': 'api.example.com',
      'server.port': 443,
      'switchyard.reason': 'lost_race',
      'gen_ai.usage.input_tokens': 3,
      'switchyard.usage.estimated': true,
    });
    // Cancelled is not a failure; a NaN from the upstream is not reported.
    expect(attempt!.attributes).not.toHaveProperty('error.type');
    expect(attempt!.attributes).not.toHaveProperty('gen_ai.usage.output_tokens');
    expect(attempt!.status.code).toBe(0);
  });

  it('an attempt that ends after its request (a hedge that lost) is still a child of it', () => {
    const { events, spans, start, end } = setup();
    start('a');
    end('a');
    events.publish('attempt.ended', {
      requestId: 'a',
      route: 'r',
      target: 'p/m',
      provider: 'p',
      model: 'm',
      operation: 'chat',
      stream: true,
      outcome: 'cancelled',
      reason: 'lost_race',
      durationMs: 10,
      countsAgainstBreaker: false,
    });
    spans.flush();
    const [request, attempt] = exporter.getFinishedSpans();
    expect(attempt!.parentSpanContext?.spanId).toBe(request!.spanContext().spanId);
    expect(attempt!.spanContext().traceId).toBe(request!.spanContext().traceId);
  });

  it('a request whose end never comes is ended as incomplete once older than maxAgeMs', () => {
    const { spans, start, at } = setup({ maxAgeMs: 1_000 });
    at(10);
    start('lost');
    at(500);
    start('young');
    spans.flush();
    expect(spans.size).toBe(2);
    at(1_200);
    start('next');
    spans.flush();
    expect(spans.size).toBe(2);
    const [lost] = exporter.getFinishedSpans();
    expect(lost!.attributes).toMatchObject({
      'switchyard.request_id': 'lost',
      'switchyard.incomplete': 'request did not end',
    });
  });

  it('at most maxOpen request spans: the oldest is ended to make room; close ends the rest', () => {
    const { spans, start } = setup({ maxOpen: 2 });
    for (const id of ['a', 'b', 'c']) start(id);
    spans.flush();
    expect(spans.size).toBe(2);
    expect(exporter.getFinishedSpans().map((s) => s.attributes['switchyard.request_id'])).toEqual(['a']);
    spans.close();
    expect(spans.size).toBe(0);
    expect(exporter.getFinishedSpans()).toHaveLength(3);
  });

  it('a request id reused by a concurrent request: one span, ended by the last end', () => {
    const { spans, start, end } = setup();
    start('same');
    start('same');
    end('same');
    spans.flush();
    expect(spans.size).toBe(1);
    end('same', { status: 502, outcome: 'upstream_502' });
    spans.flush();
    expect(spans.size).toBe(0);
    const [span] = exporter.getFinishedSpans();
    expect(span!.events.map((e) => e.name)).toEqual(['switchyard.duplicate_request_id']);
    expect(span!.status.code).toBe(2);
  });
});

describe('a span that cannot be built', () => {
  it('is reported, and the rest of the batch is built (nothing throws out of the batch)', () => {
    const events = new EventBus();
    const errors: unknown[] = [];
    const tracer = provider.getTracer('test');
    let calls = 0;
    const failing = {
      ...tracer,
      startSpan: (...args: Parameters<typeof tracer.startSpan>) => {
        if (calls++ === 0) throw new Error('boom');
        return tracer.startSpan(...args);
      },
    } as typeof tracer;
    const spans = new RequestSpans({
      events,
      tracer: failing,
      servers: new Map(),
      maxAgeMs: 1_000,
      onError: (e) => errors.push(e),
    });
    for (const requestId of ['a', 'b'])
      events.publish('request.started', { requestId, route: 'r', endpoint: 'chat', stream: false });
    expect(() => spans.flush()).not.toThrow();
    expect(errors).toEqual([new Error('boom')]);
    expect(spans.size).toBe(1);
  });
});

describe('W3C traceparent', () => {
  const id = (ctx: ReturnType<typeof remoteParent>) => trace.getSpanContext(ctx);
  it('continues a valid one, with its flags and tracestate', () => {
    const ctx = remoteParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'a=1,b=2');
    expect(id(ctx)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(id(ctx)!.traceState!.get('b')).toBe('2');
  });
  it.each([
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01, 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  ])('ignores %s (a new trace)', (header) => {
    expect(remoteParent(header, undefined)).toBe(ROOT_CONTEXT);
  });
  it('a later version may carry more fields', () => {
    expect(
      id(remoteParent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what', undefined)),
    ).toMatchObject({
      traceFlags: 0,
    });
  });
});

describe('tracing settings from OTEL_* variables', () => {
  it('off without any variable, with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', () => {
    expect(tracingSettings({}).enabled).toBe(false);
    expect(
      tracingSettings({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled,
    ).toBe(false);
    expect(
      tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled,
    ).toBe(false);
  });

  it('on with an endpoint or OTEL_TRACES_EXPORTER=otlp; the standard defaults', () => {
    const c = tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' });
    expect(c).toMatchObject({
      enabled: true,
      warnings: [],
      settings: {
        url: 'http://localhost:4318/v1/traces',
        timeoutMs: 10_000,
        sampler: 'parentbased_always_on',
        serviceName: 'switchyard',
        batch: { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000 },
      },
    });
    const t = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t.example/otlp/traces',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=x%3Dy',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'a=2',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,k=v',
    });
    expect(t).toMatchObject({
      enabled: true,
      settings: {
        url: 'https://t.example/otlp/traces',
        sampler: 'parentbased_traceidratio',
        ratio: 0.25,
        headers: { a: '2', b: 'x=y' },
        serviceName: 'from-resource',
        resource: { k: 'v' },
      },
    });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toMatchObject({
      settings: { url: 'http://c:4318/v1/traces' },
    });
  });

  it('what it cannot honour is a warning (never a header value); grpc turns it off', () => {
    const c = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      OTEL_TRACES_SAMPLER_ARG: '7',
      OTEL_EXPORTER_OTLP_HEADERS: 'token-without-equals-secret',
    });
    expect(c.enabled).toBe(true);
    expect(c.warnings.join('\n')).toMatch(/http\/protobuf.*exporting http\/json/);
    expect(c.warnings.join('\n')).toMatch(/jaeger_remote/);
    expect(c.warnings.join('\n')).not.toContain('token-without-equals-secret');
    expect(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    ).toMatchObject({
      enabled: false,
      warnings: [expect.stringMatching(/grpc is not supported/)],
    });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).enabled).toBe(false);
  });
});
