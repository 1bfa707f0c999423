/**
 * OpenTelemetry tracing, optional: on when the standard OTEL_* variables ask for it
 * (tracing-config.ts). Only then are the SDK and the span builder imported (dynamic import), so a
 * gateway without tracing loads none of OpenTelemetry and pays nothing per request.
 */
import type { EventBus } from '../core/events.js';
import type { ResolvedConfig } from '../config/types.js';
import type { Logger } from './logger.js';
import { tracingSettings, type Env } from './tracing-config.js';

export interface Tracing {
  /** Request spans open now (requests in flight). */
  readonly openSpans: number;
  /** Builds what is queued now (tests). */
  flush(): void;
  /** Ends what is open, exports what is queued (bounded by the export timeout), stops. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  events: EventBus;
  config: ResolvedConfig;
  log: Logger;
  version: string;
  /** Where the OTEL_* variables are read; process.env by default. */
  env?: Env;
}

/** Slack over the longest request deadline before an open request span is taken as lost. */
const LOST_AFTER_MS = 60_000;

export async function startTracing(options: TracingOptions): Promise<Tracing | undefined> {
  const { events, config, log } = options;
  const choice = tracingSettings(options.env ?? process.env);
  for (const warning of choice.warnings) log.warn({ component: 'tracing' }, warning);
  if (!choice.enabled) return undefined;
  const { settings } = choice;
  const [{ createSdk }, { RequestSpans }] = await Promise.all([
    import('./otel-sdk.js'),
    import('./request-spans.js'),
  ]);
  const endpoint = withoutCredentials(settings.url);
  const sdk = createSdk({
    settings,
    version: options.version,
    onExport: (ok, error) =>
      ok
        ? log.info({ component: 'tracing', endpoint }, 'span export works again')
        : log.warn(
            { component: 'tracing', endpoint, err: error },
            'span export failed; spans are being dropped',
          ),
  });
  const spans = new RequestSpans({
    events,
    tracer: sdk.tracer,
    servers: serversOf(config),
    maxAgeMs: Math.max(0, ...[...config.routes.values()].map((r) => r.timeouts.requestMs)) + LOST_AFTER_MS,
    maxOpen: config.server.maxConnections,
    onDropped: (count) => log.warn({ component: 'tracing', count }, 'trace events dropped (queue full)'),
    onError: (err) => log.error({ component: 'tracing', err }, 'building a span failed'),
  });
  log.info(
    { component: 'tracing', endpoint, sampler: settings.sampler, service: settings.serviceName },
    'tracing on',
  );
  let stopped: Promise<void> | undefined;
  return {
    get openSpans() {
      return spans.size;
    },
    flush: () => spans.flush(),
    shutdown() {
      stopped ??= (async () => {
        spans.close();
        const ok = await withinMs(sdk.shutdown(), settings.timeoutMs);
        if (!ok) log.warn({ component: 'tracing', endpoint }, 'span export did not finish before shutdown');
      })();
      return stopped;
    },
  };
}

/** Each provider's host and port, for the attempt spans' server.address and server.port. */
function serversOf(config: ResolvedConfig): Map<string, { address: string; port: number }> {
  const out = new Map<string, { address: string; port: number }>();
  for (const [name, provider] of config.providers) {
    if (!URL.canParse(provider.baseUrl)) continue;
    const url = new URL(provider.baseUrl);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    out.set(name, { address: url.hostname.replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** Whether `work` settled within `ms` (it goes on in the background otherwise). */
async function withinMs(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true as const,
        () => true as const,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
