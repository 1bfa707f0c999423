/** The shared response cache's metrics (prom-client): loaded only when metrics are on and the cache is shared. */
import { Counter, type Registry } from 'prom-client';
import type { SharedCacheCounters, SharedCacheStore } from './shared-store.js';

const LOOKUPS: [string, keyof SharedCacheCounters][] = [
  ['local_hit', 'localHits'],
  ['shared_hit', 'sharedHits'],
  ['miss', 'misses'],
  ['timeout', 'timeouts'],
  ['error', 'errors'],
  ['unavailable', 'unavailable'],
];
const WRITES: [string, keyof SharedCacheCounters][] = [
  ['ok', 'writes'],
  ['failed', 'writeFailures'],
  ['too_large', 'tooLarge'],
];

/** The store's counters on /metrics, read at scrape time. */
export function registerSharedCacheMetrics(registry: Registry, store: SharedCacheStore): void {
  const counter = (name: string, help: string, results: [string, keyof SharedCacheCounters][]): void => {
    new Counter({
      name,
      help,
      labelNames: ['result'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [result, field] of results) this.inc({ result }, store.counters[field]);
      },
    });
  };
  counter(
    'switchyard_cache_shared_lookups_total',
    'Lookups of the response cache shared through Redis, by result (local_hit, shared_hit, miss; timeout, error, unavailable: Redis was bypassed and the request went on as a miss).',
    LOOKUPS,
  );
  counter(
    'switchyard_cache_shared_writes_total',
    'Answers written to the response cache shared through Redis, by result (ok, failed, too_large).',
    WRITES,
  );
}
