/**
 * The request store: one record per model request the gateway answered (its attempts, decision
 * trace, timings, tokens, cost, status and key name), written off the request path in batches by the
 * recorder (recorder.ts) and read back by the query API (/v1/switchyard/requests, /v1/switchyard/stats).
 * Two backends behind one interface: SQLite on local disk (sqlite.ts) and PostgreSQL (postgres.ts).
 * Never stored: a key's secret or a provider's secret; the prompt and the completion only when
 * `store.capture` asks for them, redacted (docs/observability.md#prompt-and-completion-capture).
 */
import type { EventTokens } from '../core/events.js';
import type { TraceEntry } from '../core/trace.js';

/** One stored request. */
export interface StoredRequest {
  /** When the request ended, Unix epoch milliseconds. */
  time: number;
  requestId: string;
  route: string;
  /** The gateway key's configured name (never the secret); absent without keys. */
  key?: string;
  endpoint: 'chat' | 'embeddings';
  stream: boolean;
  status: number;
  /** `ok`, or the error code the client saw (e.g. `upstream_503`). */
  outcome: string;
  /** The target that answered or was tried last, with its provider and model. */
  target?: string;
  provider?: string;
  model?: string;
  attempts: number;
  totalMs: number;
  ttftMs?: number;
  tokens?: EventTokens;
  costUsd?: number;
  fallbackReason?: string;
  warnings?: string[];
  /** The decision trace: each target tried, hedged, waited for or skipped, and why. */
  trace: TraceEntry[];
  /**
   * With `store.capture`: the messages' text (`role: text`) and the answer's, redacted, at most
   * `maxChars` (then ending with `…`). Read by `get()` only; lists leave them out.
   */
  prompt?: string;
  completion?: string;
}

export type StatsGroupBy = 'route' | 'target' | 'model' | 'key';

/** `recent()`: newest first, every given field must match. */
export interface RecentFilter {
  route?: string;
  key?: string;
  /** The target that answered or was tried last. */
  target?: string;
  /** `ok`, `error`, or one HTTP status. */
  status?: 'ok' | 'error' | number;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  limit: number;
}

export interface StatsQuery {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  by: StatsGroupBy;
  route?: string;
  key?: string;
  /**
   * A time series: one entry per group and bucket of this many ms (empty buckets absent). Buckets line
   * up on whole multiples of their size since the epoch, so the first may start before `since`.
   */
  bucketMs?: number;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/**
 * Aggregates of one group over the window. `by=route|model|key` counts requests; `by=target` counts
 * attempts (every call to a target, failed and abandoned ones included), so that a target's outage
 * shows even when failover saved every request.
 */
export interface StatsGroup {
  /** Time series only: the start of the bucket (ISO 8601). */
  start?: string;
  /** The route, target, model or key name (null: requests without a key, or that reached no target). */
  group: string | null;
  unit: 'request' | 'attempt';
  count: number;
  ok: number;
  errors: number;
  /** ok / count. */
  successRate: number;
  /**
   * Successful requests answered by another target than the first of their plan, because it failed,
   * was skipped (breaker open, cooldown, …) or lost a hedge (requests only; 0 for attempts).
   */
  fallbacks: number;
  /** Over every request (or attempt) of the group, failed ones included. Exact, nearest-rank. */
  latencyMs: Percentiles;
  /** Streams only; null for attempts (the trace does not carry an attempt's first token). */
  ttftMs: Percentiles | null;
  /** Failed requests by the error code the client saw; failed attempts by their failure reason. */
  errorsByClass: Record<string, number>;
  tokens: { prompt: number; completion: number };
  costUsd: number;
  /** Total cost (failed attempts included) divided by successful requests; null without successes. */
  costPerSuccessUsd: number | null;
}

export interface PruneLimits {
  /** Delete records that ended before this (epoch ms). */
  before: number;
  /** Keep at most this many requests (the newest). */
  maxRows: number;
}

export interface RequestStore {
  readonly driver: 'sqlite' | 'postgres';
  /**
   * Writes a batch in one transaction: all of it or none. `batchId` names the batch: PostgreSQL writes it
   * in the same transaction and skips a batch whose id is already stored, so a batch retried after a lost
   * COMMIT reply is not stored twice (SQLite is local: no reply to lose, it ignores the id).
   */
  insert(batch: readonly StoredRequest[], batchId?: string): Promise<void>;
  /** Newest first; without captured text (`prompt`, `completion`): `get()` reads those. */
  recent(filter: RecentFilter): Promise<StoredRequest[]>;
  /** One request by its id, captured text included; the newest when an id was used twice. */
  get(requestId: string): Promise<StoredRequest | undefined>;
  stats(query: StatsQuery): Promise<StatsGroup[]>;
  /** Deletes what retention no longer keeps; returns the requests deleted. */
  prune(limits: PruneLimits): Promise<number>;
  close(): Promise<void>;
}
