/**
 * Targets kept out of rotation until a known time: a bad key, an exhausted quota, an unknown model,
 * or a rate window with a long reset. A second cooldown never shortens the first (LiteLLM #40130).
 */
import type { Clock } from '../core/clock.js';

export interface Cooldown {
  until: number;
  reason: string;
}

export class Cooldowns {
  private readonly entries = new Map<string, Cooldown>();

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** Keeps `key` out for `ms` from now, unless it is already out for longer. */
  coolFor(key: string, ms: number, reason: string): void {
    if (!(ms > 0)) return;
    const until = this.clock.now() + ms;
    const current = this.entries.get(key);
    if (current && current.until >= until) return;
    this.entries.set(key, { until, reason });
  }

  /** Keeps `key` out until `until` (this clock's time), unless it is already out for longer. */
  coolUntil(key: string, until: number, reason: string): void {
    this.coolFor(key, until - this.clock.now(), reason);
  }

  /** The active cooldown of `key`, if any. */
  active(key: string): Cooldown | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Milliseconds until `key` is usable again (0 if it is). */
  remaining(key: string): number {
    const entry = this.active(key);
    return entry ? entry.until - this.clock.now() : 0;
  }

  /** Forgets every cooldown (operators and tests). */
  clear(): void {
    this.entries.clear();
  }
}
