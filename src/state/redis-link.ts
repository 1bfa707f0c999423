/**
 * The gateway's two Redis connections (commands, and pub/sub, which needs its own), loaded only when
 * `state.driver` is `redis`: a gateway without Redis never loads ioredis.
 *
 * Redis being away never stops a request: commands fail fast (no offline queue, a command timeout),
 * the connections reconnect with capped exponential backoff, the outage is logged once when it starts
 * and once when it ends, and `ready` listeners run after every (re)connection so that shared state
 * can catch up (src/state/shared-health.ts).
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';

export interface RedisLinkOptions {
  url: string;
  commandTimeoutMs: number;
  log: Logger;
  /** Longest wait between reconnection attempts. */
  maxBackoffMs?: number;
}

export interface RedisLinkStatus {
  connected: boolean;
  /** Wall-clock time the current outage began (epoch ms), when disconnected. */
  downSince: number | null;
  outages: number;
  lastError: string | null;
}

export class RedisLink {
  readonly command: Redis;
  readonly subscriber: Redis;
  #connected = false;
  #downSince: number | null = null;
  #outages = 0;
  #lastError: string | null = null;
  #closed = false;
  readonly #ready: (() => void)[] = [];
  readonly #log: Logger;

  private constructor(RedisClass: typeof Redis, options: RedisLinkOptions) {
    this.#log = options.log;
    const maxBackoff = options.maxBackoffMs ?? 2_000;
    const common: RedisOptions = {
      retryStrategy: (times: number) => Math.min(25 * 2 ** Math.min(times, 10), maxBackoff),
      enableReadyCheck: true,
      connectionName: 'switchyard',
    };
    this.command = new RedisClass(options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
    });
    // Subscriptions are kept and re-sent by ioredis on every reconnection.
    this.subscriber = new RedisClass(options.url, { ...common, maxRetriesPerRequest: null });
    this.command.on('error', (err: Error) => this.#down(err));
    this.command.on('ready', () => this.#up());
    this.command.on('close', () => this.#down(null));
    // Messages published while the subscriber was away are caught up from the keys.
    this.subscriber.on('error', (err: Error) => (this.#lastError = err.message));
    this.subscriber.on('ready', () => {
      if (this.#connected) for (const listener of this.#ready) listener();
    });
  }

  /** Loads ioredis (only now) and starts connecting; does not wait for Redis to answer. */
  static async open(options: RedisLinkOptions): Promise<RedisLink> {
    const { Redis: RedisClass } = await import('ioredis');
    return new RedisLink(RedisClass, options);
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Called after every (re)connection of the command connection. */
  onReady(listener: () => void): void {
    this.#ready.push(listener);
    if (this.#connected) listener();
  }

  status(): RedisLinkStatus {
    return {
      connected: this.#connected,
      downSince: this.#downSince,
      outages: this.#outages,
      lastError: this.#lastError,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([this.command.quit(), this.subscriber.quit()]);
    this.command.disconnect();
    this.subscriber.disconnect();
  }

  #up(): void {
    const wasDown = this.#downSince !== null;
    this.#connected = true;
    if (wasDown) {
      const ms = Date.now() - this.#downSince!;
      this.#log.info({ outageMs: ms }, 'shared state: Redis is back; catching up');
    }
    this.#downSince = null;
    for (const listener of this.#ready) listener();
  }

  #down(err: Error | null): void {
    if (err) this.#lastError = err.message;
    if (this.#closed || this.#downSince !== null) return;
    this.#downSince = Date.now();
    this.#connected = false;
    this.#outages++;
    this.#log.warn(
      { err: err?.message ?? 'connection closed' },
      'shared state: Redis unreachable; serving on local state and reconnecting',
    );
  }
}
