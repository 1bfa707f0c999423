/**
 * Shared state across gateway instances (docs/deployment.md): `state.driver: memory` (the default)
 * keeps everything in this process and loads nothing; `redis` opens the Redis link (loading ioredis
 * only then), shares breaker and cooldown deadlines (shared-health.ts) and offers counters shared by
 * every instance (redis-counters.ts) for rate limits and budgets.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { KeyPools } from '../engine/key-pool.js';
import type { Router } from '../routing/router.js';
import type { EventBus } from '../core/events.js';
import type { TargetHealth } from '../engine/health.js';
import type { WallClock } from '../resilience/wall-clock.js';
import type { Logger } from '../telemetry/logger.js';
import { MemoryCounters, type WindowCounters } from './counters.js';
import type { RedisLink, RedisLinkStatus } from './redis-link.js';
import type { SharedDrainsStatus } from './shared-drains.js';
import type { SharedBudgetsStatus, SyncedBudget } from './shared-budgets.js';
import type { SharedHealthStatus } from './shared-health.js';
import type { SharedStatsStatus } from './shared-stats.js';

export interface SharedState {
  driver: 'memory' | 'redis';
  /** Where rate limits and budgets count: shared by every instance with Redis, this process's otherwise. */
  counters: WindowCounters;
  /**
   * Shares what the routing layer and the engine hold once they are built: drained regions, provider
   * key cooldowns, cost-cap spend and, every `state.budgetSyncMs`, routing latency statistics
   * (shared-stats.ts) (with Redis; nothing in memory).
   */
  attach(parts: { router?: Router; keys?: KeyPools }): void;
  /** The Redis link (driver `redis`): the shared response cache and shared retry budgets use it. */
  redis?: RedisLink;
  /**
   * Shares retry budgets and hedge caps across instances (bounded staleness, shared-budgets.ts) with
   * Redis and `state.budgetSyncMs` > 0; does nothing otherwise (each process keeps its own).
   */
  shareBudgets(budgets: () => SyncedBudget[]): void;
  /** For GET /v1/switchyard/state. */
  status(): SharedStateStatus;
  close(): Promise<void>;
}

export interface SharedStateStatus {
  object: 'switchyard.state';
  driver: 'memory' | 'redis';
  failMode: 'open' | 'closed';
  redis?: RedisLinkStatus;
  health?: SharedHealthStatus;
  /** Counter calls that fell back to the fail mode because Redis was unreachable. */
  counterFailures?: number;
  /** Drain decisions written and applied (regions drained on one instance apply to all). */
  regions?: SharedDrainsStatus;
  /** Capped scopes (targets, routes) whose spend is counted across instances, and reads of their totals. */
  spend?: { scopes: number; refreshes: number };
  /** Retry budgets and hedge caps shared across instances, when they are. */
  budgets?: SharedBudgetsStatus;
  /** Routing latency statistics shared across instances, when some route reads them. */
  routingStats?: SharedStatsStatus;
}

export interface SharedStateDeps {
  config: ResolvedConfig;
  health: TargetHealth;
  events: EventBus;
  clock: Pick<WallClock, 'now' | 'wallNow'>;
  /** Timers of the budgets' sync (the gateway's clock; the system clock by default). */
  budgetClock?: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  log: Logger;
}

export async function startSharedState(deps: SharedStateDeps): Promise<SharedState> {
  const settings = deps.config.state;
  const wallNow = (): number => deps.clock.wallNow();
  if (settings.driver === 'memory' || !settings.url) {
    return {
      driver: 'memory',
      counters: new MemoryCounters(wallNow),
      attach: () => undefined,
      shareBudgets: () => undefined,
      status: () => ({ object: 'switchyard.state', driver: 'memory', failMode: settings.failMode }),
      close: () => Promise.resolve(),
    };
  }
  // The Redis-backed parts load only with `driver: redis` (docs/PERFORMANCE.md).
  return (await import('./redis-state.js')).startRedisState(deps, settings.url);
}
