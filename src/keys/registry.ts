/**
 * The virtual keys an instance honours: a map from the hash of a secret to its key, so that
 * authenticating costs one hash and one lookup, never a round trip to the store. Reloaded whole from
 * the store after each admin write, on each NOTIFY (PostgreSQL) and every `refreshMs` otherwise, so a
 * key revoked on another instance is refused here within `refreshMs` (plus one store read). When the
 * store cannot be read, the last keys read stay in force and the failure is counted and logged.
 */
import type { GatewayKey } from '../config/types.js';
import { hashSecret } from './secret.js';
import type { KeyStore, VirtualKeyRecord } from './types.js';

/** Keys loaded at most (a guard against a runaway store, far above any real use). */
export const MAX_KEYS = 100_000;

interface Entry {
  record: VirtualKeyRecord;
  key: GatewayKey;
  /** The old secret of a rotation: valid until the record's `previousUntil`. */
  previous: boolean;
}

export type Lookup =
  | { found: true; key: GatewayKey; record: VirtualKeyRecord }
  | { found: false; reason: 'unknown' | 'expired' };

export interface KeyRegistryOptions {
  store: KeyStore;
  /** Wall-clock time, epoch ms (expiry and rotation windows). */
  wallNow: () => number;
  refreshMs: number;
  onError?: (error: Error) => void;
}

export function toGatewayKey(r: VirtualKeyRecord): GatewayKey {
  return {
    name: r.name,
    // A virtual key's secret is never known after creation; the hash stands in (never compared).
    key: r.hash,
    id: r.id,
    ...(r.models ? { models: new Set(r.models) } : {}),
    ...(r.routing ? { routing: r.routing } : {}),
    ...(r.limits ? { limits: r.limits } : {}),
    ...(r.debug !== undefined ? { debug: r.debug } : {}),
  };
}

export class KeyRegistry {
  private byHash = new Map<string, Entry>();
  private byId = new Map<string, VirtualKeyRecord>();
  /** When each key was last accepted by this instance (wall ms): in memory, not stored. */
  private readonly lastUsed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  readonly counters = { refreshes: 0, refreshFailures: 0 };
  /** When the last successful reload finished (wall ms); undefined before the first. */
  loadedAt: number | undefined;

  constructor(private readonly options: KeyRegistryOptions) {}

  /** The first load (a failure is logged; the refresh keeps trying) and the interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads every key; concurrent calls share one read, and a call during a read runs once more after. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.loading;
  }

  /** Resolves once no reload is running or queued (a reload's `again` starts before this resumes). */
  async settled(): Promise<void> {
    while (this.loading) await this.loading;
  }

  private async load(): Promise<void> {
    let records: VirtualKeyRecord[];
    try {
      records = await this.options.store.list();
    } catch (error) {
      this.counters.refreshFailures++;
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.replace(records.slice(0, MAX_KEYS));
    this.counters.refreshes++;
    this.loadedAt = this.options.wallNow();
  }

  /** Takes a record written by this instance at once (the next reload confirms it). */
  apply(record: VirtualKeyRecord): void {
    const records = [...this.byId.values()].filter((r) => r.id !== record.id);
    this.replace([...records, record]);
  }

  private replace(records: VirtualKeyRecord[]): void {
    const byHash = new Map<string, Entry>();
    const byId = new Map<string, VirtualKeyRecord>();
    for (const record of records) {
      byId.set(record.id, record);
      if (record.revokedAt !== undefined) continue;
      const key = toGatewayKey(record);
      byHash.set(record.hash, { record, key, previous: false });
      if (record.previousHash) byHash.set(record.previousHash, { record, key, previous: true });
    }
    this.byHash = byHash;
    this.byId = byId;
    for (const id of this.lastUsed.keys()) if (!byId.has(id)) this.lastUsed.delete(id);
  }

  lookup(secret: string): Lookup {
    return this.lookupHash(hashSecret(secret));
  }

  /** As `lookup`, from the SHA-256 (hex) the authenticator already computed. */
  lookupHash(hash: string): Lookup {
    const entry = this.byHash.get(hash);
    if (!entry) return { found: false, reason: 'unknown' };
    const now = this.options.wallNow();
    const { record } = entry;
    if (entry.previous && !(record.previousUntil !== undefined && now < record.previousUntil))
      return { found: false, reason: 'unknown' };
    if (record.expiresAt !== undefined && now >= record.expiresAt) return { found: false, reason: 'expired' };
    this.lastUsed.set(record.id, now);
    return { found: true, key: entry.key, record };
  }

  /** When this instance last accepted the key (wall ms), if it has since it started. */
  lastUsedAt(id: string): number | undefined {
    return this.lastUsed.get(id);
  }

  get(id: string): VirtualKeyRecord | undefined {
    return this.byId.get(id);
  }

  records(): VirtualKeyRecord[] {
    return [...this.byId.values()];
  }

  has(name: string): boolean {
    for (const r of this.byId.values()) if (r.name === name) return true;
    return false;
  }
}
