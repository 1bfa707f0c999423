/**
 * The routing layer: what a request may try before health has its say (tier floor, drained regions,
 * cost caps, per-request pin and skip), and the order the policy gives the healthy ones. The engine
 * runs it in three steps (src/engine/routing-plan.ts): `prepare` filters here, health selects (breakers,
 * cooldowns, panic) and ramps (slow start), calling back `order` for the policy, and failover walks the
 * result. Priority routing with no floor, no region, no caps and no drains takes a fast path that costs
 * nothing: `prepare` returns undefined. See docs/routing.md.
 */
import type { Clock, Random } from '../core/clock.js';
import { ApiError } from '../core/errors.js';
import type { EventBus, RequestScope } from '../core/events.js';
import type { GatewayKey, Route, Target } from '../config/types.js';
import type { PolicyName } from './schema.js';
import { Policies, type PolicyInput, type RequestSize } from './policies.js';
import { SpendLedger, describeHit, routeScope, targetScope } from './spend.js';
import { TargetStats } from './stats.js';

/** What one request asks of routing (headers and its key), resolved by the server. */
export interface RequestRouting {
  /** The strictest floor of the route, the key and the request: the worst tier it accepts. */
  tierFloor?: number;
  /** Preferred region (request header, else the key's). */
  region?: string;
  /** Only this target id (x-switchyard-pin). */
  pin?: string;
  /** Never these target ids (x-switchyard-skip). */
  skip?: string[];
}

export type RoutingSkipReason = 'tier-floor' | 'region-drained' | 'cost-cap' | 'override';

export interface Prepared {
  targets: Target[];
  skipped: { target: string; reason: RoutingSkipReason; detail: string }[];
  /** The policy's order of the healthy targets, tier by tier (absent: keep the order). */
  order?: (usable: Target[]) => Target[];
}

export interface RouterOptions {
  clock: Pick<Clock, 'now'>;
  /** Epoch ms, for cost caps per UTC day and month. */
  wallNow: () => number;
  random: Random;
  /** Statistics and spend are fed from these events when some route or key needs them. */
  events?: EventBus;
  routes?: Iterable<Route>;
  keys?: readonly GatewayKey[];
}

const STATS_POLICIES = new Set(['least-latency', 'balanced']);

export class Router {
  readonly stats: TargetStats;
  /** Targets of routes whose policy reads the statistics (shared across instances with Redis). */
  readonly statsTargets: string[];
  readonly spend: SpendLedger;
  private readonly policies: Policies;
  private readonly drained = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly events: EventBus | undefined;

  constructor(options: RouterOptions) {
    this.events = options.events;
    const routes = [...(options.routes ?? [])];
    // One set of statistics per target, whichever routes share it: the shortest τ of those routes.
    const taus = routes.flatMap((r) =>
      r.routing && STATS_POLICIES.has(r.routing.policy) ? [r.routing.decayMs] : [],
    );
    this.stats = new TargetStats(options.clock, taus.length ? Math.min(...taus) : undefined);
    this.statsTargets = [
      ...new Set(
        routes.flatMap((r) =>
          r.routing && STATS_POLICIES.has(r.routing.policy) ? r.targets.map((t) => t.id) : [],
        ),
      ),
    ];
    this.spend = new SpendLedger(options.wallNow);
    this.policies = new Policies({
      random: options.random,
      stats: this.stats,
      now: () => options.clock.now(),
    });
    const { events } = options;
    if (!events) return;
    if (routes.some((r) => r.routing && STATS_POLICIES.has(r.routing.policy))) {
      this.unsubscribe.push(
        events.subscribe('attempt.started', (e) => this.stats.started(e.target)),
        events.subscribe('attempt.ended', (e) => this.stats.ended(e)),
      );
    }
    const capped = routes.filter((r) => r.routing?.cap || r.routing?.targetCaps);
    if (capped.length) {
      this.unsubscribe.push(
        events.subscribe('attempt.ended', (e) => {
          if (e.costUsd === undefined) return;
          this.spend.add(targetScope(e.target), e.costUsd);
          this.spend.add(routeScope(e.route), e.costUsd);
        }),
      );
    }
    // A key's cap is its budget: the key limiter counts it (src/keys/limiter.ts, docs/keys.md).
  }

  /** Stops listening to the events. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  // -- regions -------------------------------------------------------------------------------------

  drain(region: string): void {
    this.drained.add(region);
    this.events?.publish('region.drain', { region, drained: true });
  }

  undrain(region: string): boolean {
    const was = this.drained.delete(region);
    this.events?.publish('region.drain', { region, drained: false });
    return was;
  }

  drainedRegions(): string[] {
    return [...this.drained].sort();
  }

  /**
   * The route's cap reached: the request is refused (429) and the error says so. Target caps only
   * move traffic on (`prepare`); a key's cap is its budget, counted by the key limiter (docs/keys.md).
   */
  capRefusal(route: Route): ApiError | undefined {
    if (!route.routing?.cap) return undefined; // the common case: nothing to check
    const hit = this.spend.reached(routeScope(route.name), route.routing.cap);
    const scope = `route "${route.name}"`;
    if (!hit) return undefined;
    return new ApiError({
      status: 429,
      type: 'insufficient_quota',
      code: 'cost_cap_reached',
      message: `The ${hit.period === 'day' ? 'daily' : 'monthly'} spend cap of the ${scope} is reached ($${hit.spentUsd.toFixed(4)} of $${hit.capUsd}); it resets at the start of the next UTC ${hit.period}.`,
      headers: { 'x-should-retry': 'false' },
    });
  }

