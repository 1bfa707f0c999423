/**
 * Where cached answers live: a small interface (get, set with a TTL, size accounting) with two
 * backends: this in-memory LRU, and the store shared through Redis (shared-store.ts, which keeps this
 * LRU in front of Redis). Reference: docs/caching.md.
 */
import type { Clock } from '../core/clock.js';
import type { CacheStoreSettings } from './schema.js';

export interface StoredValue<V> {
  value: V;
  /** Milliseconds since it was stored (the `age` header). */
  ageMs: number;
}

export interface CacheStore<V> {
  /** The live entry under `key`, or undefined (absent or expired). */
  get(key: string): Promise<StoredValue<V> | undefined>;
  /** Stores `value` (`bytes` big) for `ttlMs`; false when it is larger than an entry may be. */
  set(key: string, value: V, bytes: number, ttlMs: number): Promise<boolean>;
  /** Entries and bytes held now (expired entries count until they are dropped). */
  size(): { entries: number; bytes: number };
}

interface Entry<V> {
  value: V;
  bytes: number;
  storedAt: number;
  expiresAt: number;
}

/**
 * An LRU in one Map (insertion order = recency: a read moves the entry to the end), bounded by entry
 * count and bytes. Expired entries are dropped when read, and evicted like any other when room is needed.
 */
export class MemoryLruStore<V> implements CacheStore<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private bytes = 0;

  constructor(
    private readonly bounds: Pick<CacheStoreSettings, 'maxEntries' | 'maxBytes' | 'maxEntryBytes'>,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  get(key: string): Promise<StoredValue<V> | undefined> {
    return Promise.resolve(this.read(key));
  }

  set(key: string, value: V, bytes: number, ttlMs: number): Promise<boolean> {
    return Promise.resolve(this.write(key, value, bytes, ttlMs));
  }

  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  /** The synchronous read behind `get`. */
  read(key: string): StoredValue<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.clock.now();
    this.remove(key, entry);
    if (now >= entry.expiresAt) return undefined;
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    return { value: entry.value, ageMs: now - entry.storedAt };
  }

  /** The synchronous write behind `set`; `ageMs`: the value was stored elsewhere that long ago. */
  write(key: string, value: V, bytes: number, ttlMs: number, ageMs = 0): boolean {
    if (bytes > this.bounds.maxEntryBytes || bytes > this.bounds.maxBytes) return false;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    const now = this.clock.now();
    this.entries.set(key, { value, bytes, storedAt: now - ageMs, expiresAt: now + ttlMs });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.bounds.maxEntries && this.bytes <= this.bounds.maxBytes) break;
      this.remove(oldest, entry);
    }
    return true;
  }

  private remove(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
