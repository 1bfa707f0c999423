/**
 * Shared state through Redis (`state.driver: redis`, docs/deployment.md): the link, shared breaker and
 * cooldown deadlines, counters shared by every instance, drained regions, cost-cap spend, retry
 * budgets and routing statistics. Imported by `startSharedState` (index.ts) only with that driver, so
 * a gateway keeping its state in memory does not hold this code.
 */
import type { Target, ResolvedConfig } from '../config/types.js';
import type { KeyPools } from '../engine/key-pool.js';
import { systemClock } from '../resilience/system-clock.js';
import type { SharedState, SharedStateDeps } from './index.js';
import { FailModeCounters, RedisCounters } from './redis-counters.js';
import { RedisLink } from './redis-link.js';
import { SharedDrains } from './shared-drains.js';
import { SharedBudgets } from './shared-budgets.js';
import { SharedHealth } from './shared-health.js';
import { SharedStats } from './shared-stats.js';
import { SharedSpend } from './shared-spend.js';

export async function startRedisState(deps: SharedStateDeps, url: string): Promise<SharedState> {
  const settings = deps.config.state;
  const wallNow = (): number => deps.clock.wallNow();
  const link = await RedisLink.open({
    url,
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
