/**
 * Shared state across gateway instances (docs/deployment.md): `state.driver: memory` (the default)
 * keeps everything in this process and loads nothing; `redis` opens the Redis link (loading ioredis
 * only then), shares breaker and cooldown deadlines (shared-health.ts) and offers counters shared by
 * every instance (redis-counters.ts) for rate limits and budgets.
 */
import type { ResolvedConfig, Target } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { KeyPools } from '../engine/key-pool.js';
import type { Router } from '../routing/router.js';
import type { EventBus } from '../core/events.js';
import type { TargetHealth } from '../engine/health.js';
import { systemClock } from '../resilience/system-clock.js';
import type { WallClock } from '../resilience/wall-clock.js';
import type { Logger } from '../telemetry/logger.js';
import { MemoryCounters, type WindowCounters } from './counters.js';
import { FailModeCounters, RedisCounters } from './redis-counters.js';
import { RedisLink, type RedisLinkStatus } from './redis-link.js';
import { SharedDrains, type SharedDrainsStatus } from './shared-drains.js';
import { SharedBudgets, type SharedBudgetsStatus, type SyncedBudget } from './shared-budgets.js';
import { SharedHealth, type SharedHealthStatus } from './shared-health.js';
import { SharedStats, type SharedStatsStatus } from './shared-stats.js';
import { SharedSpend } from './shared-spend.js';

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
  const drains = new SharedDrains({
    link,
    prefix: settings.prefix,
    events: deps.events,
    wallNow,
    log: deps.log,
  });
  let spend: SharedSpend | undefined;
  let budgets: SharedBudgets | undefined;
  let routingStats: SharedStats | undefined;
  return {
    driver: 'redis',
    counters,
    redis: link,
    attach({ router, keys }) {
      if (router) {
        drains.attach(router);
        spend = new SharedSpend({
          counters,
          ledger: router.spend,
          events: deps.events,
          routes: deps.config.routes.values(),
          wallNow,
          onError: (err) =>
            deps.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'shared spend failed'),
        });
        spend.start();
        // Latency statistics (least-latency, balanced): synced every budgetSyncMs, off the request path.
        if (router.statsTargets.length && settings.budgetSyncMs > 0 && !routingStats) {
          routingStats = new SharedStats({
            redis: link.command,
            link,
            prefix: settings.prefix,
            intervalMs: settings.budgetSyncMs,
            stats: router.stats,
            targets: router.statsTargets,
            clock: deps.budgetClock ?? systemClock,
            wallNow,
          });
          routingStats.start();
        }
      }
      if (keys) shared.attachKeys(keyPoolsByTarget(deps.config, keys));
    },
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
      regions: drains.status(),
      ...(spend ? { spend: spend.status() } : {}),
      ...(budgets ? { budgets: budgets.status() } : {}),
      ...(routingStats ? { routingStats: routingStats.status() } : {}),
    }),
    async close() {
      shared.stop();
      drains.stop();
      spend?.stop();
      budgets?.stop();
      routingStats?.stop();
      await link.close();
    },
  };
}

/** The engine's key pools, addressed by target id (the id travels between instances). */
function keyPoolsByTarget(config: ResolvedConfig, keys: KeyPools) {
  const byId = new Map<string, Target>();
  for (const route of config.routes.values()) for (const t of route.targets) byId.set(t.id, t);
  return {
    holdOut(
      target: string,
      key: string,
      scope: 'target' | 'provider',
      until: number,
      reason: string,
    ): boolean {
      const t = byId.get(target);
      return t ? keys.holdOut(t, key, scope, until, reason) : false;
    },
  };
}
