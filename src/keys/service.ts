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
import type { KeyStore, VirtualKeyRecord } from './types.js';

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

/** What a PostgreSQL key store adds: LISTEN for writes of other instances. */
interface Listening {
  listen(onChange: () => void, onError: (error: Error) => void): Promise<void>;
}
const canListen = (s: unknown): s is Listening =>
  typeof s === 'object' && s !== null && typeof (s as Partial<Listening>).listen === 'function';

/**
 * The configured store, opened on first use and again after a failed open: a key store unreachable at
 * start leaves the gateway serving its config keys, and virtual keys arrive once it answers.
 */
export class LazyKeyStore implements KeyStore {
  private opening: Promise<KeyStore> | undefined;
  private closed = false;

  constructor(
    readonly driver: KeyStore['driver'],
    private readonly open: () => Promise<KeyStore>,
  ) {}

  opened(): Promise<KeyStore> {
    if (this.closed) return Promise.reject(new Error('the key store is closed'));
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  async list(): Promise<VirtualKeyRecord[]> {
    return (await this.opened()).list();
  }
  async insert(record: VirtualKeyRecord): Promise<void> {
    return (await this.opened()).insert(record);
  }
  async update(record: VirtualKeyRecord): Promise<void> {
    return (await this.opened()).update(record);
  }
  async close(): Promise<void> {
    const opening = this.opening;
    this.closed = true;
    const store = await opening?.catch(() => undefined);
    await store?.close();
  }
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
  const store = options.store ?? new LazyKeyStore(config.store.driver, () => openKeyStore(config, log));
  const registry = new KeyRegistry({
    store,
    wallNow,
    refreshMs: settings.refreshMs,
    onError: (error) => log?.('key store: reload failed; the keys read last stay in force', error),
  });
  await registry.start();
  // PostgreSQL: LISTEN, so that writes elsewhere arrive at once (the interval remains the bound).
  // Only when the first reload reached the store: an unreachable one is not waited for twice at start
  // (and one that answers later is reloaded on the interval, without LISTEN).
  const reached = registry.loadedAt !== undefined;
  const opened = !reached
    ? undefined
    : store instanceof LazyKeyStore
      ? await store.opened().catch(() => undefined)
      : store;
  if (canListen(opened)) {
    await opened
      .listen(
        () => void registry.refresh(),
        (error) => log?.('key store: LISTEN failed; reloading every keyStore.refreshMs', error),
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
