/**
 * Whether and how to trace, from the standard OpenTelemetry environment variables. Pure: it reads the
 * variables from the object it is given (process.env in production, a literal in tests) and imports
 * nothing of OpenTelemetry, so a gateway without tracing loads none of it.
 *
 * Tracing is opt-in: it is on when OTEL_TRACES_EXPORTER names `otlp`, or when it is unset and an OTLP
 * endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. It is off with
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. Values the gateway cannot honour are reported as
 * warnings (never with a header's value: OTLP headers often carry a collector's token).
 */

export type Env = Record<string, string | undefined>;

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP with JSON bodies). */
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: 'gzip' | 'none';
  sampler: SamplerName;
  /** For the ratio samplers, in [0, 1]. */
  ratio: number;
  serviceName: string;
  /** From OTEL_RESOURCE_ATTRIBUTES (service.name there yields to OTEL_SERVICE_NAME). */
  resource: Record<string, string>;
  /** The batch span processor's bounds (OTEL_BSP_*). */
  batch: {
    maxQueueSize: number;
    maxExportBatchSize: number;
    scheduledDelayMillis: number;
    exportTimeoutMillis: number;
  };
}

export type TracingChoice =
  { enabled: false; warnings: string[] } | { enabled: true; settings: TracingSettings; warnings: string[] };

const DEFAULT_ENDPOINT = 'http://localhost:4318';

export function tracingSettings(env: Env): TracingChoice {
  const warnings: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  if (get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { enabled: false, warnings };
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const exporters = get('OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (exporters) {
    for (const e of exporters)
      if (e !== 'otlp' && e !== 'none')
        warnings.push(`OTEL_TRACES_EXPORTER: "${e}" is not supported (only otlp)`);
    if (!exporters.includes('otlp')) return { enabled: false, warnings };
  } else if (!tracesEndpoint && !endpoint) return { enabled: false, warnings };

  const protocol = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? get('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol === 'grpc') {
    warnings.push('OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported (only http/json); tracing is off');
    return { enabled: false, warnings };
  }
  if (protocol && protocol !== 'http/json') {
    warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not supported; exporting http/json`);
  }

  const url = tracesEndpoint ?? `${(endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    warnings.push('OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT: not an http(s) URL; tracing is off');
    return { enabled: false, warnings };
  }
  const number = (names: string[], fallback: number, min = 1): number => {
    for (const name of names) {
      const raw = get(name);
      if (raw === undefined) continue;
      const n = Number(raw);
      if (Number.isFinite(n) && n >= min) return n;
      warnings.push(`${name}: expected a number ≥ ${min}, got "${raw}"; using ${fallback}`);
      return fallback;
    }
    return fallback;
  };
  const compression =
    (get('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ?? get('OTEL_EXPORTER_OTLP_COMPRESSION')) === 'gzip';
  const resource = keyValues(get('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', warnings);
  const maxQueueSize = number(['OTEL_BSP_MAX_QUEUE_SIZE'], 2048);
  return {
    enabled: true,
    warnings,
    settings: {
      url,
      headers: {
        ...keyValues(get('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS', warnings),
        ...keyValues(get('OTEL_EXPORTER_OTLP_TRACES_HEADERS'), 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', warnings),
      },
      timeoutMs: number(['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'], 10_000),
      compression: compression ? 'gzip' : 'none',
      ...sampler(get('OTEL_TRACES_SAMPLER'), get('OTEL_TRACES_SAMPLER_ARG'), warnings),
      serviceName: get('OTEL_SERVICE_NAME') ?? resource['service.name'] ?? 'switchyard',
      resource,
      batch: {
        maxQueueSize,
        maxExportBatchSize: Math.min(number(['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'], 512), maxQueueSize),
        scheduledDelayMillis: number(['OTEL_BSP_SCHEDULE_DELAY'], 5_000, 0),
        exportTimeoutMillis: number(['OTEL_BSP_EXPORT_TIMEOUT'], 30_000),
      },
    },
  };
}

function sampler(
  name: string | undefined,
  arg: string | undefined,
  warnings: string[],
): { sampler: SamplerName; ratio: number } {
  let chosen: SamplerName = 'parentbased_always_on';
  if (name !== undefined) {
    if ((SAMPLERS as readonly string[]).includes(name)) chosen = name as SamplerName;
    else warnings.push(`OTEL_TRACES_SAMPLER: "${name}" is not supported; using parentbased_always_on`);
  }
  let ratio = 1;
  if (chosen.endsWith('traceidratio') && arg !== undefined) {
    const n = Number(arg);
    if (Number.isFinite(n) && n >= 0 && n <= 1) ratio = n;
    else warnings.push(`OTEL_TRACES_SAMPLER_ARG: expected a ratio in [0, 1], got "${arg}"; using 1`);
  }
  return { sampler: chosen, ratio };
}

/** `k1=v1,k2=v2` with percent-encoded values (the W3C Baggage format the OTel variables use). */
function keyValues(raw: string | undefined, name: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim();
    let value: string | undefined;
    try {
      value = eq === -1 ? undefined : decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      value = undefined;
    }
    // The value is not quoted: it may be a credential.
    if (!key || value === undefined || key === '__proto__')
      warnings.push(`${name}: an entry is not key=value; ignored`);
    else out[key] = value;
  }
  return out;
}
