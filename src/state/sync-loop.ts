/**
 * The rhythm of the bounded-staleness syncs (shared-budgets.ts, shared-stats.ts): `sync` runs every
 * `intervalMs` after the previous one has ended, until stopped, so syncs never overlap; a sync that
 * throws counts as a failure (a sync that finds Redis failing counts its own).
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export class SyncLoop {
  #timer: TimerHandle | undefined;
  #running = false;
  /** Syncs that went through, and syncs that failed. */
  syncs = 0;
  failures = 0;

  constructor(
    private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
    private readonly intervalMs: number,
    private readonly sync: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = this.clock.setTimeout(() => {
      this.sync()
        .catch(() => this.failures++)
        .finally(() => this.#schedule());
    }, this.intervalMs);
  }
}
