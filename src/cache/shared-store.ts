/**
 * The response cache shared through Redis (docs/caching.md#shared-through-redis), built when
 * `state.driver` is `redis` and `cache.shared` is not false: an answer stored by one gateway instance
 * is a hit on every other.
 *
 * Two tiers: this process's LRU (the same `MemoryLruStore` the local cache uses) in front, Redis
 * behind. A lookup reads the LRU first (no round trip), then one `GET <prefix>:cache:<key>`, waiting
 * `lookupTimeoutMs` at most; what Redis holds is copied into the LRU for the entry's remaining TTL. A
 * store writes the LRU and one `SET … PX ttl` (not awaited by the request). Redis unreachable, slow or
 * failing is a miss, never an error: each such lookup or write is counted (`counters`, on /metrics).
 *
 * The value is compact bytes: `[1,<stored at, epoch ms>,<ttl ms>,<target>,<completion>]` as UTF-8 JSON,
 * the completion as the local store holds it. No value larger than `maxEntryBytes` is ever written.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.js';
import type { ChatCompletion } from '../core/chat.js';
import type { CachedAnswer } from './answer.js';
import type { CacheStore, MemoryLruStore, StoredValue } from './store.js';

export interface SharedCacheCounters {
  /** Lookups answered from this process's LRU (no round trip). */
  localHits: number;
  /** Lookups answered from Redis. */
  sharedHits: number;
  /** Lookups Redis answered with nothing. */
  misses: number;
  /** Lookups given up after `lookupTimeoutMs` (the request went on as a miss). */
  timeouts: number;
  /** Lookups that failed (a Redis error, an unreadable value). */
  errors: number;
  /** Lookups not sent because Redis was not connected. */
  unavailable: number;
  /** Entries written to Redis. */
  writes: number;
  /** Writes that failed, or were not sent because Redis was not connected. */
  writeFailures: number;
  /** Answers not written to Redis because their encoding is larger than `maxEntryBytes`. */
  tooLarge: number;
}

export interface SharedCacheStoreOptions {
  redis: Pick<Redis, 'getBuffer' | 'set'>;
  link: { readonly connected: boolean };
  /** `state.prefix`: keys are `<prefix>:cache:<key>`. */
  prefix: string;
  /** The local tier (this process's LRU). */
  local: MemoryLruStore<CachedAnswer>;
  maxEntryBytes: number;
  lookupTimeoutMs: number;
  /** Timers for the lookup's time budget. */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Epoch milliseconds: ages and expiries travel between hosts as wall-clock time. */
  wallNow: () => number;
}

const TIMED_OUT = Symbol('timed out');

export class SharedCacheStore implements CacheStore<CachedAnswer> {
  readonly counters: SharedCacheCounters = {
    localHits: 0,
    sharedHits: 0,
    misses: 0,
    timeouts: 0,
    errors: 0,
    unavailable: 0,
    writes: 0,
    writeFailures: 0,
    tooLarge: 0,
  };
  readonly #o: SharedCacheStoreOptions;
  readonly #prefix: string;

  constructor(options: SharedCacheStoreOptions) {
    this.#o = options;
    this.#prefix = `${options.prefix}:cache:`;
  }

  async get(key: string): Promise<StoredValue<CachedAnswer> | undefined> {
    const local = this.#o.local.read(key);
    if (local) {
      this.counters.localHits++;
      return local;
    }
    if (!this.#o.link.connected) {
      this.counters.unavailable++;
      return undefined;
    }
    let bytes: Buffer | null | typeof TIMED_OUT;
    try {
      bytes = await this.#within(this.#o.redis.getBuffer(this.#prefix + key));
    } catch {
      this.counters.errors++;
      return undefined;
    }
    if (bytes === TIMED_OUT) {
      this.counters.timeouts++;
      return undefined;
    }
    if (bytes === null) {
      this.counters.misses++;
      return undefined;
    }
    const entry = decodeEntry(bytes);
    if (!entry) {
      this.counters.errors++;
      return undefined;
    }
    const now = this.#o.wallNow();
    // Hosts' clocks may disagree a little: an age is never negative.
    const ageMs = Math.max(0, now - entry.storedAt);
    const leftMs = entry.storedAt + entry.ttlMs - now;
    if (leftMs <= 0) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.sharedHits++;
    this.#o.local.write(key, entry.answer, bytes.length, leftMs, ageMs);
    return { value: entry.answer, ageMs };
  }

  set(key: string, value: CachedAnswer, bytes: number, ttlMs: number): Promise<boolean> {
    this.#o.local.write(key, value, bytes, ttlMs);
    const encoded = encodeEntry(value, this.#o.wallNow(), ttlMs);
    if (encoded.length > this.#o.maxEntryBytes) {
      this.counters.tooLarge++;
      return Promise.resolve(false);
    }
    if (!this.#o.link.connected) {
      this.counters.writeFailures++;
      return Promise.resolve(false);
    }
    return this.#o.redis.set(this.#prefix + key, encoded, 'PX', ttlMs).then(
      () => {
        this.counters.writes++;
        return true;
      },
      () => {
        this.counters.writeFailures++;
        return false;
      },
    );
  }

  size(): { entries: number; bytes: number } {
    return this.#o.local.size();
  }

  /** The command's answer, or TIMED_OUT once `lookupTimeoutMs` has passed (the command is left to end). */
  #within<T>(command: Promise<T>): Promise<T | typeof TIMED_OUT> {
    const { clock, lookupTimeoutMs } = this.#o;
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => resolve(TIMED_OUT), lookupTimeoutMs);
      command.then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clock.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}

/** `[1,storedAt,ttlMs,target,completion]` as UTF-8 JSON. */
export function encodeEntry(answer: CachedAnswer, storedAt: number, ttlMs: number): Buffer {
  return Buffer.from(JSON.stringify([1, storedAt, ttlMs, answer.target, answer.completion]));
}

/** The entry, or undefined when the bytes are not one (another version, or not this encoding). */
export function decodeEntry(
  bytes: Buffer,
): { answer: CachedAnswer; storedAt: number; ttlMs: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== 1) return undefined;
  const [, storedAt, ttlMs, target, completion] = parsed as [1, unknown, unknown, unknown, unknown];
  if (typeof storedAt !== 'number' || typeof ttlMs !== 'number' || typeof target !== 'string')
    return undefined;
  if (
    typeof completion !== 'object' ||
    completion === null ||
    !Array.isArray((completion as ChatCompletion).choices)
  )
    return undefined;
  return { answer: { target, completion: completion as ChatCompletion }, storedAt, ttlMs };
}
