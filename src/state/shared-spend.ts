/**
 * Routing cost caps (per target and per route, docs/routing.md) counted across instances through the
 * shared `WindowCounters` (RedisCounters behind the configured fail mode), as keys' budgets are, while
 * the router keeps reading its own ledger (src/routing/spend.ts) without waiting on Redis:
 *
 * - every attempt's cost on a capped target or route is added to the shared day and month counters
 *   (micro-dollars, off the request path), and the totals they return raise the local ledger;
 * - every `refreshMs` (default 1 s) the shared totals of the capped scopes are read and raise the
 *   ledger, so that spend on other instances reaches this one within about a second even when it
 *   serves nothing itself.
 *
 * So a cap holds across the fleet to within what the fleet spends in one refresh (plus the requests in
 * flight, as on one instance). While Redis is away the counters' fail mode applies (`open`: each instance
 * counts its own, caught up on reconnection).
 */
import type { EventBus } from '../core/events.js';
import type { Route } from '../config/types.js';
import { routeScope, targetScope, type SpendLedger } from '../routing/spend.js';
import type { WindowCounters } from './counters.js';
import { fromMicroUsd, spendCounters, toMicroUsd } from './spend-counters.js';

export interface SharedSpendOptions {
  counters: WindowCounters;
  ledger: SpendLedger;
  events: EventBus;
  routes: Iterable<Route>;
  wallNow: () => number;
  refreshMs?: number;
  onError?: (error: unknown) => void;
}

export class SharedSpend {
  /** The capped scopes (from the config): only these are counted and read. */
  readonly scopes: ReadonlySet<string>;
  #refreshes = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(private readonly o: SharedSpendOptions) {
    const scopes = new Set<string>();
    for (const route of o.routes) {
      if (route.routing?.cap) scopes.add(routeScope(route.name));
      for (const id of Object.keys(route.routing?.targetCaps ?? {})) scopes.add(targetScope(id));
    }
    this.scopes = scopes;
  }

  start(): void {
    if (!this.scopes.size) return;
    this.#unsubscribe.push(
      this.o.events.subscribe('attempt.ended', (e) => {
        if (e.costUsd === undefined || !(e.costUsd > 0)) return;
        for (const scope of [targetScope(e.target), routeScope(e.route)])
          if (this.scopes.has(scope)) void this.#add(scope, e.costUsd);
      }),
    );
    this.#timer = setInterval(() => void this.refresh(), this.o.refreshMs ?? 1_000);
    this.#timer.unref();
  }

  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  status(): { scopes: number; refreshes: number } {
    return { scopes: this.scopes.size, refreshes: this.#refreshes };
  }

  /** Reads every capped scope's shared totals and raises the ledger to them. */
  async refresh(): Promise<void> {
    this.#refreshes++;
    await Promise.all(
      [...this.scopes].map(async (scope) => {
        const now = this.o.wallNow();
        const { day, month } = spendCounters(`spend:${scope}`, now);
        try {
          const [d, m] = await Promise.all([
            this.o.counters.peek(day.name, day.windowMs),
            this.o.counters.peek(month.name, month.windowMs),
          ]);
          this.#raise(scope, now, d, m);
        } catch (error) {
          this.o.onError?.(error);
        }
      }),
    );
  }

  async #add(scope: string, usd: number): Promise<void> {
    const micro = toMicroUsd(usd);
    if (micro <= 0) return;
    const now = this.o.wallNow();
    const { day, month } = spendCounters(`spend:${scope}`, now);
    try {
      const [d, m] = await Promise.all([
        this.o.counters.add(day.name, micro, day.windowMs),
        this.o.counters.add(month.name, micro, month.windowMs),
      ]);
      this.#raise(scope, now, d, m);
    } catch (error) {
      this.o.onError?.(error);
    }
  }

  /** Raises the ledger, unless the day (or month) changed while the counters answered. */
  #raise(scope: string, at: number, dayMicro: number, monthMicro: number): void {
    const before = new Date(at).toISOString().slice(0, 10);
    const after = new Date(this.o.wallNow()).toISOString().slice(0, 10);
    if (before !== after) return;
    this.o.ledger.raise(scope, fromMicroUsd(dayMicro), fromMicroUsd(monthMicro));
  }
}
