/**
 * Race (opt-in per route, `race`): the request goes to two targets at once — the route's first two
 * healthy targets, or a named set — and the first to reach its first token (non-streaming: its complete
 * answer) wins; the others are cancelled at once. It is a hedge with no delay over a chosen pair, with
 * its own rules:
 * - a racer that fails before its first token leaves the race to the others; when every racer has
 *   failed, the request fails over down the rest of the route as usual;
 * - a racer cancelled because another won is no verdict on its target (a hedge's loser is a slow call;
 *   a race's loser was never given the time to be one): only the target's own faults count;
 * - races do not draw from the retry budget (the route asks for the extra attempt every time);
 * - every racer's tokens and cost are accounted (the loser's as the trace's `lost_race` attempt).
 * See docs/speculative.md.
 */
import type { Publisher } from '../core/events.js';
import type { Route, Target } from '../config/types.js';
import type { Cancellation } from './attempt.js';
import type { RequestState } from './request-state.js';

export interface RaceStart {
  /** The targets launched together (one when only one of them is usable). */
  racers: Target[];
  /** Tells how the race ended, once (`race.settled`); `winner` undefined when every racer failed. */
  settle(winner: Target | undefined): void;
}

/**
 * Takes the racers out of the planned queue (which keeps the rest, in order, for failover) and
 * announces the race. Undefined on routes that do not race.
 */
export function startRace(
  route: Route,
  state: RequestState,
  queue: Target[],
  events: Publisher,
): RaceStart | undefined {
  if (!route.race) return undefined;
  const named = route.race.targets;
  const racers = named
    ? queue.filter((t) => named.includes(t.id))
    : queue.slice(0, Math.min(2, queue.length));
  for (const r of racers) queue.splice(queue.indexOf(r), 1);
  if (racers.length === 0) return undefined;
  // Each racer gets its first attempt; the route's attempt allowance is for retries and failover on top.
  state.maxAttempts += racers.length - 1;
  const ids = racers.map((t) => t.id);
  const { requestId } = state.call;
  if (racers.length < 2) {
    events.publish('race.alone', { requestId, route: route.name, target: ids[0]! });
    return { racers, settle: () => undefined };
  }
  events.publish('race.started', { requestId, route: route.name, targets: ids });
  let settled = false;
  const race: RaceStart = {
    racers,
    settle(winner) {
      if (settled) return;
      settled = true;
      if (events.wants('race.settled'))
        events.publish('race.settled', {
          requestId,
          route: route.name,
          targets: ids,
          winner: winner?.id ?? null,
        });
    },
  };
  state.race = race;
  return race;
}

/**
 * What a cancelled attempt tells its target's breaker. On routes that race or vote, another attempt
 * winning is the gateway's choice, not the target's fault: the cancellation carries no verdict (a wait
 * past the slow-call threshold before it was still judged as it happened, as for any stream).
 */
export function cancellationVerdict(route: Route, cancelled: Cancellation): Cancellation {
  if (!cancelled.lostRace || (!route.race && !route.consensus)) return cancelled;
  return { lostRace: false };
}
