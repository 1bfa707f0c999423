/**
 * The only place where routing, resilience and providers meet. For one request: walk the route's
 * planned targets in order (active-passive), run each target's attempts, fail over when a target
 * gives up, and — on routes that hedge — start the next target in parallel when no first token has
 * come after the hedge delay; the first attempt to reach its first token wins and the others are
 * cancelled at once. Streams are held at the commit point so that any failure before the first token
 * stays invisible, and a stream still waiting for its first token from a target that is ejected (its
 * breaker opens) moves on at once (ejection.ts). See docs/failover.md.
 */
import type { ChatCompletion } from '../core/chat.js';
import type { Clock, Random } from '../core/clock.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import { clientClosedRequest, serverShuttingDown, SHUTTING_DOWN } from '../core/errors.js';
import { NO_EVENTS, type EventBus } from '../core/events.js';
import type { Route, Target } from '../config/types.js';
import { Deadline, DeadlineExceededError } from '../resilience/deadline.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import type { UpstreamClient } from '../upstream/client.js';
import { LOST_RACE } from './attempt.js';
import { CommitGate } from './commit-gate.js';
import { continueStream, type ContinueDeps } from './continue-stream.js';
import { ContinuableSink } from './continuation.js';
import { CooldownHealth } from './cooldown-health.js';
import { KeyPools } from './key-pool.js';
import { EJECTED } from './ejection.js';
import { chatOperation, embeddingsOperation, type Operation } from './exchanges.js';
import type { TargetHealth } from './health.js';
import { consensusNeedsNonStreaming, runConsensus } from './consensus.js';
import { HedgePolicy, type HedgeTimer } from './hedging.js';
import { startRace, type RaceStart } from './race.js';
import { exhaustedError } from './outcome-errors.js';
import { planRequest } from './routing-plan.js';
import type { Router } from '../routing/router.js';
import { RequestEvents } from '../core/request-events.js';
import { skipTarget, type RequestState, type RunCall } from './request-state.js';
import { CommittedFailure, runTarget, type RunnerDeps, type Success } from './target-runner.js';
import type { ChatCall, CompletionResult, ResponseMeta, StreamSink } from './types.js';
import { Cancel } from '../core/cancel.js';

export type { RunCall };

export interface EngineDeps {
  client: UpstreamClient;
  clock: Clock;
  random: Random;
  /** Shared by every request; keyed by target. */
  budget?: RetryBudget;
  health?: TargetHealth;
  /** Where attempts, retries, failovers, hedges and skips are announced (src/core/events.ts). */
  events?: EventBus;
  /** Routing policies, tier floors, regions, caps and overrides (docs/routing.md); absent: priority. */
  router?: Router;
  /** Providers' key pools and their per-key cooldowns; absent: the engine keeps its own. */
  keys?: KeyPools;
}

interface Racer<T> {
  target: Target;
  /**
   * On routes that hedge, where racers can lose, and on streams, which can be moved off an ejected
   * target; otherwise a lone racer lives and dies with the request.
   */
  controller: Cancel | undefined;
  done: Promise<{ racer: Racer<T>; result: Success<T> | undefined }>;
}

/** How a request is run, when not by the route's plain failover (this.race). */
type Strategy<T> = (state: RequestState, racers: Set<Racer<T>>) => Promise<Success<T> | undefined>;

export class Engine {
  readonly health: TargetHealth;
  readonly router: Router | undefined;
  /** Per-key cooldowns of providers with a key pool (the status endpoint shows them). */
  readonly keys: KeyPools;
  private readonly runner: RunnerDeps;
  private readonly hedges: HedgePolicy;

  constructor(private readonly deps: EngineDeps) {
    this.health = deps.health ?? new CooldownHealth(deps.clock);
    this.router = deps.router;
    const budget = deps.budget ?? new RetryBudget({ clock: deps.clock });
    const events = deps.events ?? NO_EVENTS;
    this.keys = deps.keys ?? new KeyPools(deps.clock, events);
    this.runner = { ...deps, budget, health: this.health, events, keys: this.keys };
    this.hedges = new HedgePolicy({ clock: deps.clock, budget, health: this.health });
  }

  /** A hedging route's hedge cap (a retry budget keyed by the route's name). */
  hedgeCap(route: Route): RetryBudget {
    return this.hedges.capFor(route);
  }

