/**
 * GET /v1/switchyard/status: every route and every target with its breaker state, error and slow-call
 * rates, p50/p95 time to first token, slow-start weight and when it will next be probed. A key scoped
 * to some models sees only those routes and their targets.
 */
import type { Route, Target } from '../config/types.js';
import type { RequestContext } from './app.js';
import { sendJson } from './respond.js';
import type { TargetStatus } from '../engine/health.js';
import type { Router } from '../routing/router.js';
import { routeScope, targetScope } from '../routing/spend.js';

export function handleStatus(ctx: RequestContext): void {
  const key = ctx.auth.authenticate(ctx.req.headers);
  const { config, engine } = ctx.deps;
  const routes: Route[] = [];
  const targets = new Map<string, Target>();
  for (const route of config.routes.values()) {
    if (key?.models && !key.models.has(route.name)) continue;
    routes.push(route);
    for (const t of route.targets) targets.set(t.id, t);
  }
  sendJson(ctx.res, 200, {
    object: 'switchyard.status',
    routes: routes.map((r) => ({
      name: r.name,
      targets: r.targets.map((t) => ({ id: t.id, tier: t.tier, ...(t.region ? { region: t.region } : {}) })),
      hedge: r.hedge ?? null,
      policy: r.routing?.policy ?? 'priority',
      ...(r.routing?.cap && engine.router
        ? { cap: { ...r.routing.cap, spentUsd: engine.router.spend.spent(routeScope(r.name)) } }
        : {}),
    })),
    targets: withRouting(engine.health.status([...targets.values()]), engine.router),
    drainedRegions: engine.router?.drainedRegions() ?? [],
    // Key pools: each key of the providers shown, by label (never the key), ready or cooling.
    providerKeys: engine.keys.status(
      new Map([...targets.values()].map((t) => [t.provider.id, t.provider])).values(),
    ),
  });
}

/** Each target's routing statistics (latency averages, throughput, error rate) and spend, when known. */
function withRouting(status: TargetStatus[], router: Router | undefined): TargetStatus[] {
  if (!router) return status;
  return status.map((s) => {
    const stats = router.stats.snapshot(s.id);
    const spend = router.spend.spent(targetScope(s.id));
    return {
      ...s,
      ...(Object.keys(stats).length ? { routing: stats } : {}),
      ...(spend.monthUsd > 0 ? { spendUsd: spend } : {}),
    };
  });
}
