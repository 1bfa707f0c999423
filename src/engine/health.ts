/**
 * The engine's view of target health: which targets a request may try and in what order, whether an
 * attempt may start now, and what each attempt's outcome says about its target. The engine reports;
 * the health implementation decides (breakers, cooldowns, slow start, concurrency limits).
 */
import type { UpstreamFailure } from '../core/errors.js';
import type { RequestScope, SkipReason } from '../core/events.js';
import type { Cancellation } from './attempt.js';
import type { Target } from '../config/types.js';
import type { CancelSignal } from '../core/cancel.js';

export interface AttemptOutcome {
  ok: boolean;
  failure?: UpstreamFailure;
  ttftMs?: number;
  /** Cancelled before its answer: a lost race, or the client left. */
  cancelled?: Cancellation;
  durationMs: number;
}

/** Permission for one attempt. `done` must be called once: with the outcome, or undefined if it never ran. */
export type Admission =
  | {
      ok: true;
      /**
       * The request reached the provider (it left the gateway's own connection queue): a stream's wait
       * for its first token starts now, so time queued inside the gateway is never evidence against it.
       */
      dispatched?(): void;
      done(outcome: AttemptOutcome | undefined): void;
    }
  | { ok: false; reason: string };

export interface AdmitOptions {
  panic: boolean;
  signal: CancelSignal;
  commit?: { readonly committed: boolean } | undefined;
}

export interface Plan {
  targets: Target[];
  /** Too few targets are healthy: every target is tried, least bad first, breakers notwithstanding. */
  panic: boolean;
  /** Targets left out of the plan and why (already announced as `target.skipped`, which traces them). */
  skipped?: { target: string; reason: SkipReason; detail: string }[];
}

export interface TargetHealth {
  /**
   * The targets a request should try, in order; skipped ones are announced (`target.skipped`, with the
   * reason) and panic too (`plan.panic`) on the request's publisher, which traces them. `order` is the
   * routing policy: called with the targets that may be tried now (not in panic), it gives their order,
   * which slow start may then still adjust (src/engine/routing-plan.ts).
   */
  plan(targets: readonly Target[], scope: RequestScope, order?: (usable: Target[]) => Target[]): Plan;
  /**
   * Asked right before an attempt (may wait briefly for a concurrency slot); a refusal skips the target.
   * `commit` (streams): the request's commit point; until it is passed the attempt waits for its first
   * token, and a wait past the slow-call threshold is evidence against the target at once. Answers at
   * once (no promise) when nothing has to wait: the common case costs no microtask.
   */
  admit(target: Target, opts: AdmitOptions): Admission | Promise<Admission>;
  /**
   * Calls `listener` each time `target` is ejected (its breaker opens) until the returned function is
   * called, so that requests still waiting on it can move on. Absent: targets are never ejected mid-wait.
   */
  onEjected?(target: Target, listener: () => void): () => void;
  /** Whether the target is healthy enough to move a waiting request to now (its breaker is closed). */
  accepts?(target: Target): boolean;
  /** The target's recent p95 time to first token, when known (for hedging). */
  p95TtftMs(target: Target): number | undefined;
  /** Each target's state for the status endpoint. */
  status(targets: readonly Target[]): TargetStatus[];
  /** A synthetic health check's result (active health checks). */
  probeResult?(target: Target, ok: boolean): void;
  /**
   * Shared state (src/state/): keeps `targetId` out until `until` (this clock's time) because another
   * instance found it open (`open`) or cooling down (`cooldown`); extends, never shortens.
   */
  holdOut?(targetId: string, until: number, kind: 'open' | 'cooldown', reason: string): void;
  /** Shared state: until when `targetId` is out now (this clock's time), if it is. */
  outUntil?(targetId: string): number | undefined;
  /** Forgets everything learned (operators, tests). */
  reset?(): void;
}

export interface TargetStatus {
  id: string;
  state: 'closed' | 'open' | 'half-open' | 'cooling' | 'healthy';
  [detail: string]: unknown;
}
