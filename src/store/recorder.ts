/**
 * The recorder: a subscriber of `request.ended` that keeps the request store filled without ever
 * touching a request. The listener only appends the event to a bounded queue (the response has been
 * sent already); records are built and written in batches from a timer, when `batch.maxSize` are
 * waiting or every `batch.flushIntervalMs`. A store that fails or cannot be reached is retried with
 * jittered exponential backoff while the queue holds what it can; whatever does not fit is dropped,
 * counted (`counters.dropped`, the `switchyard_store_dropped_records_total` metric) and logged, never
 * silently. A batch whose write failed is retried as it was, under the same id, so that a store that
 * committed it but lost the reply does not store it twice (postgres.ts). Retention runs on the same timer. `close()` writes what is left, then closes the store.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Random, TimerHandle } from '../core/clock.js';
import type { EventBus, GatewayEvents } from '../core/events.js';
import type { TraceEntry } from '../core/trace.js';
import { backoffDelayMs } from '../resilience/backoff.js';
import type { RequestStore, StoredRequest } from './types.js';

export interface RecorderOptions {
  /** Opens the store; retried with backoff until it succeeds. */
  open: () => Promise<RequestStore>;
  events: EventBus;
  clock: Clock;
  /** Epoch ms, for the records' times and retention. */
  wallNow: () => number;
  random: Random;
  batch: { maxSize: number; flushIntervalMs: number; maxQueued: number };
  retention: { maxAgeMs: number; maxRows: number; pruneIntervalMs: number };
  log?: (line: string) => void;
  /**
   * Redacts configured secrets from text that may come from upstream (a provider's error code becomes
   * the outcome). Nothing stored may contain a secret, even one a hostile upstream echoes back.
   */
  scrub?: (text: string) => string;
  /** Redacts and bounds captured prompts and completions (store.capture; src/store/redact.ts). */
  redactCapture?: (text: string) => string;
}

export interface RecorderCounters {
  /** Records written to the store. */
  written: number;
  /** Records lost: the queue was full, or the store still failed when the gateway closed. */
  dropped: number;
  /** Failed attempts to open the store or write a batch. */
  failures: number;
}

/** What GET /v1/switchyard/state shows of the recorder. */
export interface RecorderStatus extends RecorderCounters {
  /** Records waiting to be written (buffered while the store is away). */
  queued: number;
  /** The bound on `queued` (`store.batch.maxQueued`): beyond it records are dropped and counted. */
  maxQueued: number;
  /** Wall-clock time (epoch ms) of the first failure of the current run of failures, else null. */
  failingSince: number | null;
}

interface Pending {
  event: GatewayEvents['request.ended'];
  time: number;
}

/** Backoff between failed writes: U(0, min(30 s, 500 ms · 2^n)). */
const RETRY_BACKOFF = { baseMs: 500, capMs: 30_000 };

export class StoreRecorder {
  readonly counters: RecorderCounters = { written: 0, dropped: 0, failures: 0 };
  private storeHandle: RequestStore | undefined;
  private queue: Pending[] = [];
  private busy: Promise<void> | undefined;
  private timer: { handle: TimerHandle; due: number } | undefined;
  private consecutiveFailures = 0;
  private retryAt = 0;
  private pruneAt = 0;
  private unreportedDrops = 0;
  private failingSince: number | null = null;
  /** Names this recorder's batches (with a sequence number): a retried batch keeps its name. */
  private readonly batchPrefix = randomBytes(8).toString('hex');
  private batchSeq = 0;
  /** The oldest batch, once a write of it failed: retried as it was (same records, same id). */
  private retrying: { id: string; size: number } | undefined;
  private closing = false;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly log: (line: string) => void;
  private readonly scrub: (text: string) => string;

  constructor(private readonly options: RecorderOptions) {
    this.log = options.log ?? ((line) => console.error(line));
    this.scrub = options.scrub ?? ((text) => text);
    this.unsubscribe = options.events.subscribe('request.ended', (event) => this.enqueue(event));
    this.arm(0);
  }

  /** The store, once open (undefined while it is being opened or cannot be reached). */
  get store(): RequestStore | undefined {
    return this.storeHandle;
  }

  /** Epoch ms on the recorder's wall clock (the one its records are stamped with). */
  wallNow(): number {
    return this.options.wallNow();
  }

  get queued(): number {
    return this.queue.length;
  }

