/**
 * What a request's cache entry is, as pure functions: which requests may be cached at all (policy),
 * and the key (sha256 of the canonical request without its volatile fields, with the route and the
 * gateway key's scope). Reference: docs/caching.md.
 */
import { createHash } from 'node:crypto';
import type { ChatRequest } from '../core/chat.js';
import type { RouteCacheSettings } from './schema.js';

/**
 * Fields that do not change the answer: how it is delivered (`stream`, `stream_options`: one entry
 * serves both forms) and bookkeeping (`user`, `metadata`, `store`). Everything else, including fields
 * the gateway does not know, is part of the key: an unknown field may change the answer.
 */
const VOLATILE = new Set(['stream', 'stream_options', 'user', 'metadata', 'store']);

/** `hit`: answered from the cache; `miss`: looked up (or skipped by no-cache) and stored; `bypass`: neither. */
export type CacheOutcome = 'hit' | 'miss' | 'bypass';

export interface CachePlan {
  outcome: 'miss' | 'bypass';
  /** Look the key up first (false with `Cache-Control: no-cache`). */
  lookup: boolean;
  /** Store a successful answer under the key. */
  store: boolean;
  /** Why the cache was bypassed (`no-store`, `non-deterministic`). */
  reason?: string;
}

/** A request is deterministic when it asks for temperature 0 or gives a seed. */
export function isDeterministic(request: ChatRequest): boolean {
  return request.temperature === 0 || typeof request.seed === 'number';
}

/** The request's `Cache-Control` directives that matter here. */
export function cacheControl(header: string | string[] | undefined): { noCache: boolean; noStore: boolean } {
  const text = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
  if (!text) return { noCache: false, noStore: false };
  const directives = new Set(text.split(',').map((d) => d.trim().split('=')[0]));
  return { noCache: directives.has('no-cache'), noStore: directives.has('no-store') };
}

/** What the cache does for one request on a route that caches. */
export function planCache(
  settings: RouteCacheSettings,
  request: ChatRequest,
  header: string | string[] | undefined,
): CachePlan {
  const { noCache, noStore } = cacheControl(header);
  if (noStore) return { outcome: 'bypass', lookup: false, store: false, reason: 'no-store' };
  if (!settings.nonDeterministic && !isDeterministic(request))
    return { outcome: 'bypass', lookup: false, store: false, reason: 'non-deterministic' };
  return { outcome: 'miss', lookup: !noCache, store: true };
}

/**
 * The cache key: sha256 (hex) of the canonical JSON of the route, the scope (the gateway key's name,
 * or `*` when the route shares its entries across keys) and the request without its volatile fields.
 * Top-level nulls are dropped (`"seed": null` asks for the same as no seed).
 */
export function cacheKey(route: string, scope: string, request: ChatRequest): string {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request)) {
    if (VOLATILE.has(name) || value === null || value === undefined) continue;
    fields[name] = value;
  }
  fields.model = route;
  return createHash('sha256')
    .update(canonicalJson({ v: 1, scope, request: fields }))
    .digest('hex');
}

/** JSON with object keys sorted at every depth, so that key order never changes the text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const parts: string[] = [];
  for (const name of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[name];
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(name)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}
