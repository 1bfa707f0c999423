/**
 * The response cache as the config asks for it (docs/caching.md): none when no route caches; this
 * process's LRU; and, with shared state in Redis and `cache.shared` (the default), the store shared
 * through Redis with that LRU in front.
 */
import type { Clock } from '../core/clock.js';
import type { ResolvedConfig } from '../config/types.js';
import type { RedisLink } from '../state/redis-link.js';
import type { CachedAnswer } from './answer.js';
import { ResponseCache } from './response-cache.js';
import { SharedCacheStore } from './shared-store.js';
import { MemoryLruStore } from './store.js';

export interface ResponseCacheDeps {
  config: ResolvedConfig;
  clock: Clock;
  wallNow: () => number;
  /** The shared state's Redis link, when `state.driver` is `redis`. */
  redis?: RedisLink | undefined;
}

export function responseCacheFromConfig(deps: ResponseCacheDeps): ResponseCache | undefined {
  const { config, clock, redis } = deps;
  if (![...config.routes.values()].some((r) => r.cache)) return undefined;
  const local = new MemoryLruStore<CachedAnswer>(config.cache, clock);
  if (!redis || !config.cache.shared) return new ResponseCache(config.cache, clock, { local });
  const shared = new SharedCacheStore({
    redis: redis.command,
    link: redis,
    prefix: config.state.prefix,
    local,
    maxEntryBytes: config.cache.maxEntryBytes,
    lookupTimeoutMs: config.cache.lookupTimeoutMs,
    clock,
    wallNow: deps.wallNow,
  });
  return new ResponseCache(config.cache, clock, { local, shared });
}