  status(): RecorderStatus {
    return {
      ...this.counters,
      queued: this.queue.length,
      maxQueued: this.options.batch.maxQueued,
      failingSince: this.failingSince,
    };
  }

  /** The listener: O(1), no I/O, no record building. */
  private enqueue(event: GatewayEvents['request.ended']): void {
    if (this.queue.length >= this.options.batch.maxQueued) {
      this.drop(1, `the queue is full (${this.queue.length})`);
      return;
    }
    this.queue.push({ event, time: this.options.wallNow() });
    if (this.queue.length >= this.options.batch.maxSize) this.arm(0);
  }

  private drop(n: number, why: string): void {
    if (this.unreportedDrops === 0) this.log(`switchyard: request store: dropping records: ${why}`);
    this.counters.dropped += n;
    this.unreportedDrops += n;
  }

  /** (Re)schedules the next turn no later than `ms` from now. */
  private arm(ms: number): void {
    if (this.closing) return;
    const due = this.options.clock.now() + ms;
    if (this.timer && this.timer.due <= due) return;
    if (this.timer) this.options.clock.clearTimeout(this.timer.handle);
    this.timer = { due, handle: this.options.clock.setTimeout(() => this.turn(), ms) };
  }

  private turn(): void {
    this.timer = undefined;
    if (this.closed) return;
    if (!this.busy) {
      const work = this.work();
      if (work) {
        this.busy = work.finally(() => {
          this.busy = undefined;
          this.arm(this.workDue() ? 0 : this.options.batch.flushIntervalMs);
        });
        return;
      }
    }
    this.arm(this.options.batch.flushIntervalMs);
  }

  /** Whether the next step should not wait for the interval: a prune due, or a full batch waiting. */
  private workDue(): boolean {
    const now = this.options.clock.now();
    if (!this.storeHandle || now < this.retryAt) return false;
    return now >= this.pruneAt || this.queue.length >= this.options.batch.maxSize;
  }

  /** One step: open the store, prune, or write a batch — or nothing to do. */
  private work(): Promise<void> | undefined {
    const now = this.options.clock.now();
    if (now < this.retryAt) return undefined;
    if (!this.storeHandle) return this.openStore();
    if (now >= this.pruneAt) return this.prune(this.storeHandle);
    if (this.queue.length) return this.writeBatch(this.storeHandle).then(() => undefined);
    return undefined;
  }

  private async openStore(): Promise<void> {
    try {
      this.storeHandle = await this.options.open();
      this.succeeded();
    } catch (error) {
      this.failed('cannot open the store', error);
    }
  }

  private async prune(store: RequestStore): Promise<void> {
    this.pruneAt = this.options.clock.now() + this.options.retention.pruneIntervalMs;
    try {
      await store.prune({
        before: this.options.wallNow() - this.options.retention.maxAgeMs,
        maxRows: this.options.retention.maxRows,
      });
    } catch (error) {
      // Not a write failure: records are not at risk, the next prune tries again.
      this.log(`switchyard: request store: pruning failed: ${describe(error)}`);
    }
  }

  /** Writes the oldest batch; true when it was written. The batch leaves the queue only once stored. */
  private async writeBatch(store: RequestStore): Promise<boolean> {
    // A batch that failed is retried with the same records and id: if its COMMIT went through and only
    // the reply was lost, the store recognises the id and does not write it twice.
    const { id, size } = this.retrying ?? {
      id: `${this.batchPrefix}-${++this.batchSeq}`,
      size: Math.min(this.queue.length, this.options.batch.maxSize),
    };
    const batch = this.queue.slice(0, size);
    try {
      await store.insert(
        batch.map((p) => toRecord(p, this.scrub, this.options.redactCapture)),
        id,
      );
    } catch (error) {
      this.retrying = { id, size };
      this.failed(`writing ${batch.length} records failed`, error);
      return false;
    }
    this.retrying = undefined;
    this.queue.splice(0, batch.length);
    this.counters.written += batch.length;
    this.succeeded();
    return true;
  }

  private succeeded(): void {
    if (this.consecutiveFailures > 0) this.log('switchyard: request store: writing again');
    this.consecutiveFailures = 0;
    this.failingSince = null;
    this.retryAt = 0;
    if (this.unreportedDrops > 0) {
      this.log(
        `switchyard: request store: dropped ${this.unreportedDrops} records (${this.counters.dropped} in all)`,
      );
      this.unreportedDrops = 0;
    }
  }

