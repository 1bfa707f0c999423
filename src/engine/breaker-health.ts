/**
 * TargetHealth from circuit breakers (one per target: provider + model, and so per key and region,
 * since those belong to the provider), per-target concurrency limits, slow start and panic mode.
 * Streams waiting for their first token are watched (first-token-waits.ts): a wait past the slow-call
 * threshold is a slow call at once, and when a breaker opens, the requests still waiting on its
 * target are told (`onEjected`) so that they move on. See docs/failover.md, "Circuit breakers".
 */
import type { Clock, Random } from '../core/clock.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { EventBus, RequestScope } from '../core/events.js';
import type { Target } from '../config/types.js';
import { BreakerRegistry, type BreakerRegistryOptions } from '../resilience/breaker-registry.js';
import {
  cooldownOf,
  type CircuitBreaker,
  type Grant,
  type TripReason,
} from '../resilience/circuit-breaker.js';
import { ConcurrencyLimit } from '../resilience/concurrency-limit.js';
import { FirstTokenWaits, type FirstTokenWait } from '../resilience/first-token-waits.js';
import { weightedOrder } from '../resilience/slow-start.js';
import type { Admission, AdmitOptions, Plan, TargetHealth, TargetStatus } from './health.js';

export interface TargetLimits {
  maxConcurrent: number;
  maxQueued: number;
  queueTimeoutMs: number;
}

export interface BreakerHealthOptions {
  clock: Clock;
  random: Random;
  breakers?: Partial<BreakerRegistryOptions>;
  /** Concurrency limits per target id; targets without an entry are unlimited. */
  limits?: (target: Target) => TargetLimits | undefined;
  /** Breaker transitions are announced here (`breaker.transition`). */
  events?: EventBus;
}

const TRIP_REASONS = ['consecutive', 'error-rate', 'slow-calls', 'rate-limit'] as const;

/** p95 needs a few samples before it means anything. */
const MIN_TTFT_SAMPLES = 10;

/** One streaming attempt waiting for its first token. */
interface Wait extends FirstTokenWait {
  readonly grant: Grant;
  readonly commit: { readonly committed: boolean };
}

/** The targets' ids in order, each once. Lists are short: scans cost less than a Map per request. */
function idsOf(targets: readonly Target[]): string[] {
  const ids: string[] = [];
  for (const t of targets) if (!ids.includes(t.id)) ids.push(t.id);
  return ids;
}

function targetOf(targets: readonly Target[], id: string): Target {
  for (const t of targets) if (t.id === id) return t;
  throw new Error(`unknown target ${id}`);
}

const CONCURRENCY_REFUSED: Admission = Object.freeze({ ok: false, reason: 'concurrency-limit' });
const NO_TIMING = Object.freeze({});
/** An attempt's timing for its breaker: its time to first token, when it had one. */
const timing = (ttftMs: number | undefined): { ttftMs?: number } =>
  ttftMs !== undefined ? { ttftMs } : NO_TIMING;

export class BreakerHealth implements TargetHealth {
  private registry: BreakerRegistry;
  private readonly limits = new Map<string, ConcurrencyLimit>();
  private waits = new Map<string, FirstTokenWaits<Wait>>();
  private readonly ejectionListeners = new Map<string, Set<() => void>>();
  /** A target's slow-start weight (its breaker's; the registry's `order`, without ids and back). */
  private readonly weightOf = (t: Target): number => this.registry.get(t.id).weight();

  constructor(private readonly options: BreakerHealthOptions) {
    this.registry = this.newRegistry();
  }

  plan(targets: readonly Target[], scope: RequestScope, order?: (usable: Target[]) => Target[]): Plan {
    const { events, requestId, route } = scope;
    const selection = this.registry.select(idsOf(targets));
    const skipped: NonNullable<Plan['skipped']> = [];
    for (const s of selection.skipped) {
      const skip = {
        target: s.id,
        reason: s.reason === 'half-open-full' ? ('half-open-full' as const) : ('breaker-open' as const),
        detail: `breaker:${s.reason}`,
      };
      skipped.push(skip);
      events.publish('target.skipped', { requestId, route, ...skip, retryInMs: s.retryInMs });
    }
    if (selection.panic && events.wants('plan.panic'))
      events.publish('plan.panic', { requestId, route, target: targets[0]!.id });
    const usable: Target[] = [];
    for (const id of selection.usable) usable.push(targetOf(targets, id));
    // The policy's order of the usable targets, then slow start's (in panic: least bad first, as is).
    const ordered = selection.panic
      ? usable
      : weightedOrder(order ? order(usable) : usable, this.weightOf, this.options.random);
    return skipped.length
      ? { targets: ordered, panic: selection.panic, skipped }
      : { targets: ordered, panic: selection.panic };
  }

  admit(target: Target, opts: AdmitOptions): Admission | Promise<Admission> {
    const limit = this.limit(target);
    if (!limit) return this.grant(target, opts, undefined);
    const release = limit.tryAcquire();
    if (release) return this.grant(target, opts, release);
    const settings = this.options.limits!(target)!;
    return limit
      .acquire(settings.queueTimeoutMs, opts.signal)
      .then((queued) => (queued ? this.grant(target, opts, queued) : CONCURRENCY_REFUSED));
  }