  /**
   * The targets a request may try before health is asked, and the policy's order for the healthy
   * ones; undefined when nothing applies (priority routing with nothing to filter: the fast path).
   */
  prepare(
    route: Route,
    targets: readonly Target[],
    request: { routing?: RequestRouting; stream: boolean; body: unknown },
    scope: RequestScope,
  ): Prepared | undefined {
    const settings = route.routing;
    const asked = request.routing;
    if (!settings && !asked && this.drained.size === 0) return undefined;
    const floor = asked?.tierFloor ?? settings?.tierFloor;
    const skipped: Prepared['skipped'] = [];
    const kept: Target[] = [];
    for (const t of targets) {
      const why = this.exclusion(t, route, asked, floor);
      if (why) {
        const skip = { target: t.id, ...why };
        skipped.push(skip);
        scope.events.publish('target.skipped', { requestId: scope.requestId, route: scope.route, ...skip });
      } else kept.push(t);
    }
    const policy = asked?.pin ? 'priority' : (settings?.policy ?? 'priority');
    const region = asked?.region;
    if (policy === 'priority' && !region) return { targets: kept, skipped };
    let size: RequestSize | undefined;
    const input: PolicyInput | undefined = settings && {
      route: route.name,
      routing: settings,
      stream: request.stream,
      size: () => (size ??= requestSize(request.body, settings.expectedOutputTokens)),
    };
    const order = (usable: Target[]): Target[] => {
      let out: Target[] | undefined;
      for (const group of groups(usable, region)) {
        const ordered = policy === 'priority' || !input ? group : this.rank(policy, group, input, scope);
        // One group (the common case) is the order itself; groups are fresh arrays, the first one
        // collects the rest.
        if (!out) out = ordered;
        else for (const t of ordered) out.push(t);
      }
      return out ?? [];
    };
    return { targets: kept, skipped, order };
  }

  /** The policy's order of one group, its scores announced (`target.ranked`, which the trace writes). */
  private rank(policy: PolicyName, group: Target[], input: PolicyInput, scope: RequestScope): Target[] {
    const ranking = this.policies.order(policy, group, input);
    const { events, requestId, route } = scope;
    if (ranking.scores && events.wants('target.ranked'))
      for (const s of ranking.scores)
        events.publish('target.ranked', { requestId, route, target: s.id, policy, score: s.score });
    return ranking.targets;
  }

  private exclusion(
    t: Target,
    route: Route,
    asked: RequestRouting | undefined,
    floor: number | undefined,
  ): { reason: RoutingSkipReason; detail: string } | undefined {
    if (asked?.pin !== undefined && t.id !== asked.pin)
      return { reason: 'override', detail: 'override:pinned-elsewhere' };
    if (asked?.skip?.includes(t.id)) return { reason: 'override', detail: 'override:skipped' };
    if (floor !== undefined && t.tier > floor)
      return { reason: 'tier-floor', detail: `tier-floor:${t.tier}>${floor}` };
    const region = t.region;
    if (region !== undefined && this.drained.has(region))
      return { reason: 'region-drained', detail: `region-drained:${region}` };
    const cap = route.routing?.targetCaps?.[t.id];
    const hit = cap && this.spend.reached(targetScope(t.id), cap);
    if (hit) return { reason: 'cost-cap', detail: describeHit('target', hit) };
    return undefined;
  }
}

/**
 * Consecutive runs of one tier (targets come in tier order), each split into the preferred region's
 * targets first and the others after: a policy reorders within a group, never across a tier.
 */
function groups(targets: Target[], region: string | undefined): Target[][] {
  // One tier and no preferred region (the common case): one group, a copy of the list.
  if (region === undefined && targets.every((t) => t.tier === targets[0]!.tier)) return [targets.slice()];
  const out: Target[][] = [];
  let i = 0;
  while (i < targets.length) {
    const tier = targets[i]!.tier;
    let j = i;
    while (j < targets.length && targets[j]!.tier === tier) j++;
    const run = targets.slice(i, j);
    if (region === undefined) out.push(run);
    else {
      const near = run.filter((t) => t.region === region);
      const far = run.filter((t) => t.region !== region);
      if (near.length) out.push(near);
      if (far.length) out.push(far);
    }
    i = j;
  }
  return out;
}

/** About 4 characters a prompt token; output: max_tokens (or max_completion_tokens), else the route's guess. */
export function requestSize(body: unknown, expectedOutputTokens: number): RequestSize {
  const b = (body ?? {}) as {
    messages?: unknown;
    input?: unknown;
    max_tokens?: unknown;
    max_completion_tokens?: unknown;
  };
  const prompt = b.messages ?? b.input ?? '';
  const promptTokens = Math.ceil(JSON.stringify(prompt).length / 4);
  const max = typeof b.max_completion_tokens === 'number' ? b.max_completion_tokens : b.max_tokens;
  return { promptTokens, outputTokens: typeof max === 'number' && max > 0 ? max : expectedOutputTokens };
}
