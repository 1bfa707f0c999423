/**
 * GET /v1/switchyard/status: every route and every target with its breaker state, error and slow-call
 * rates, p50/p95 time to first token, slow-start weight and when it will next be probed. A key scoped
 * to some models sees only those routes and their targets.
 */
import type { Route, Target } from '../config/types.js';
import type { RequestContext } from './app.js';
import { sendJson } from './respond.js';

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
      targets: r.targets.map((t) => ({ id: t.id, tier: t.tier })),
      hedge: r.hedge ?? null,
    })),
    targets: engine.health.status([...targets.values()]),
  });
}