  /** The breaker's permit, once any concurrency slot is held (`release` gives it back). */
  private grant(target: Target, opts: AdmitOptions, release: (() => void) | undefined): Admission {
    const breaker = this.registry.get(target.id);
    const grant = breaker.permit({ panic: opts.panic });
    if (!grant.allowed) {
      release?.();
      return { ok: false, reason: `breaker:${grant.reason}` };
    }
    const { commit } = opts;
    let wait: Wait | undefined;
    const admission: Admission = {
      ok: true,
      done: (outcome) => {
        release?.();
        if (wait) this.waits.get(target.id)?.end(wait);
        if (!outcome) breaker.release(grant);
        else if (outcome.cancelled) breaker.onCancelled(grant, outcome.cancelled);
        else if (outcome.ok) breaker.onSuccess(grant, timing(outcome.ttftMs));
        else {
          breaker.onFailure(grant, outcome.failure!, timing(outcome.ttftMs));
          this.announceCooldown(target, outcome.failure!);
        }
      },
    };
    if (commit) admission.dispatched = () => (wait ??= this.watchWait(target.id, breaker, grant, commit));
    return admission;
  }

  onEjected(target: Target, listener: () => void): () => void {
    let listeners = this.ejectionListeners.get(target.id);
    if (!listeners) this.ejectionListeners.set(target.id, (listeners = new Set()));
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  accepts(target: Target): boolean {
    return this.registry.get(target.id).state === 'closed';
  }

  p95TtftMs(target: Target): number | undefined {
    const latency = this.registry.get(target.id).latency;
    return latency.count() >= MIN_TTFT_SAMPLES ? latency.quantile(0.95) : undefined;
  }

  /** Every known target's breaker and limit state, for the status endpoint. */
  status(targets: readonly Target[]): TargetStatus[] {
    return targets.map((t) => {
      const limit = this.limits.get(t.id);
      return {
        id: t.id,
        ...this.registry.get(t.id).snapshot(),
        ...(limit ? { inFlight: limit.active, queued: limit.queued } : {}),
      };
    });
  }

  /** A synthetic health probe's result (active health checks). */
  probeResult(target: Target, ok: boolean): void {
    this.registry.get(target.id).onHealthProbe(ok);
  }

  /** Shared state: another instance's open or cooldown deadline (see TargetHealth.holdOut). */
  holdOut(targetId: string, until: number, kind: 'open' | 'cooldown', reason: string): void {
    const trip = (TRIP_REASONS as readonly string[]).includes(reason)
      ? (reason as TripReason)
      : 'consecutive';
    this.registry
      .get(targetId)
      .holdOpenUntil(until, kind === 'cooldown' ? 'rate-limit' : trip, kind === 'cooldown');
  }

  outUntil(targetId: string): number | undefined {
    return this.registry.get(targetId).openUntil() ?? undefined;
  }

  reset(): void {
    this.registry = this.newRegistry();
    this.waits = new Map();
  }

  private newRegistry(): BreakerRegistry {
    const { clock, random, breakers } = this.options;
    const registry = new BreakerRegistry({ clock, random, ...(breakers ? { options: breakers } : {}) });
    // A rate limit opens the breaker for new requests only: the ones it already accepted go on.
    const { events } = this.options;
    registry.onTransition((id, transition) => {
      if (events?.wants('breaker.transition'))
        events.publish('breaker.transition', { target: id, ...transition });
      if (transition.to === 'open' && transition.reason !== 'rate-limit') this.eject(id);
    });
    return registry;
  }

  private announceCooldown(target: Target, failure: UpstreamFailure): void {
    const { events } = this.options;
    const ms = events?.wants('cooldown.set') ? cooldownOf(failure) : 0;
    if (ms > 0) events!.publish('cooldown.set', { target: target.id, ms, reason: failure.reason });
  }

  /** Watches a streaming attempt's wait for its first token (in-flight age as evidence). */
  private watchWait(
    id: string,
    breaker: CircuitBreaker,
    grant: Grant,
    commit: { readonly committed: boolean },
  ): Wait {
    let waits = this.waits.get(id);
    if (!waits) {
      waits = new FirstTokenWaits<Wait>({
        clock: this.options.clock,
        thresholdMs: () => breaker.slowCallThresholdMs(),
        answered: (w) => w.commit.committed,
        onOverdue: (w) => breaker.onSlowWait(w.grant),
      });
      this.waits.set(id, waits);
    }
    const wait: Wait = { since: this.options.clock.now(), waiting: true, grant, commit };
    waits.add(wait);
    return wait;
  }

  /** The target's breaker opened: every request still waiting on it is told (it may move on). */
  private eject(id: string): void {
    const listeners = this.ejectionListeners.get(id);
    if (listeners?.size) for (const listener of [...listeners]) listener();
  }

  private limit(target: Target): ConcurrencyLimit | undefined {
    const settings = this.options.limits?.(target);
    if (!settings) return undefined;
    let limit = this.limits.get(target.id);
    if (!limit) {
      limit = new ConcurrencyLimit(this.options.clock, {
        maxConcurrent: settings.maxConcurrent,
        maxQueued: settings.maxQueued,
      });
      this.limits.set(target.id, limit);
    }
    return limit;
  }
}
