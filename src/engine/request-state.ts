import type { UpstreamFailure } from '../core/errors.js';
import type { SkipReason } from '../core/events.js';
import type { Target } from '../config/types.js';
import type { Deadline } from '../resilience/deadline.js';
import type { CommitGate } from './commit-gate.js';
import type { RequestEvents } from '../core/request-events.js';
import type { ChatCall, TraceEntry } from './types.js';
import type { CancelSignal } from '../core/cancel.js';

/** What every kind of request needs to run: the route, the caller's signal and deadline. */
export type RunCall = Omit<ChatCall, 'request'>;

/** One request's progress, shared by its attempts. */
export interface RequestState {
  /** The caller's call, as passed (not copied). */
  call: RunCall;
  /** The request's body (a chat or an embeddings request). */
  body: unknown;
  /** Where the request's events are published; its decision trace is built from them. */
  events: RequestEvents;
  /** The decision trace so far (`events.trace`): read it, never write it; publish an event instead. */
  trace: readonly TraceEntry[];
  attempts: number;
  /** Attempts allowed so far: the route's maxAttempts, plus as many again for each continuation. */
  maxAttempts: number;
  failures: { target: Target; failure: UpstreamFailure }[];
  /** Targets not tried and why, typed: what decides the final error (the trace only tells it). */
  skips: TargetSkip[];
  deadline: Deadline;
  /** Aborted when the client leaves or the deadline passes. */
  signal: CancelSignal;
  /** Streams only: the commit point. */
  gate?: CommitGate;
  /** The target that answered, or was tried last. */
  current?: Target;
  /** Translation warnings by target id (the answer carries its target's). */
  warnings?: Map<string, Set<string>>;
  /** A hedge was started (another target raced the first). */
  hedged?: boolean;
  /** Race routes: the request went to two or more targets at once; told the winner (race.ts). */
  race?: { settle(winner: Target | undefined): void };
  /** Consensus routes: the votes behind the answer, `<agreeing>/<answered>` (consensus.ts). */
  consensus?: string;
  /** Every target is tried regardless of breakers (too few were healthy). */
  panic: boolean;
  /** Estimated prompt tokens, computed once if an attempt without usage needs it. */
  promptTokens?: number;
  /**
   * After a context-length error: the context window (tokens) a target needs to be worth trying, from
   * the failing target's window and the size the provider stated. Smaller known windows are skipped.
   */
  contextNeed?: number;
}

export interface TargetSkip {
  target: string;
  reason: SkipReason;
  /** As in the trace, e.g. `breaker:open`, `context-window:8192<9000`. */
  detail: string;
}

/**
 * A target is not tried: recorded, and announced (which traces it) unless the plan already did (routing
 * and health announce their skips as they plan).
 */
export function skipTarget(state: RequestState, skip: TargetSkip, announced = false): void {
  state.skips.push(skip);
  if (!announced) {
    const { requestId, route } = state.call;
    state.events.publish('target.skipped', { requestId, route: route.name, ...skip });
  }
}

/** Learns from a context-length failure on `target` how large a window the request needs. */
export function noteContextNeed(state: RequestState, target: Target, failure: UpstreamFailure): void {
  const need = Math.max(
    state.contextNeed ?? 0,
    failure.promptTokens ?? 0,
    target.contextWindow !== undefined ? target.contextWindow + 1 : 0,
  );
  if (need > 0) state.contextNeed = need;
}

/** Whether `target`'s known context window is too small for what an earlier attempt learned. */
export function tooSmallForContext(state: RequestState, target: Target): boolean {
  return (
    state.contextNeed !== undefined &&
    target.contextWindow !== undefined &&
    target.contextWindow < state.contextNeed
  );
}
