/**
 * The response cache of chat completions: for one request, what to do (plan, key), then a lookup and
 * a store. Answers are stored only when complete and successful; the store is the in-memory LRU
 * unless another backend is given. Reference: docs/caching.md.
 */
import type { Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/chat.js';
import type { GatewayKey, Route } from '../config/types.js';
import { isCompleteAnswer, type CachedAnswer } from './answer.js';
import { cacheKey, planCache, type CachePlan } from './key.js';
import type { CacheStoreSettings } from './schema.js';
import { MemoryLruStore, type CacheStore, type StoredValue } from './store.js';

/** One request's use of the cache. */
export interface RequestCache extends CachePlan {
  /** The entry's key (empty when bypassed: no key is computed then). */
  key: string;
  ttlMs: number;
  /** The largest answer that may be stored, bytes. */
  maxEntryBytes: number;
}

export class ResponseCache {
  readonly store: CacheStore<CachedAnswer>;

  constructor(
    private readonly settings: CacheStoreSettings,
    clock: Pick<Clock, 'now'>,
    store?: CacheStore<CachedAnswer>,
  ) {
    this.store = store ?? new MemoryLruStore<CachedAnswer>(settings, clock);
  }

  /** What the cache does for this request; undefined when the route does not cache. */
  plan(
    route: Route,
    gatewayKey: GatewayKey | undefined,
    request: ChatRequest,
    cacheControl: string | string[] | undefined,
  ): RequestCache | undefined {
    const settings = route.cache;
    if (!settings) return undefined;
    const plan = planCache(settings, request, cacheControl);
    const { ttlMs } = settings;
    const { maxEntryBytes } = this.settings;
    if (plan.outcome === 'bypass') return { ...plan, key: '', ttlMs, maxEntryBytes };
    // No keys configured: every caller is the same anonymous caller.
    const scope = settings.scope === 'route' ? '*' : `key:${gatewayKey?.name ?? ''}`;
    return { ...plan, key: cacheKey(route.name, scope, request), ttlMs, maxEntryBytes };
  }

  /** The stored answer, when the plan looks up and there is one. A failing store is a miss. */
  async lookup(use: RequestCache): Promise<StoredValue<CachedAnswer> | undefined> {
    if (!use.lookup) return undefined;
    try {
      return await this.store.get(use.key);
    } catch {
      return undefined;
    }
  }

  /**
   * Stores a complete, successful answer (every choice finished with `stop` or `tool_calls`) when the
   * plan says so and it is small enough. Never fails the request: a store that fails just stores nothing.
   */
  save(use: RequestCache, answer: CachedAnswer): void {
    if (!use.store || !isCompleteAnswer(answer.completion)) return;
    const bytes = Buffer.byteLength(JSON.stringify(answer.completion));
    if (bytes > use.maxEntryBytes) return;
    this.store.set(use.key, answer, bytes, use.ttlMs).catch(() => undefined);
  }
}
