/**
 * A request's plan in three steps, written once:
 *   1. routing filters — tier floor, drained regions, target cost caps, per-request pin/skip (router.ts)
 *   2. health          — which of those may be tried now: breakers, cooldowns, panic (TargetHealth.plan),
 *                        calling back the **policy** for the order of the usable ones, then slow start
 *   3. failover        — the engine walks the order (engine.ts)
 * Without a router, or on a priority route with nothing to filter, step 1 and the policy cost nothing.
 */
import type { Target } from '../config/types.js';
import type { Router } from '../routing/router.js';
import type { Plan, TargetHealth } from './health.js';
import { skipTarget, type RequestState } from './request-state.js';

export function planRequest(
  health: TargetHealth,
  router: Router | undefined,
  targets: readonly Target[],
  state: RequestState,
): Plan {
  const { call } = state;
  const scope = { events: state.events, requestId: call.requestId, route: call.route.name };
  const stream = (state.body as { stream?: unknown } | undefined)?.stream === true;
  const prepared = router?.prepare(
    call.route,
    targets,
    { ...(call.routing ? { routing: call.routing } : {}), stream, body: state.body },
    scope,
  );
  if (!prepared) return health.plan(targets, scope);
  for (const skip of prepared.skipped) skipTarget(state, skip, true);
  if (!prepared.targets.length) return { targets: [], panic: false };
  return health.plan(prepared.targets, scope, prepared.order);
}
