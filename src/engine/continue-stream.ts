/**
 * The continuation loop of a stream cut after its commit point (route option `continuation`): asks a
 * target — the same one first after a retryable error when the route retries targets, then the
 * route's others in order — to continue the answer from what the client has, and relays only the
 * continuation, as many times as the route allows and the deadline leaves time for. The request,
 * the stitching and the overlap trimming are in continuation.ts. See docs/failover.md.
 */
import type { ChatCompletion, ChatRequest } from '../core/chat.js';
import { ApiError } from '../core/errors.js';
import type { Target } from '../config/types.js';
import { CommitGate } from './commit-gate.js';
import { continuationOperation, sameTargetFirst, type ContinuableSink } from './continuation.js';
import type { Operation } from './exchanges.js';
import type { RequestState } from './request-state.js';
import { CommittedFailure, type Success } from './target-runner.js';
import type { ResponseMeta } from './types.js';

export interface ContinueDeps {
  meta(state: RequestState): ResponseMeta;
  /** Runs attempts on `targets` in order (the engine's race, with its hedging and ejection). */
  race(
    operation: Operation<ChatCompletion>,
    state: RequestState,
    targets: Target[],
  ): Promise<Success<ChatCompletion> | undefined>;
  /** Cancels the request's running attempts but `winner`'s; with `forget`, drops them from the race. */
  cancelRacers(winner: Target | undefined, forget?: boolean): void;
}

export interface CutStream {
  request: ChatRequest;
  state: RequestState;
  cut: CommittedFailure;
  sink: ContinuableSink;
}

/** Returns the successful continuation, or throws the cut (CommittedFailure) when there is none. */
export async function continueStream(deps: ContinueDeps, input: CutStream): Promise<Success<ChatCompletion>> {
  const { request, state, sink } = input;
  const { route } = state.call;
  let { cut } = input;
  for (let n = 0; ; n++) {
    const from = state.current!;
    if (sink.complete) {
      // Cut after the finish reason (only the usage and `[DONE]` were lost): nothing to continue.
      notContinued(state, from, 'complete');
      return { ok: true, durationMs: 0, outputParts: 0 };
    }
    const refused = refusal(state, sink, cut, n);
    if (refused) {
      notContinued(state, from, refused);
      throw cut;
    }
    const partial = sink.text;
    const others = route.targets.filter((t) => t !== from);
    const targets = sameTargetFirst(cut.failure, route.retry.maxRetriesPerTarget)
      ? [from, ...others]
      : others;
    // The cut attempt (and any hedge that lost to it) is done with: the continuation races afresh,
    // with as many attempts again as the route allows a request.
    deps.cancelRacers(undefined, true);
    sink.startSegment();
    state.maxAttempts = state.attempts + route.retry.maxAttempts;
    state.gate = continuationGate(deps, { state, sink, from, cut, partial });
    try {
      const operation = continuationOperation(request, { text: partial, tokensAtLeast: sink.tokensAtLeast });
      const result = await deps.race(operation, state, targets);
      if (result) return result;
    } catch (error) {
      if (error instanceof CommittedFailure) {
        cut = error;
        continue;
      }
      // A continuation the target refused (e.g. a 400): the answer stays cut.
      if (!(error instanceof ApiError)) throw error;
    }
    notContinued(state, from, 'no-target');
    throw cut;
  }
}

/** Announces (and so traces) that the cut stream from `from` is not continued, and why. */
function notContinued(state: RequestState, from: Target, reason: string): void {
  const { requestId, route } = state.call;
  state.events.publish('stream.uncontinued', { requestId, route: route.name, from: from.id, reason });
}

/**
 * Why the answer is not continued (again): not text; a failure that is the request's own (a fatal
 * error, e.g. a policy stop, must not be routed around; a context overflow would only grow); no
 * continuation left; no time left.
 */
function refusal(
  state: RequestState,
  sink: ContinuableSink,
  cut: CommittedFailure,
  done: number,
): string | undefined {
  if (sink.unresumable) return sink.unresumable;
  const { class: kind } = cut.failure;
  if (kind === 'fatal' || kind === 'context') return kind;
  if (done >= state.call.route.continuation!.maxPerRequest) return 'max-continuations';
  if (state.deadline.expired()) return 'deadline';
  if (state.signal.aborted) return 'aborted';
  return undefined;
}

/**
 * The commit point of a continuation: the response is open already; the first attempt to produce
 * output (or to end cleanly) wins, and the stitching learns how it continues.
 */
function continuationGate(
  deps: ContinueDeps,
  at: { state: RequestState; sink: ContinuableSink; from: Target; cut: CommittedFailure; partial: string },
): CommitGate {
  const { state, sink, from, cut, partial } = at;
  const { requestId, route } = state.call;
  return new CommitGate(
    sink,
    () => deps.meta(state),
    (winner) => {
      const method = winner.provider.options.continuation ?? 'none';
      const afterChars = partial.length;
      const note = { afterChars, from: from.id, to: winner.id, method, reason: cut.failure.reason };
      sink.notes.push(note);
      sink.beginSegment(method);
      state.current = winner;
      deps.cancelRacers(winner);
      state.events.publish('stream.continued', { requestId, route: route.name, ...note });
    },
  );
}
