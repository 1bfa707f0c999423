/**
 * Shared state across gateway instances (docs/deployment.md): `state.driver: memory` (the default)
 * keeps everything in this process and loads nothing; `redis` opens the Redis link (loading ioredis
 * only then), shares breaker and cooldown deadlines (shared-health.ts) and offers counters shared by
 * every instance (redis-counters.ts) for rate limits and budgets.
 */
import type { ResolvedConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { TargetHealth } from '../engine/health.js';
import { systemClock } from '../resilience/system-clock.js';
import type { WallClock } from '../resilience/wall-clock.js';
import type { Logger } from '../telemetry/logger.js';
import { MemoryCounters, type WindowCounters } from './counters.js';
import { FailModeCounters, RedisCounters } from './redis-counters.js';
import { RedisLink, type RedisLinkStatus } from './redis-link.js';
import { SharedBudgets, type SharedBudgetsStatus, type SyncedBudget } from './shared-budgets.js';
import { SharedHealth, type SharedHealthStatus } from './shared-health.js';

export interface SharedState {
  driver: 'memory' | 'redis';
  /** Where rate limits and budgets count: shared by every instance with Redis, this process's otherwise. */
  counters: WindowCounters;
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
  /** Retry budgets and hedge caps shared across instances, when they are. */
  budgets?: SharedBudgetsStatus;
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
      shareBudgets: () => undefined,
      status: () => ({ object: 'switchyard.state', driver: 'memory', failMode: settings.failMode }),
      close: () => Promise.resolve(),
    };
  }
  const link = await RedisLink.open({
    url: settings.url,
    commandTimeoutMs: settings.commandTimeoutMs,
    log: deps.log,
  });
  const targets = new Set<string>();
  for (const route of deps.config.routes.values()) for (const t of route.targets) targets.add(t.id);
  const shared = new SharedHealth({
    link,
    prefix: settings.prefix,
    health: deps.health,
    events: deps.events,
    clock: deps.clock,
    targets,
    log: deps.log,
  });
  shared.start();
  const counters = new FailModeCounters({
    redis: new RedisCounters(link.command, settings.prefix, wallNow),
    link,
    failMode: settings.failMode,
    time: wallNow,
  });
  let budgets: SharedBudgets | undefined;
  return {
    driver: 'redis',
    counters,
    redis: link,
    shareBudgets(list) {
      if (budgets || settings.budgetSyncMs === 0) return;
      budgets = new SharedBudgets({
        redis: link.command,
        link,
        prefix: settings.prefix,
        intervalMs: settings.budgetSyncMs,
        budgets: list,
        clock: deps.budgetClock ?? systemClock,
        wallNow,
      });
      budgets.start();
    },
    status: () => ({
      object: 'switchyard.state',
      driver: 'redis',
      failMode: settings.failMode,
      redis: link.status(),
      health: shared.status(),
      counterFailures: counters.failures,
      ...(budgets ? { budgets: budgets.status() } : {}),
    }),
    async close() {
      shared.stop();
      budgets?.stop();
      await link.close();
    },
  };
}
