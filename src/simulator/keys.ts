/**
 * Per-key faults and counts: a provider account with several keys, where one key can be rate-limited
 * or out of quota while the others work (`setKeyFault`), and `keyRequests` tells which key a request
 * came with. Only the configured keys (`apiKey`, `apiKeys`) and keys given a fault are tracked, so a
 * client sending random keys cannot grow these maps.
 */
import type { Fault } from './types.js';

/** Keys given a fault at once, at most. */
const MAX_FAULTED_KEYS = 64;

export class KeyBook {
  private readonly faults = new Map<string, Fault>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly configured: readonly string[]) {
    this.reset();
  }

  /** A fault for every request made with `key` (overrides the model's), or null to lift it. */
  setFault(key: string, fault: Fault | null): void {
    if (fault === null) {
      this.faults.delete(key);
      return;
    }
    if (!this.faults.has(key) && this.faults.size >= MAX_FAULTED_KEYS)
      throw new RangeError(`at most ${MAX_FAULTED_KEYS} keys can have a fault`);
    this.faults.set(key, fault);
    if (!this.counts.has(key)) this.counts.set(key, 0);
  }

  /** The fault for a request made with `key`, if it has one; counts the request. */
  onRequest(key: string): Fault | undefined {
    const count = this.counts.get(key);
    if (count !== undefined) this.counts.set(key, count + 1);
    return this.faults.get(key);
  }

  /** Requests that passed auth and validation with `key` (0 for a key not tracked). */
  requests(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  reset(): void {
    this.faults.clear();
    this.counts.clear();
    for (const key of this.configured) this.counts.set(key, 0);
  }
}
