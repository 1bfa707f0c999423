/**
 * Keys and limits, assembled (docs/keys.md): the key limiter (always: config keys have limits too)
 * and, when an admin key is configured, the key store and the registry of virtual keys that the
 * admin API writes and the authenticator reads.
 */
import { join, dirname } from 'node:path';
import type { ResolvedConfig } from '../config/types.js';
import type { WindowCounters } from '../state/counters.js';
import { defaultStorePath } from '../store/open.js';
import { KeyLimiter } from './limiter.js';
import { KeyRegistry } from './registry.js';
import type { KeyStore } from './types.js';

export interface KeyService {
  limiter: KeyLimiter;
  /** Virtual keys; absent without an admin key (the admin API answers 404). */
  registry?: KeyRegistry;
  store?: KeyStore;
  adminKeys: string[];
  /** Wall-clock time, epoch ms. */
  wallNow: () => number;
  close(): Promise<void>;
}

export interface KeyServiceOptions {
  config: ResolvedConfig;
  wallNow: () => number;
  /** Where limits count; in memory by default (a shared backend plugs in here). */
  counters?: WindowCounters;
  /** The key store; by default opened from `store` (driver, path or url, schema). */
  store?: KeyStore;
  log?: (message: string, error?: Error) => void;
}

/** Where the SQLite key store lives: `keys.db` beside the request store's file. */
export const defaultKeyStorePath = (config: ResolvedConfig): string =>
  join(dirname(config.store.path ?? defaultStorePath()), 'keys.db');

export async function openKeyStore(config: ResolvedConfig, log: KeyServiceOptions['log']): Promise<KeyStore> {
  if (config.store.driver === 'postgres') {
    const { PostgresKeyStore } = await import('./postgres-keys.js');
    return PostgresKeyStore.open({
      url: config.store.url ?? '',
      schema: config.store.schema,
      onError: (error) => log?.('key store: PostgreSQL connection failed', error),
    });
  }
  const { SqliteKeyStore } = await import('./sqlite-keys.js');
  return SqliteKeyStore.open(defaultKeyStorePath(config));
}

export async function startKeyService(options: KeyServiceOptions): Promise<KeyService> {
  const { config, wallNow, log } = options;
  const settings = config.keysAdmin;
  const limiter = new KeyLimiter({
    wallNow,
    failMode: settings.failMode,
    ...(options.counters ? { counters: options.counters } : {}),
    onError: (error) => log?.('limits: the counters failed', error),
  });
  const base = { limiter, adminKeys: settings.adminKeys, wallNow };
  if (!settings.adminKeys.length) return { ...base, close: () => Promise.resolve() };
  const store = options.store ?? (await openKeyStore(config, log));
  const registry = new KeyRegistry({
    store,
    wallNow,
    refreshMs: settings.refreshMs,
    onError: (error) => log?.('key store: reload failed; the keys read last stay in force', error),
  });
  await registry.start();
  if ('listen' in store && typeof store.listen === 'function') {
    const listen = store.listen as (onChange: () => void, onError: (e: Error) => void) => Promise<void>;
    await listen
      .call(
        store,
        () => void registry.refresh(),
        (error) => log?.('key store: LISTEN failed', error),
      )
      .catch((error: Error) => log?.('key store: LISTEN failed; reloading every keyStore.refreshMs', error));
  }
  return {
    ...base,
    registry,
    store,
    async close() {
      registry.stop();
      await store.close();
    },
  };
}
