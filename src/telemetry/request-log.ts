/**
 * The request log: one JSON line per request with its decision trace (each target tried or skipped and
 * why) and what every attempt cost. Written after the response, never before it.
 */
import type { ResponseMeta, TraceEntry } from '../engine/types.js';

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
  /** Sum of the attempts' costs, failed and abandoned ones included. */
  costUsd?: number;
  trace: TraceEntry[];
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

export function totalCost(trace: TraceEntry[]): number | undefined {
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
  const entries = meta.trace.map(
    (t) => `${t.target} ${t.action} ${t.result}${t.ms !== undefined ? ` ${t.ms}ms` : ''}`,
  );
  if (streaming) entries.push(`${meta.target} attempt streaming`);
  return entries.join('; ');
}
