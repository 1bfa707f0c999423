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

/**
 * A score as traced: rounded to thousandths, as `String(Math.round(n * 1000) / 1000)` writes it, or
 * `unknown`. Scores are formatted on every ranked request (the trace is stored), and String() of a
 * fraction runs V8's shortest-digits algorithm, so below 1e9 the integer of thousandths is written
 * instead: there the double nearest k/1000 prints as exactly k/1000's digits (its ULP is far below
 * 0.001, so no shorter decimal denotes it), which String() of an integer gives from its cache.
 */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'unknown';
  const k = Math.round(n * 1000);
  if (!(k >= 0 && k < 1e12)) return String(k / 1000);
  const whole = Math.floor(k / 1000);
  let frac = k - whole * 1000;
  if (frac === 0) return String(whole);
  let digits = 3;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  const f = String(frac);
  return `${whole}.${f.length < digits ? '0'.repeat(digits - f.length) + f : f}`;
}

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
    const now = this.deps.now(); // one clock read for every candidate
    const n = targets.length;
    // Plain loops over indices: this runs on every request of the route (no closures, one array).
    // A target without a sample yet counts as fast as the fastest known one (at least 1 ms, so that
    // attempts in flight still spread a burst instead of sending all of it to the newcomer).
    const score: (number | undefined)[] = [];
    let fastest = Infinity;
    for (let k = 0; k < n; k++) {
      const l = stats.latencyMs(targets[k]!.id, input.stream, now);
      score.push(l);
      if (l !== undefined && l < fastest) fastest = l;
    }
    const unknown = Number.isFinite(fastest) ? fastest : 1;
    for (let k = 0; k < n; k++)
      score[k] = Math.max(1, score[k] ?? unknown) * (stats.get(targets[k]!.id).inFlight + 1);
    const s = score as number[];
    let first = 0;
    if (input.routing.exploration > 0 && random() < input.routing.exploration) {
      // Exploration: the target chosen least lately (the first of equals), so that its statistics stay fresh.
      for (let k = 1; k < n; k++)
        if (stats.get(targets[k]!.id).lastChosen < stats.get(targets[first]!.id).lastChosen) first = k;
    } else {
      // Power of two choices: two distinct candidates at random, the lower score wins.
      const i = Math.floor(random() * n);
      let j = Math.floor(random() * (n - 1));
      if (j >= i) j++;
      first = s[j]! < s[i]! ? j : i;
    }
    // The rest by score (stable: equal scores keep their order).
    const rest: number[] = [];
    for (let k = 0; k < n; k++) if (k !== first) rest.push(k);
    if (rest.length > 1) rest.sort((a, b) => s[a]! - s[b]!);
    const ordered = [targets[first]!];
    for (const k of rest) ordered.push(targets[k]!);
    stats.chosen(targets[first]!.id, now);
    const scores: { id: string; score: string }[] = [];
    for (let k = 0; k < n; k++) scores.push({ id: targets[k]!.id, score: `latency*load=${fmt(s[k]!)}` });
    return { targets: ordered, scores };
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
