/**
 * The request log: one JSON line per request with its decision trace (each target tried or skipped and
 * why) and what every attempt cost. A subscriber of `request.ended`, so written after the response,
 * never before it.
 */
import type { EventBus, GatewayEvents } from '../core/events.js';
import { traceLine, type TraceEntry } from '../core/trace.js';
import type { ResponseMeta } from '../engine/types.js';
import type { Logger } from './logger.js';

export interface RequestRecord {
  time: string;
  requestId: string;
  /** Gateway key name, when keys are configured. */
  key?: string;
  model: string;
  endpoint: 'chat' | 'embeddings';
  stream: boolean;
  status: number;
  target?: string;
  attempts: number;
  fallbackReason?: string;
  /** What the answering target's translation changed about the request (dropped parameters, …). */
  warnings?: string[];
  durationMs: number;
  /** Sum of the attempts' costs, failed and abandoned ones included (0 for a cache hit). */
  costUsd?: number;
  /** On routes with a response cache: hit, miss or bypass. */
  cache?: 'hit' | 'miss' | 'bypass';
  trace: readonly TraceEntry[];
}

export interface RequestLogger {
  log(record: RequestRecord): void;
}

export const silentRequestLogger: RequestLogger = { log: () => undefined };

/** JSON lines on a stream (stdout by default). */
export function jsonLinesRequestLogger(
  write: (line: string) => void = (line) => process.stdout.write(line),
): RequestLogger {
  return { log: (record) => write(JSON.stringify(record) + '\n') };
}

/**
 * The records as `request` lines of the operational log (pino, at `info`): `time` is pino's, the rest
 * is the record, redacted and scrubbed like every line of that log.
 */
export function pinoRequestLogger(log: Logger): RequestLogger {
  return {
    log: ({ time: _time, ...record }) => log.info(record, 'request'),
  };
}

/** Logs every model request the gateway answers, until the returned function is called. */
export function logRequests(events: EventBus, logger: RequestLogger): () => void {
  return events.subscribe('request.ended', (e) => logger.log(requestRecord(e)));
}

function requestRecord(e: GatewayEvents['request.ended']): RequestRecord {
  return {
    time: new Date().toISOString(),
    requestId: e.requestId,
    ...(e.key !== undefined ? { key: e.key } : {}),
    model: e.route,
    endpoint: e.endpoint,
    stream: e.stream,
    status: e.status,
    ...(e.target !== undefined ? { target: e.target } : {}),
    attempts: e.attempts,
    ...(e.fallbackReason ? { fallbackReason: e.fallbackReason } : {}),
    ...(e.warnings ? { warnings: e.warnings } : {}),
    durationMs: Math.round(e.totalMs),
    ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
    ...(e.cache ? { cache: e.cache } : {}),
    trace: e.trace,
  };
}

export function totalCost(trace: readonly TraceEntry[]): number | undefined {
  let total: number | undefined;
  for (const entry of trace) if (entry.costUsd !== undefined) total = (total ?? 0) + entry.costUsd;
  return total;
}

/**
 * The compact trace sent in `x-switchyard-trace` when a client asks with `x-switchyard-debug: trace`.
 * A stream's headers go out at its commit point, while the answering attempt is still running: it has
 * no entry yet, so `streaming` adds one (`TARGET attempt streaming`).
 */
export function formatTrace(meta: ResponseMeta, streaming = false): string {
  const entries = meta.trace.map(traceLine);
  if (streaming) entries.push(`${meta.target} attempt streaming`);
  return entries.join('; ');
}
