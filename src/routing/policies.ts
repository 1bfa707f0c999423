/**
 * Routing policies: given the targets that may be tried now (health has already filtered them) within
 * one tier, the order to try them in. Each policy is pure apart from its own small state (weighted
 * round-robin counters, the shared latency statistics) and the injected Random. See docs/routing.md.
 *
 * - priority: config order (never called: the router skips it, so it costs nothing).
 * - weighted: smooth weighted round-robin (nginx): every target's counter grows by its weight, the
 *   largest goes first and gives back the total. Shares are exact over every window of Σweights picks.
 * - least-latency: power of two choices over `latency × (in-flight + 1)` (peak EWMA, stats.ts); the
 *   rest by score; with probability `exploration` the target chosen least lately goes first instead.
 * - lowest-cost: estimated cost of this request (prompt tokens and max_tokens at the target's price);
 *   unknown prices last.
 * - balanced: Σ weight × (metric relative to the best candidate), lowest first (docs/routing.md).
 */
import type { Random } from '../core/clock.js';
import type { Target } from '../config/types.js';
import { estimatedCost } from './prices.js';
import type { BalancedWeights, PolicyName, RouteRouting } from './schema.js';
import type { TargetStats } from './stats.js';

export interface RequestSize {
  promptTokens: number;
  outputTokens: number;
}

export interface PolicyInput {
  route: string;
  routing: RouteRouting;
  stream: boolean;
  /** Estimated prompt and output tokens (computed once, on first use). */
  size: () => RequestSize;
}

export interface Ranking {
  targets: Target[];
  /** Each candidate's score, as traced (`rank` entries), in the order given. */
  scores?: { id: string; score: string }[];
}

export interface PolicyDeps {
  random: Random;
  stats: TargetStats;
  now: () => number;
}

const fmt = (n: number): string => (Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : 'unknown');

export class Policies {
  /** Smooth weighted round-robin counters, per route and target id. */
  private readonly wrr = new Map<string, Map<string, number>>();

  constructor(private readonly deps: PolicyDeps) {}

  order(policy: PolicyName, targets: Target[], input: PolicyInput): Ranking {
    if (targets.length < 2 && policy !== 'weighted') return { targets };
    switch (policy) {
      case 'priority':
        return { targets };
      case 'weighted':
        return this.weighted(targets, input);
      case 'least-latency':
        return this.leastLatency(targets, input);
      case 'lowest-cost':
        return this.lowestCost(targets, input);
      case 'balanced':
        return this.balanced(targets, input);
    }
  }

  private weighted(targets: Target[], input: PolicyInput): Ranking {
    const weights = input.routing.weights ?? {};
    const w = (t: Target): number => weights[t.id] ?? 0;
    let counters = this.wrr.get(input.route);
    if (!counters) this.wrr.set(input.route, (counters = new Map()));
    let total = 0;
    let best: Target | undefined;
    let bestValue = -Infinity;
    for (const t of targets) {
      const weight = w(t);
      if (weight <= 0) continue;
      total += weight;
      const value = (counters.get(t.id) ?? 0) + weight;
      counters.set(t.id, value);
      if (value > bestValue) [best, bestValue] = [t, value];
    }
    if (!best) return { targets };
    counters.set(best.id, bestValue - total);
    // The rest fail over by weight, heaviest first (stable).
    const rest = targets.filter((t) => t !== best).sort((a, b) => w(b) - w(a));
    return {
      targets: [best, ...rest],
      scores: targets.map((t) => ({ id: t.id, score: `weight=${w(t)}` })),
    };
  }