  /** A non-streaming chat request: the first successful attempt's completion, or an ApiError. */
  async complete(call: ChatCall): Promise<CompletionResult> {
    const operation = chatOperation(call.request);
    // Consensus routes ask several targets and answer with the majority (consensus.ts).
    const vote: Strategy<ChatCompletion> | undefined = call.route.consensus
      ? (state, racers) =>
          runConsensus(
            {
              runner: this.runner,
              plan: () => planRequest(this.health, this.router, state.call.route.targets, state),
              fallback: () => this.race(operation, state, racers),
            },
            operation,
            state,
          )
      : undefined;
    const { state, result } = await this.execute(call, call.request, operation, undefined, undefined, vote);
    return { completion: result.value!, meta: this.meta(state) };
  }

  async embed(
    call: RunCall,
    request: EmbeddingsRequest,
  ): Promise<{ response: EmbeddingsResponse; meta: ResponseMeta }> {
    const { state, result } = await this.execute(call, request, embeddingsOperation(request));
    return { response: result.value!, meta: this.meta(state) };
  }

  /**
   * A streaming chat request, relayed into `sink`. Resolves when the stream has ended, one way or
   * another. On routes with `continuation`, a stream cut after its commit point is continued
   * (continueStream) instead of ending with an error event.
   */
  async stream(call: ChatCall, sink: StreamSink): Promise<void> {
    if (call.route.consensus) throw consensusNeedsNonStreaming(call.route.name);
    const stitched = call.route.continuation ? new ContinuableSink(sink) : undefined;
    const out = stitched ?? sink;
    let state: RequestState | undefined;
    try {
      const { result } = await this.execute(
        call,
        call.request,
        chatOperation(call.request),
        (s, onCommit) => {
          state = s;
          return new CommitGate(out, () => this.meta(s), onCommit);
        },
        stitched &&
          ((s, racers, cut) => {
            const deps: ContinueDeps = {
              meta: (st) => this.meta(st),
              race: (operation, st, targets) => this.race(operation, st, racers, targets),
              cancelRacers: (winner, forget) => {
                for (const r of racers) if (r.target !== winner) r.controller?.abort(LOST_RACE);
                if (forget) racers.clear();
              },
            };
            return continueStream(deps, { request: call.request, state: s, cut, sink: stitched });
          }),
      );
      stitched?.summarize(state!.trace);
      state!.gate!.finish(result.relay!);
    } catch (error) {
      if (!(error instanceof CommittedFailure)) throw error;
      out.fail(error.failure);
    }
  }

  private async execute<T>(
    call: RunCall,
    body: unknown,
    operation: Operation<T>,
    makeGate?: (state: RequestState, onCommit: (winner: Target) => void) => CommitGate,
    /** Streams that continue after a cut: returns the continuation, or throws the cut. */
    onCut?: (state: RequestState, racers: Set<Racer<T>>, cut: CommittedFailure) => Promise<Success<T>>,
    /** Runs the request instead of the plan's failover (consensus routes). */
    strategy?: Strategy<T>,
  ): Promise<{ state: RequestState; result: Success<T> }> {
    const { route } = call;
    const timeoutMs = Math.min(route.timeouts.requestMs, call.timeoutMs ?? Infinity);
    const deadline = new Deadline(timeoutMs, this.deps.clock);
    // One signal for "stop now": the client left or the deadline passed.
    const { signal } = call.cancel;
    deadline.abortOnExpiry(call.cancel);
    const events = new RequestEvents(this.runner.events);
    const state: RequestState = {
      call,
      body,
      events,
      trace: events.trace,
      attempts: 0,
      maxAttempts: route.retry.maxAttempts,
      failures: [],
      skips: [],
      deadline,
      signal,
      panic: false,
    };
    const racers = new Set<Racer<T>>();
    const cancelOthers = (winner?: Target): void => {
      for (const r of racers) if (r.target !== winner) r.controller?.abort(winner ? LOST_RACE : undefined);
    };
    if (makeGate) {
      state.gate = makeGate(state, (winner) => {
        state.current = winner;
        cancelOthers(winner);
        state.race?.settle(winner);
      });
    }
    try {
      let result: Success<T> | undefined;
      try {
        result = await (strategy ? strategy(state, racers) : this.race(operation, state, racers));
      } catch (error) {
        if (!onCut || !(error instanceof CommittedFailure)) throw error;
        result = await onCut(state, racers, error);
      }
      if (result) return { state, result };
    } finally {
      cancelOthers();
      deadline.dispose();
      call.onSettled?.(this.meta(state));
    }
    if (signal.aborted && signal.reason === SHUTTING_DOWN) throw serverShuttingDown();
    if (signal.aborted && !(signal.reason instanceof DeadlineExceededError)) throw clientClosedRequest();
    throw exhaustedError({
      failures: state.failures,
      skips: state.skips,
      meta: this.meta(state),
      deadlineExpired: deadline.expired(),
      timeoutMs,
    });
  }

