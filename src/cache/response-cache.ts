/**
 * The response cache of chat completions: for one request, what to do (plan, key), then a lookup and
 * a store. Answers are stored only when complete and successful; the store is the in-memory LRU, or,
 * when a shared store is given (Redis: shared-store.ts), that one for every route that does not say
 * `shared: false`. Reference: docs/caching.md.
 */
import type { Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/chat.js';
import type { GatewayKey, Route } from '../config/types.js';
import { isCompleteAnswer, type CachedAnswer } from './answer.js';
import { cacheKey, planCache, type CachePlan } from './key.js';
import type { CacheStoreSettings } from './schema.js';
import { MemoryLruStore, type CacheStore, type StoredValue } from './store.js';

/** One request's use of the cache. */
export interface RequestCache {
  /** `miss` or `bypass` (a hit is a miss plan that found an entry); `reason` says why it was bypassed. */
  outcome: CachePlan['outcome'];
  reason?: string;
  /** Whether a complete answer is stored (false when bypassed). */
  stores: boolean;
  /** The entry's key (empty when bypassed: no key is computed then). */
  key: string;
  /** The largest answer that may be stored, bytes (a stream stops being recorded past it). */
  maxEntryBytes: number;
  /** The stored answer, when the plan looks up and there is one. A failing store is a miss. */
  lookup(): Promise<StoredValue<CachedAnswer> | undefined>;
  /**
   * Stores a complete, successful answer (every choice finished with `stop` or `tool_calls`) when the
   * plan says so and it is small enough. Never fails the request: a store that fails stores nothing.
   */
  save(answer: CachedAnswer): void;
}

export interface ResponseCacheStores {
  /** This process's LRU (built from the settings when not given). */
  local?: MemoryLruStore<CachedAnswer>;
  /** The store shared between instances, for routes that do not keep theirs local. */
  shared?: CacheStore<CachedAnswer>;
}

export class ResponseCache {
  /** This process's store. */
  readonly store: MemoryLruStore<CachedAnswer>;
  /** The shared store, when there is one. */
  readonly shared: CacheStore<CachedAnswer> | undefined;

  constructor(
    private readonly settings: CacheStoreSettings,
    clock: Pick<Clock, 'now'>,
    stores: ResponseCacheStores = {},
  ) {
    this.store = stores.local ?? new MemoryLruStore<CachedAnswer>(settings, clock);
    this.shared = stores.shared;
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
    const { maxEntryBytes } = this.settings;
    if (plan.outcome === 'bypass')
      return { ...outcome(plan), key: '', maxEntryBytes, lookup: nothing, save: () => undefined };
    // No keys configured: every caller is the same anonymous caller.
    const scope = settings.scope === 'route' ? '*' : `key:${gatewayKey?.name ?? ''}`;
    const key = cacheKey(route.name, scope, request);
    const store = this.shared && settings.shared !== false ? this.shared : this.store;
    return {
      ...outcome(plan),
      key,
      maxEntryBytes,
      lookup: plan.lookup ? () => store.get(key).catch(() => undefined) : nothing,
      save: (answer) => this.save(store, key, settings.ttlMs, answer),
    };
  }

  private save(store: CacheStore<CachedAnswer>, key: string, ttlMs: number, answer: CachedAnswer): void {
    if (!isCompleteAnswer(answer.completion)) return;
    const bytes = Buffer.byteLength(JSON.stringify(answer.completion));
    if (bytes > this.settings.maxEntryBytes) return;
    store.set(key, answer, bytes, ttlMs).catch(() => undefined);
  }
}

const outcome = ({
  outcome,
  reason,
  store,
}: CachePlan): Pick<RequestCache, 'outcome' | 'reason' | 'stores'> =>
  reason === undefined ? { outcome, stores: store } : { outcome, reason, stores: store };

const nothing = (): Promise<undefined> => Promise.resolve(undefined);
