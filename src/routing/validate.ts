/** Checks of a route's `routing` block against its targets (config load). */
import type { Target } from '../config/types.js';
import type { RouteRouting } from './schema.js';

export function routingProblems(route: string, routing: RouteRouting, targets: readonly Target[]): string[] {
  const ids = new Set(targets.map((t) => t.id));
  const problems: string[] = [];
  const at = `routes.${route}.routing`;
  for (const [field, record] of [
    ['weights', routing.weights],
    ['targetCaps', routing.targetCaps],
  ] as const) {
    for (const id of Object.keys(record ?? {})) {
      if (!ids.has(id)) problems.push(`${at}.${field}: "${id}" is not a target of the route`);
    }
  }
  if (routing.policy === 'weighted') {
    const weights = routing.weights ?? {};
    if (!Object.values(weights).some((w) => w > 0))
      problems.push(`${at}.weights: policy "weighted" needs a positive weight for at least one target`);
  } else if (routing.weights) {
    problems.push(`${at}.weights: only used by policy "weighted" (the policy is "${routing.policy}")`);
  }
  if (routing.tierFloor !== undefined && !targets.some((t) => t.tier <= routing.tierFloor!))
    problems.push(`${at}.tierFloor: no target of the route is at tier ${routing.tierFloor} or better`);
  return problems;
}