  private leastLatency(targets: Target[], input: PolicyInput): Ranking {
    const { stats, random } = this.deps;
    // A target without a sample yet counts as fast as the fastest known one (at least 1 ms, so that
    // attempts in flight still spread a burst instead of sending all of it to the newcomer).
    const latencies = targets.map((t) => stats.latencyMs(t.id, input.stream));
    let fastest = Infinity;
    for (const l of latencies) if (l !== undefined && l < fastest) fastest = l;
    const unknown = Number.isFinite(fastest) ? fastest : 1;
    const scored = targets.map((t, k) => ({
      t,
      s: Math.max(1, latencies[k] ?? unknown) * (stats.get(t.id).inFlight + 1),
    }));
    let first: (typeof scored)[number];
    if (input.routing.exploration > 0 && random() < input.routing.exploration) {
      // Exploration: the target chosen least lately, so that its statistics stay fresh.
      first = scored.reduce((a, b) => (stats.get(b.t.id).lastChosen < stats.get(a.t.id).lastChosen ? b : a));
    } else {
      // Power of two choices: two distinct candidates at random, the lower score wins.
      const i = Math.floor(random() * scored.length);
      let j = Math.floor(random() * (scored.length - 1));
      if (j >= i) j++;
      const [a, b] = [scored[i]!, scored[j]!];
      first = b.s < a.s ? b : a;
    }
    const rest = scored.filter((x) => x !== first).sort((a, b) => a.s - b.s);
    stats.chosen(first.t.id);
    return {
      targets: [first.t, ...rest.map((x) => x.t)],
      scores: scored.map((x) => ({ id: x.t.id, score: `latency*load=${fmt(x.s)}` })),
    };
  }

  private lowestCost(targets: Target[], input: PolicyInput): Ranking {
    const size = input.size();
    const scored = targets.map((t) => ({ t, cost: estimatedCost(t, size) ?? Infinity }));
    scored.sort((a, b) => a.cost - b.cost);
    return {
      targets: scored.map((x) => x.t),
      scores: scored.map((x) => ({
        id: x.t.id,
        score: `usd=${x.cost === Infinity ? 'unknown' : x.cost.toPrecision(3)}`,
      })),
    };
  }

  private balanced(targets: Target[], input: PolicyInput): Ranking {
    const scored = balancedScores(targets, input, this.deps.stats);
    const ordered = [...scored].sort((a, b) => a.score - b.score);
    if (ordered[0]) this.deps.stats.chosen(ordered[0].t.id);
    return {
      targets: ordered.map((x) => x.t),
      scores: scored.map((x) => ({ id: x.t.id, score: `balanced=${fmt(x.score)}` })),
    };
  }
}

/**
 * The balanced score of each candidate: Σ w·r, lowest first, where each r says how much worse than the
 * best candidate it is, in doublings: r = 1 + log2(x / best) for cost (estimated USD of this request),
 * TTFT (peak EWMA) and throughput (best tokens/s / own), so 1 for the best, 2 for twice as bad, 1 when
 * unknown; and r = 1 + errorRate / 0.1 for errors (each 10 % of recent errors counts as one doubling).
 */
export function balancedScores(
  targets: Target[],
  input: PolicyInput,
  stats: TargetStats,
): { t: Target; score: number }[] {
  const w: BalancedWeights = input.routing.balanced;
  const size = w.cost > 0 ? input.size() : undefined;
  const rows = targets.map((t) => ({
    t,
    cost: size ? estimatedCost(t, size) : undefined,
    ttft: stats.latencyMs(t.id, input.stream),
    tps: stats.tokensPerSecond(t.id),
    errors: stats.errorRate(t.id) ?? 0,
  }));
  const min = (xs: (number | undefined)[]): number | undefined => {
    const known = xs.filter((x): x is number => x !== undefined && x > 0);
    return known.length ? Math.min(...known) : undefined;
  };
  const cheapest = min(rows.map((r) => r.cost));
  const fastest = min(rows.map((r) => r.ttft));
  const quickest = rows.reduce((m, r) => Math.max(m, r.tps ?? 0), 0);
  const ratio = (x: number | undefined, best: number | undefined): number =>
    x === undefined || best === undefined || x <= best ? 1 : 1 + Math.log2(x / best);
  return rows.map((r) => ({
    t: r.t,
    score:
      w.cost * ratio(r.cost, cheapest) +
      w.ttft * ratio(r.ttft, fastest) +
      w.throughput * (r.tps && quickest ? ratio(quickest, r.tps) : 1) +
      w.errors * (1 + r.errors / 0.1),
  }));
}
