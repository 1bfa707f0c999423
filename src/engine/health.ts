/**
 * The engine's view of target health: which targets a request may try and in what order, whether an
 * attempt may start now, and what each attempt's outcome says about its target. The engine reports;
 * the health implementation decides (breakers, cooldowns, slow start).
 */
import type { UpstreamFailure } from '../core/errors.js';
import type { Target } from '../config/types.js';
import type { TraceEntry } from './types.js';

export type Admission = { ok: true; release(): void } | { ok: false; reason: string };

export interface AttemptOutcome {
  ok: boolean;
  failure?: UpstreamFailure;
  ttftMs?: number;
  durationMs: number;
}

export interface TargetHealth {
  /** The targets a request should try, in order; skipped ones are traced with the reason. */
  plan(targets: readonly Target[], trace: TraceEntry[]): Target[];
  /** Asked right before an attempt; a refusal skips the target for this request. */
  admit(target: Target): Admission;
  /** Every attempt's outcome, success or failure (cancellations included, for the health to ignore). */
  record(target: Target, outcome: AttemptOutcome): void;
  /** The target's recent p95 time to first token, when known (for hedging). */
  p95TtftMs(target: Target): number | undefined;
  /** Forgets everything learned (operators, tests). */
  reset?(): void;
}