  /**
   * Runs the plan: one target at a time, the next when it gives up; with hedging, the next also when
   * the running ones have produced no first token by the hedge delay.
   */
  private race<T>(
    operation: Operation<T>,
    state: RequestState,
    racers: Set<Racer<T>>,
    targets: Target[] = state.call.route.targets,
  ): Promise<Success<T> | undefined> {
    // Not async: the common case hands back failover's own promise (an async function returning it
    // would wrap it in another, and take two more turns of the microtask queue to settle).
    try {
      const { route } = state.call;
      const plan = planRequest(this.health, this.router, targets, state);
      if (plan.skipped) for (const skip of plan.skipped) skipTarget(state, skip, true);
      const queue = plan.targets;
      if (!queue.length) return Promise.resolve(undefined);
      state.panic = plan.panic;
      // The first target (before a race takes its racers out of the queue): what a hedge is counted from.
      const first = queue[0]!;
      const hedge = this.hedges.start(route, state, first);
      // The request's own plan races; a continuation of a cut stream (other targets) runs one at a time.
      const race = targets === route.targets ? startRace(route, state, queue, state.events) : undefined;
      const ejectable = state.gate !== undefined && this.health.onEjected !== undefined;
      // Plain failover (no hedge, no race, no stream to move off an ejected target), the common case.
      if (!route.hedge && !race && !ejectable) {
        // One target (most routes): its attempts' own promise, without a failover loop around it.
        if (queue.length === 1) return runTarget(this.runner, queue[0]!, operation, state, state.signal);
        return this.failover(operation, state, queue);
      }
      return this.contest(operation, state, racers, queue, first, hedge, race, ejectable);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** `race` with hedges, a race of targets, or a stream that can be moved off an ejected target. */
  private async contest<T>(
    operation: Operation<T>,
    state: RequestState,
    racers: Set<Racer<T>>,
    queue: Target[],
    first: Target,
    hedge: HedgeTimer,
    race: RaceStart | undefined,
    ejectable: boolean,
  ): Promise<Success<T> | undefined> {
    const { route } = state.call;
    const { events } = state;
    // Moved off an ejected target only when there is somewhere better to go: another racer, or a next
    // target that is healthy now (not in panic, when every target is as bad; never onto a target that
    // is itself open or still on probation).
    const canMove = (): boolean =>
      !state.gate!.committed &&
      !state.panic &&
      (racers.size > 1 ||
        (state.attempts < state.maxAttempts && queue.some((t) => this.health.accepts?.(t) ?? true)));
    const launch = (target: Target = queue.shift()!): void => {
      hedge.launched();
      // Each racer of a hedging route or a stream gets its own signal, so that it can lose or be moved;
      // otherwise the one racer at a time simply runs on the request's signal. The request's abort
      // reason (e.g. the gateway shutting down) passes on to the racer.
      const controller = route.hedge || race || ejectable ? new Cancel() : undefined;
      const abort = (): void => controller!.abort(state.signal.reason);
      if (controller) state.signal.addEventListener('abort', abort, { once: true });
      const unwatch = ejectable
        ? this.health.onEjected!(target, () => {
            if (canMove()) controller!.abort(EJECTED);
          })
        : undefined;
      const racer: Racer<T> = {
        target,
        controller,
        done: runTarget(this.runner, target, operation, state, controller?.signal ?? state.signal)
          .finally(() => {
            unwatch?.();
            if (controller) state.signal.removeEventListener('abort', abort);
          })
          .then((result) => ({ racer, result })),
      };
      racers.add(racer);
    };
    if (race) for (const target of race.racers) launch(target);
    else launch();
    while (racers.size) {
      const hedgeDue = queue.length && !state.gate?.committed ? hedge.next() : undefined;
      const settled = await Promise.race([
        ...[...racers].map((r) => r.done),
        ...(hedgeDue ? [hedgeDue] : []),
      ]);
      hedge.cancel();
      if (settled === 'hedge') {
        const room = !state.gate?.committed && queue.length && state.attempts < state.maxAttempts;
        if (room && hedge.allow()) {
          state.hedged = true;
          if (events.wants('hedge.fired')) {
            const { requestId } = state.call;
            const { delayMs } = hedge;
            events.publish('hedge.fired', {
              requestId,
              route: route.name,
              primary: first.id,
              target: queue[0]!.id,
              delayMs,
            });
          }
          launch();
        }
        continue;
      }
      racers.delete(settled.racer);
      if (settled.result) {
        for (const loser of racers) loser.controller?.abort(LOST_RACE);
        state.race?.settle(settled.racer.target);
        // A race's losers end at once; waited for so that their cost is in the trace when the answer leaves.
        if (state.race) await Promise.allSettled([...racers].map((r) => r.done));
        if (state.hedged && events.wants('hedge.settled')) {
          const winner = settled.racer.target.id;
          const result = settled.racer.target === first ? 'lost' : 'won';
          events.publish('hedge.settled', {
            requestId: state.call.requestId,
            route: route.name,
            winner,
            result,
          });
        }
        return settled.result;
      }
      if (!racers.size) state.race?.settle(undefined);
      const exhausted = state.attempts >= state.maxAttempts || state.signal.aborted;
      if (!racers.size && queue.length && !exhausted) {
        if (events.wants('failover')) this.announceFailover(state, settled.racer.target, queue[0]!);
        launch();
      }
    }
    return undefined;
  }

  /**
   * One target at a time on the request's own signal, the next when one gives up: what `race` does
   * without hedges, races or ejection, minus its racer bookkeeping (a signal, two promises and a
   * Promise.race per target; docs/PERFORMANCE.md).
   */
  private async failover<T>(
    operation: Operation<T>,
    state: RequestState,
    queue: Target[],
  ): Promise<Success<T> | undefined> {
    let target = queue.shift();
    while (target) {
      const result = await runTarget(this.runner, target, operation, state, state.signal);
      if (result) return result;
      const next = queue.shift();
      if (!next || state.attempts >= state.maxAttempts || state.signal.aborted) return undefined;
      if (state.events.wants('failover')) this.announceFailover(state, target, next);
      target = next;
    }
    return undefined;
  }

  private announceFailover(state: RequestState, from: Target, to: Target): void {
    const last = state.failures.at(-1);
    const reason = last?.target === from ? last.failure.reason : 'skipped';
    const { requestId, route } = state.call;
    state.events.publish('failover', {
      requestId,
      route: route.name,
      from: from.id,
      to: to.id,
      reason,
    });
  }

  private meta(state: RequestState): ResponseMeta {
    const target = state.current?.id ?? state.call.route.targets[0]!.id;
    const meta: ResponseMeta = { target, attempts: state.attempts, trace: state.trace };
    if (state.current && state.current.tier > 1) meta.degradedTier = state.current.tier;
    const warnings = state.current && state.warnings?.get(state.current.id);
    if (warnings) meta.warnings = [...warnings];
    const firstTarget = state.call.route.targets[0]!.id;
    const lastFailure = state.failures.at(-1);
    // Not a fallback: a failed vote (the votes explain the answer), or the other racer's failure when
    // the first target won its race.
    const voted = state.consensus !== undefined && state.consensus !== 'fallback';
    const racedAndWon = state.race && target === firstTarget && lastFailure?.target.id !== target;
    if (lastFailure && !voted && !racedAndWon && (target !== firstTarget || state.attempts > 1)) {
      meta.fallbackReason = `${lastFailure.target.id}: ${lastFailure.failure.reason}`;
    } else if (target !== firstTarget && state.hedged) {
      meta.fallbackReason = `${firstTarget}: hedged`;
    } else if (target !== firstTarget && state.race) {
      meta.fallbackReason = `${firstTarget}: raced`;
    }
    if (state.consensus) meta.consensus = state.consensus;
    return meta;
  }
}
