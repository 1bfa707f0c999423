/**
 * Gradual recovery: a target whose breaker has just closed gets only part of its traffic back, ramping
 * to its full share over a window, as Envoy's slow start (reliability reference §1.1, §4.3):
 *
 *   weight(t) = max(minWeight, (t / window)^(1 / aggression))   for t < window, then 1.
 *
 * Aggression 1 is a linear ramp; above 1 the ramp front-loads (more traffic early), below 1 it holds
 * back longer. Unlike Envoy we do not ramp targets at start-up: a fresh gateway would otherwise send 90 %
 * of its first minute away from its primaries.
 */
import type { Random } from '../core/clock.js';

export interface SlowStartOptions {
  /** How long the ramp back to full weight takes, in ms. */
  windowMs: number;
  /** The weight at the start of the ramp (and its floor), in (0, 1]. */
  minWeight: number;
  /** Shape of the ramp: 1 is linear. */
  aggression: number;
}

/** Envoy slow-start defaults (`min_weight_percent` 10 %, `aggression` 1.0) with §4.3's 60 s window. */
export const DEFAULT_SLOW_START: Readonly<SlowStartOptions> = Object.freeze({
  windowMs: 60_000,
  minWeight: 0.1,
  aggression: 1,
});

/** The traffic weight, in [minWeight, 1], of a target `elapsedMs` after its recovery began. */
export function slowStartWeight(elapsedMs: number, opts: SlowStartOptions = DEFAULT_SLOW_START): number {
  if (!(elapsedMs < opts.windowMs)) return 1;
  const t = Math.max(0, elapsedMs) / opts.windowMs;
  const aggression = opts.aggression > 0 ? opts.aggression : 1;
  return Math.min(1, Math.max(opts.minWeight, t ** (1 / aggression)));
}

/**
 * Orders targets so a recovering one takes only its weight's share of the requests it would get.
 *
 * Each target, in the given order, keeps its place with probability `weightOf(id)` (one draw of the
 * injected Random per target whose weight is below 1); a target that loses its draw is moved behind
 * every target that kept its place, in its original relative order. Nothing is dropped: a demoted
 * target is still tried if the ones before it fail. So for a priority route [A, B] with A at weight
 * 0.3, about 30 % of requests try A first and 70 % try B first; with A at weight 1 all try A first.
 * Weights outside [0, 1] are clamped; weight 0 always demotes.
 */
export function weightedOrder<T>(
  targets: readonly T[],
  weightOf: (target: T) => number,
  random: Random,
): T[] {
  const kept: T[] = [];
  let demoted: T[] | undefined;
  for (const t of targets) {
    const w = weightOf(t);
    if (w >= 1 || (w > 0 && random() < w)) kept.push(t);
    else (demoted ??= []).push(t);
  }
  return demoted ? kept.concat(demoted) : kept;
}
