/**
 * The OpenTelemetry SDK, built from TracingSettings: a tracer provider of the gateway's own (never
 * registered globally, so two gateways in one process stay apart), a batch span processor (bounded
 * queue, exports in the background) and the OTLP/HTTP exporter (JSON). Imported only when tracing is
 * on (src/telemetry/tracing.ts).
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerName, TracingSettings } from './tracing-config.js';

export interface Sdk {
  tracer: Tracer;
  /** Exports what is queued (and waits for it). */
  flush(): Promise<void>;
  /** Exports what is queued, then stops. */
  shutdown(): Promise<void>;
}

export interface SdkOptions {
  settings: TracingSettings;
  version: string;
  /** An export failed (told once until an export succeeds again), or recovered. */
  onExport: (ok: boolean, error?: Error) => void;
}

export function createSdk({ settings, version, onExport }: SdkOptions): Sdk {
  const exporter = reporting(
    new OTLPTraceExporter({
      url: settings.url,
      headers: settings.headers,
      timeoutMillis: settings.timeoutMs,
      compression: settings.compression as never,
    }),
    onExport,
  );
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...settings.resource,
      'service.name': settings.serviceName,
      ...(settings.resource['service.version'] ? {} : { 'service.version': version }),
    }),
  );
  const provider = new BasicTracerProvider({
    resource,
    sampler: buildSampler(settings.sampler, settings.ratio),
    spanProcessors: [new BatchSpanProcessor(exporter, settings.batch)],
  });
  return {
    tracer: provider.getTracer('switchyard', version),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function buildSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The exporter, telling when exports start failing and when they work again. */
function reporting(inner: SpanExporter, onExport: SdkOptions['onExport']): SpanExporter {
  let failing = false;
  return {
    export(spans: ReadableSpan[], done) {
      inner.export(spans, (result) => {
        // ExportResultCode: 0 = SUCCESS, 1 = FAILED.
        const ok = result.code === 0;
        if (ok === failing) onExport(ok, result.error);
        failing = !ok;
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
