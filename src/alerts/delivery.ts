/**
 * Delivery of alert messages to one sink: a bounded queue and one sender, so that messages arrive in
 * order (a "resolved" never overtakes its "firing"). Each message is POSTed with a timeout; a network
 * error, a timeout, 408, 425, 429 or a 5xx is retried after a capped exponential backoff with full
 * jitter, or after the receiver's Retry-After when it gives one (capped); another 4xx is final. A
 * message that cannot be delivered, or that a full queue pushes out (the oldest goes), is counted and
 * logged by the sink's name: the URL is a secret (a Slack webhook URL grants posting) and is never
 * logged. Enqueueing is O(1) and never waits: nothing here can slow a request.
 */
import { request, type Dispatcher } from 'undici';
import type { Clock, Random, TimerHandle } from '../core/clock.js';
import { parseRetryAfter } from '../providers/retry-hints.js';
import { backoffDelayMs } from '../resilience/backoff.js';
import type { AlertNotification } from './alert.js';
import { unref } from './manager.js';

export interface DeliverySettings {
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  maxRetryAfterMs: number;
  maxQueued: number;
}

export interface SinkEndpoint {
  /** Shown in logs (never the URL). */
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The request body for a message. */
  render(n: AlertNotification): string;
}

export interface DeliveryStats {
  delivered: number;
  /** Tries that failed and were retried. */
  retries: number;
  /** Messages given up on: retries exhausted, refused by the receiver, or pushed out of a full queue. */
  dropped: number;
}

const RETRYABLE = (status: number): boolean =>
  status === 408 || status === 425 || status === 429 || status >= 500;

type TryResult = { ok: true } | { ok: false; retry: boolean; why: string; retryAfterMs?: number };

export class DeliveryQueue {
  readonly stats: DeliveryStats = { delivered: 0, retries: 0, dropped: 0 };
  readonly #sink: SinkEndpoint;
  readonly #opts: DeliverySettings;
  readonly #clock: Clock;
  readonly #wallNow: () => number;
  readonly #random: Random;
  readonly #dispatcher: Dispatcher;
  readonly #log: (line: string) => void;
  readonly #queue: AlertNotification[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  /** Aborts the try in flight and cuts the wait between tries (on close). */
  #abort = new AbortController();

  constructor(opts: {
    sink: SinkEndpoint;
    settings: DeliverySettings;
    clock: Clock;
    wallNow: () => number;
    random: Random;
    dispatcher: Dispatcher;
    log: (line: string) => void;
  }) {
    this.#sink = opts.sink;
    this.#opts = opts.settings;
    this.#clock = opts.clock;
    this.#wallNow = opts.wallNow;
    this.#random = opts.random;
    this.#dispatcher = opts.dispatcher;
    this.#log = opts.log;
  }

  get queued(): number {
    return this.#queue.length;
  }

  enqueue(n: AlertNotification): void {
    if (this.#closed) return;
    // The message being sent stays; the oldest of those waiting makes room.
    const sending = this.#running ? 1 : 0;
    if (this.#queue.length - sending >= this.#opts.maxQueued) {
      const [old] = this.#queue.splice(sending, 1);
      this.#drop(old!, 'the queue was full');
    }
    this.#queue.push(n);
    this.#kick();
  }

  /**
   * Starts the sender unless it runs. It starts after the current I/O turn: not even the message's
   * rendering runs on the request path that raised the alert. When it ends, it looks again, in case a
   * message came in as it was ending.
   */
  #kick(): void {
    if (this.#running || this.#closed || !this.#queue.length) return;
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#run())
      .finally(() => {
        this.#running = undefined;
        this.#kick();
      });
  }

  /** The sender now (a method, so that a loop sees it change). */
  #sender(): Promise<void> | undefined {
    return this.#running;
  }

  /** Waits up to `flushMs` for the queue to empty, then abandons what is left (counted as dropped). */
  async close(flushMs: number): Promise<void> {
    if (flushMs > 0) {
      let timer: TimerHandle | undefined;
      let late = false;
      const deadline = new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(() => {
          late = true;
          resolve();
        }, flushMs);
        unref(timer);
      });
      // The sender may restart (a message came in as it ended): wait for whichever runs now.
      for (let running = this.#sender(); running && !late; running = this.#sender())
        await Promise.race([running, deadline]);
      if (timer) this.#clock.clearTimeout(timer);
    }
    this.#closed = true;
    this.#abort.abort();
    await this.#running;
    for (const n of this.#queue.splice(0)) this.#drop(n, 'the gateway stopped');
  }

  async #run(): Promise<void> {
    while (this.#queue.length && !this.#closed) {
      const n = this.#queue[0]!;
      const body = this.#sink.render(n);
      let last: TryResult = { ok: false, retry: false, why: 'not tried' };
      for (let attempt = 0; attempt < this.#opts.maxAttempts && !this.#closed; attempt++) {
        if (attempt > 0) {
          this.stats.retries++;
          const backoff = backoffDelayMs(attempt - 1, this.#random, {
            baseMs: this.#opts.backoffBaseMs,
            capMs: this.#opts.backoffCapMs,
          });
          const hint = last.ok ? undefined : last.retryAfterMs;
          await this.#sleep(hint !== undefined ? Math.min(hint, this.#opts.maxRetryAfterMs) : backoff);
          if (this.#closed) break;
        }
        last = await this.#try(body);
        if (last.ok || !last.retry) break;
      }
      this.#queue.shift();
      if (last.ok) this.stats.delivered++;
      else if (!this.#closed) this.#drop(n, last.why);
      else this.#queue.unshift(n); // close() counts it
    }
  }

  async #try(body: string): Promise<TryResult> {
    const controller = new AbortController();
    const onClose = (): void => controller.abort();
    this.#abort.signal.addEventListener('abort', onClose, { once: true });
    const timer = this.#clock.setTimeout(() => controller.abort(), this.#opts.timeoutMs);
    unref(timer);
    try {
      const res = await request(this.#sink.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'switchyard-alerts',
          ...this.#sink.headers,
        },
        body,
        signal: controller.signal,
        dispatcher: this.#dispatcher,
      });
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true };
      const hint = res.headers['retry-after'];
      const retryAfterMs = parseRetryAfter(Array.isArray(hint) ? hint[0] : hint, this.#wallNow());
      return {
        ok: false,
        retry: RETRYABLE(res.statusCode),
        why: `HTTP ${res.statusCode}`,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    } catch (error) {
      // Only the error's code or name: an error message could quote the URL.
      const why = controller.signal.aborted
        ? this.#closed
          ? 'the gateway stopped'
          : `no answer within ${this.#opts.timeoutMs} ms`
        : ((error as { code?: string }).code ?? (error as Error).name ?? 'error');
      return { ok: false, retry: true, why };
    } finally {
      this.#clock.clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', onClose);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      const done = (): void => {
        this.#clock.clearTimeout(timer);
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.#clock.setTimeout(done, ms);
      unref(timer);
      this.#abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  #drop(n: AlertNotification, why: string): void {
    this.stats.dropped++;
    this.#log(`switchyard: alert ${n.status} "${n.key}" to sink "${this.#sink.name}" dropped: ${why}`);
  }
}
