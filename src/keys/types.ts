/**
 * Virtual keys (docs/keys.md): gateway keys made at runtime through the admin API, kept in the key
 * store (SQLite by default, PostgreSQL when configured) by the hash of their secret, never the secret.
 */
import type { KeyRouting } from '../routing/schema.js';

/** Per-key rate limits (config keys and virtual keys alike); budgets are `routing.cap`. */
export interface KeyLimits {
  /** Requests per minute (a fixed minute aligned on the epoch). */
  rpm?: number;
  /** Tokens per minute: the estimate is reserved up front, then settled to what the provider reported. */
  tpm?: number;
}

export interface VirtualKeyRecord {
  id: string;
  /** Unique among all keys (config keys included) and never reused: usage is recorded by name. */
  name: string;
  /** The first characters of the secret, to recognise it (`sk-sy-AbC123`). */
  prefix: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  /** During a rotation: the old secret's hash and prefix, valid until `previousUntil` (epoch ms). */
  previousHash?: string;
  previousPrefix?: string;
  previousUntil?: number;
  /** Public model names the key may use; all when absent. */
  models?: string[];
  /** Tier floor, region, overrides, spend cap (the key's budget), as for config keys. */
  routing?: KeyRouting;
  limits?: KeyLimits;
  /** May ask for the debug trace header (x-switchyard-debug: trace); default true. */
  debug?: boolean;
  metadata: Record<string, string>;
  /** Epoch ms; the key is refused from then on. */
  expiresAt?: number;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms when revoked; a revoked key stays in the store (its name is never reused). */
  revokedAt?: number;
}

/** Where virtual keys are kept. Every instance reads the same store; each keeps its own copy in memory. */
export interface KeyStore {
  readonly driver: 'memory' | 'sqlite' | 'postgres';
  /** Every key, revoked ones included. */
  list(): Promise<VirtualKeyRecord[]>;
  /** Rejects with a DuplicateKeyName when the name is taken. */
  insert(record: VirtualKeyRecord): Promise<void>;
  /** Replaces the record with the same id. */
  update(record: VirtualKeyRecord): Promise<void>;
  close(): Promise<void>;
}

export class DuplicateKeyName extends Error {
  constructor(readonly keyName: string) {
    super(`a key named "${keyName}" exists`);
  }
}

export class MemoryKeyStore implements KeyStore {
  readonly driver = 'memory';
  private readonly records = new Map<string, VirtualKeyRecord>();
  /** Tests make the store fail to show the gateway keeps serving with what it knows. */
  failing = false;

  private check(): void {
    if (this.failing) throw new Error('key store unreachable');
  }

  list(): Promise<VirtualKeyRecord[]> {
    try {
      this.check();
      return Promise.resolve([...this.records.values()].map((r) => structuredClone(r)));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  insert(record: VirtualKeyRecord): Promise<void> {
    try {
      this.check();
      if ([...this.records.values()].some((r) => r.name === record.name))
        throw new DuplicateKeyName(record.name);
      this.records.set(record.id, structuredClone(record));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  update(record: VirtualKeyRecord): Promise<void> {
    try {
      this.check();
      this.records.set(record.id, structuredClone(record));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The config's `admin`, `keyStore` and `limits` sections, resolved (docs/keys.md). */
export interface KeysSettings {
  /** Admin keys (config `admin.keys` and SWITCHYARD_ADMIN_KEY); none: the admin API answers 404. */
  adminKeys: string[];
  /** How often each instance reloads the key store: a revocation elsewhere is honoured within this. */
  refreshMs: number;
  /** When the counters behind limits fail: `open` lets requests through, `closed` answers 503. */
  failMode: 'open' | 'closed';
  /** Output tokens reserved for a request that gives no max_tokens (tpm limits). */
  defaultMaxTokens: number;
}
