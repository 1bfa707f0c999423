/**
 * The simplest TargetHealth: no breakers, only cooldowns. Bad keys, exhausted quotas and unknown
 * models (failure.cooldownMs) and rate limits with a known reset (failure.retryAfterMs) keep a target
 * out until then; if every target of a route is cooling, all are tried anyway, in order.
 */
import type { Clock } from '../core/clock.js';
import { NO_EVENTS, type EventBus, type RequestScope } from '../core/events.js';
import type { Target } from '../config/types.js';
import { Cooldowns } from '../resilience/cooldowns.js';
import type { Admission, AttemptOutcome, Plan, TargetHealth, TargetStatus } from './health.js';

export class CooldownHealth implements TargetHealth {
  readonly cooldowns: Cooldowns;

  constructor(
    clock: Pick<Clock, 'now'>,
    private readonly events: EventBus = NO_EVENTS,
  ) {
    this.cooldowns = new Cooldowns(clock);
  }

  plan(targets: readonly Target[], scope: RequestScope, order?: (usable: Target[]) => Target[]): Plan {
    const skipped: NonNullable<Plan['skipped']> = [];
    const usable = targets.filter((t) => {
      const cooling = this.cooldowns.active(t.id);
      if (!cooling) return true;
      const detail = `cooling:${cooling.reason}`;
      const skip = { target: t.id, reason: 'cooldown' as const, detail };
      skipped.push(skip);
      scope.events.publish('target.skipped', { requestId: scope.requestId, route: scope.route, ...skip });
      return false;
    });
    if (!usable.length) return { targets: [...targets], panic: true };
    return { targets: order ? order(usable) : usable, panic: false, ...(skipped.length ? { skipped } : {}) };
  }

  admit(target: Target): Admission {
    return { ok: true, done: (outcome) => this.record(target, outcome) };
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

  holdOut(targetId: string, until: number, _kind: 'open' | 'cooldown', reason: string): void {
    this.cooldowns.coolUntil(targetId, until, reason);
  }

  outUntil(targetId: string): number | undefined {
    return this.cooldowns.active(targetId)?.until;
  }

  private record(target: Target, outcome: AttemptOutcome | undefined): void {
    const failure = outcome?.failure;
    if (!failure) return;
    const ms = Math.max(failure.cooldownMs ?? 0, failure.retryAfterMs ?? 0);
    if (failure.cooldownMs) this.cooldowns.coolFor(target.id, failure.cooldownMs, failure.reason);
    if (failure.retryAfterMs) this.cooldowns.coolFor(target.id, failure.retryAfterMs, failure.reason);
    if (ms > 0 && this.events.wants('cooldown.set'))
      this.events.publish('cooldown.set', { target: target.id, ms, reason: failure.reason });
  }
}
