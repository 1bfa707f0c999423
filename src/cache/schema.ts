/**
 * The response cache's config: the top-level `cache` section (bounds of the one in-memory store) and
 * a route's `cache` section (the cache is off unless a route has one). Part of the one config schema
 * (src/config/schema.ts imports them). Reference: docs/caching.md.
 */
import { z } from 'zod';

/** The store's bounds, shared by every route that caches. */
export const cacheStoreSchema = z
  .object({
    /** Entries at most; the least recently used go first. */
    maxEntries: z.number().int().positive().default(10_000),
    /** Bytes of stored answers at most (their JSON size); the least recently used go first. */
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** An answer larger than this is not stored. */
    maxEntryBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /**
     * With shared state in Redis (`state.driver: redis`): `true` shares the cache between instances
     * through Redis (an answer stored by one is a hit on every other); `false` keeps it in this process.
     */
    shared: z.boolean().default(true),
    /** A shared lookup waits this long for Redis at most, then the request goes on as a miss. */
    lookupTimeoutMs: z.number().int().positive().max(10_000).default(20),
  })
  .strict();

/** A route's cache (off unless the route has a `cache` section). */
export const routeCacheSchema = z
  .object({
    /** How long an answer is served from the cache. */
    ttlMs: z.number().int().positive().default(300_000),
    /** Also cache requests that are not deterministic (no `temperature: 0` and no `seed`). */
    nonDeterministic: z.boolean().default(false),
    /** `key`: each gateway key has its own entries (default); `route`: every key of the route shares them. */
    scope: z.enum(['key', 'route']).default('key'),
    /** `false` keeps this route's entries in this process even when the cache is shared (`cache.shared`). */
    shared: z.boolean().optional(),
  })
  .strict();

export type CacheStoreSettings = z.output<typeof cacheStoreSchema>;
export type RouteCacheSettings = z.output<typeof routeCacheSchema>;
