/**
 * The simplest TargetHealth: no breakers, only cooldowns. Bad keys, exhausted quotas and unknown
 * models (failure.cooldownMs) and rate limits with a known reset (failure.retryAfterMs) keep a target
 * out until then; if every target of a route is cooling, all are tried anyway, in order.
 */
import type { Clock } from '../core/clock.js';
import type { Target } from '../config/types.js';
import { Cooldowns } from '../resilience/cooldowns.js';
import type { Admission, AttemptOutcome, Plan, TargetHealth, TargetStatus } from './health.js';
import type { TraceEntry } from './types.js';

export class CooldownHealth implements TargetHealth {
  readonly cooldowns: Cooldowns;

  constructor(clock: Pick<Clock, 'now'>) {
    this.cooldowns = new Cooldowns(clock);
  }

  plan(targets: readonly Target[], trace: TraceEntry[]): Plan {
    const usable = targets.filter((t) => {
      const cooling = this.cooldowns.active(t.id);
      if (cooling) trace.push({ target: t.id, action: 'skip', result: `cooling:${cooling.reason}` });
      return !cooling;
    });
    return usable.length ? { targets: usable, panic: false } : { targets: [...targets], panic: true };
  }

  admit(target: Target): Promise<Admission> {
    return Promise.resolve({ ok: true, done: (outcome) => this.record(target, outcome) });
  }

  p95TtftMs(): number | undefined {
    return undefined;
  }

  reset(): void {
    this.cooldowns.clear();
  }

  status(targets: readonly Target[]): TargetStatus[] {
    return targets.map((t) => {
      const cooling = this.cooldowns.active(t.id);
      return cooling
        ? { id: t.id, state: 'cooling', reason: cooling.reason, retryInMs: this.cooldowns.remaining(t.id) }
        : { id: t.id, state: 'healthy' };
    });
  }

  private record(target: Target, outcome: AttemptOutcome | undefined): void {
    const failure = outcome?.failure;
    if (!failure) return;
    if (failure.cooldownMs) this.cooldowns.coolFor(target.id, failure.cooldownMs, failure.reason);
    if (failure.retryAfterMs) this.cooldowns.coolFor(target.id, failure.retryAfterMs, failure.reason);
  }
}