  private failed(what: string, error: unknown): void {
    this.counters.failures++;
    const n = ++this.consecutiveFailures;
    this.failingSince ??= this.options.wallNow();
    const wait = Math.max(50, backoffDelayMs(n - 1, this.options.random, RETRY_BACKOFF));
    this.retryAt = this.options.clock.now() + wait;
    // The 1st, 2nd, 4th, 8th… failure in a row: an outage of the store does not flood the log.
    if ((n & (n - 1)) === 0) {
      this.log(
        `switchyard: request store: ${what} (${n} in a row, ${this.queue.length} queued): ${describe(error)}`,
      );
    }
  }

  /**
   * Writes everything queued now (one try per batch, no backoff); false if a write failed. It holds the
   * recorder busy meanwhile, so that a timer's turn never writes the same batch a second time.
   */
  async flush(): Promise<boolean> {
    while (this.busy) await this.busy;
    const run = this.writeAll();
    const busy = run.then(
      () => undefined,
      () => undefined,
    );
    this.busy = busy;
    try {
      return await run;
    } finally {
      if (this.busy === busy) this.busy = undefined;
    }
  }

  private async writeAll(): Promise<boolean> {
    // Nothing to write and never opened (a gateway that failed to start): no store to create.
    if (!this.storeHandle && this.queue.length) await this.openStore();
    const store = this.storeHandle;
    if (!store) return this.queue.length === 0;
    while (this.queue.length) {
      if (!(await this.writeBatch(store))) return false;
    }
    return true;
  }

  /** Stops listening, writes what is left (what cannot be written is counted as dropped), closes the store. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe();
    if (this.timer) this.options.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
    if (this.queue.length) {
      this.drop(this.queue.length, 'the store failed while the gateway closed');
      this.queue = [];
      this.retrying = undefined;
    }
    if (this.unreportedDrops > 0) {
      this.log(`switchyard: request store: dropped ${this.counters.dropped} records in all`);
      this.unreportedDrops = 0;
    }
    await this.storeHandle?.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Longest text kept in a field that may come from upstream (an error code, a reason). */
const MAX_TEXT = 200;
/** Control characters are replaced: PostgreSQL refuses NUL in text, and one bad record would block its batch. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * The stored record of a request: only what the event carries (the prompt and the completion only when
 * captured, redacted), with the text that may come from upstream scrubbed of secrets, clipped and rid
 * of control characters.
 */
export function toRecord(
  { event: e, time }: Pending,
  scrub: (text: string) => string = (t) => t,
  redactCapture: (text: string) => string = scrub,
): StoredRequest {
  const clean = (text: string): string =>
    scrub(text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text).replace(CONTROL, '?');
  // A routing policy's rank entry is the gateway's own words and a number (`least-latency:latency*load=
  // 12.5`), never text from upstream: stored as traced. A scrub costs some 8 k instructions per entry,
  // and a ranked request has one such entry per candidate.
  const storedEntry = (t: TraceEntry): TraceEntry =>
    t.action === 'rank' ? t : { ...t, result: clean(t.result) };
  // Built field by field: conditional spreads cost microseconds per record (docs/PERFORMANCE.md).
  const record: StoredRequest = {
    time,
    requestId: e.requestId,
    route: e.route,
    endpoint: e.endpoint,
    stream: e.stream,
    status: e.status,
    outcome: clean(e.outcome),
    attempts: e.attempts,
    totalMs: e.totalMs,
    trace: e.trace.map(storedEntry),
  };
  if (e.key !== undefined) record.key = e.key;
  if (e.target !== undefined) record.target = e.target;
  if (e.provider !== undefined) record.provider = e.provider;
  if (e.model !== undefined) record.model = e.model;
  if (e.ttftMs !== undefined) record.ttftMs = e.ttftMs;
  if (e.tokens) record.tokens = e.tokens;
  if (e.costUsd !== undefined) record.costUsd = e.costUsd;
  if (e.fallbackReason) record.fallbackReason = clean(e.fallbackReason);
  if (e.warnings) record.warnings = e.warnings.map(clean);
  if (e.capture?.prompt !== undefined) record.prompt = redactCapture(e.capture.prompt);
  if (e.capture?.completion !== undefined) record.completion = redactCapture(e.capture.completion);
  return record;
}
