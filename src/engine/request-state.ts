import type { UpstreamFailure } from '../core/errors.js';
import type { Target } from '../config/types.js';
import type { Deadline } from '../resilience/deadline.js';
import type { CommitGate } from './commit-gate.js';
import type { ChatCall, TraceEntry } from './types.js';

/** What every kind of request needs to run: the route, the caller's signal and deadline, the body. */
export type RunCall = Omit<ChatCall, 'request'> & { body: unknown };

/** One request's progress, shared by its attempts. */
export interface RequestState {
  call: RunCall;
  trace: TraceEntry[];
  attempts: number;
  failures: { target: Target; failure: UpstreamFailure }[];
  deadline: Deadline;
  /** Aborted when the client leaves or the deadline passes. */
  signal: AbortSignal;
  /** Streams only: the commit point. */
  gate?: CommitGate;
  /** The target that answered, or was tried last. */
  current?: Target;
  /** Every target is tried regardless of breakers (too few were healthy). */
  panic: boolean;
  /** Estimated prompt tokens, computed once if an attempt without usage needs it. */
  promptTokens?: number;
}
