/**
 * TargetHealth from circuit breakers (one per target: provider + model, and so per key and region,
 * since those belong to the provider), per-target concurrency limits, slow start and panic mode.
 * See docs/failover.md, "Circuit breakers".
 */
import type { Clock, Random } from '../core/clock.js';
import type { Target } from '../config/types.js';
import { BreakerRegistry, type BreakerRegistryOptions } from '../resilience/breaker-registry.js';
import { ConcurrencyLimit } from '../resilience/concurrency-limit.js';
import type { Admission, Plan, TargetHealth, TargetStatus } from './health.js';
import type { TraceEntry } from './types.js';

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
}

/** p95 needs a few samples before it means anything. */
const MIN_TTFT_SAMPLES = 10;

export class BreakerHealth implements TargetHealth {
  private registry: BreakerRegistry;
  private readonly limits = new Map<string, ConcurrencyLimit>();

  constructor(private readonly options: BreakerHealthOptions) {
    this.registry = this.newRegistry();
  }

  plan(targets: readonly Target[], trace: TraceEntry[]): Plan {
    const byId = new Map(targets.map((t) => [t.id, t]));
    const selection = this.registry.select([...byId.keys()]);
    for (const s of selection.skipped) {
      trace.push({
        target: s.id,
        action: 'skip',
        result: `breaker:${s.reason}`,
        ms: Math.round(s.retryInMs),
      });
    }
    if (selection.panic)
      trace.push({ target: targets[0]!.id, action: 'skip', result: 'panic:all-targets-tried' });
    const ordered = selection.panic ? selection.usable : this.registry.order(selection.usable);
    return { targets: ordered.map((id) => byId.get(id)!), panic: selection.panic };
  }

  async admit(target: Target, opts: { panic: boolean; signal: AbortSignal }): Promise<Admission> {
    const limit = this.limit(target);
    let release: (() => void) | undefined;
    if (limit) {
      const settings = this.options.limits!(target)!;
      release = limit.tryAcquire() ?? (await limit.acquire(settings.queueTimeoutMs, opts.signal));
      if (!release) return { ok: false, reason: 'concurrency-limit' };
    }
    const breaker = this.registry.get(target.id);
    const grant = breaker.permit({ panic: opts.panic });
    if (!grant.allowed) {
      release?.();
      return { ok: false, reason: `breaker:${grant.reason}` };
    }
    return {
      ok: true,
      done: (outcome) => {
        release?.();
        if (!outcome) breaker.release(grant);
        else if (outcome.cancelled) breaker.onCancelled(grant, outcome.cancelled);
        else if (outcome.ok)
          breaker.onSuccess(grant, outcome.ttftMs !== undefined ? { ttftMs: outcome.ttftMs } : {});
        else
          breaker.onFailure(
            grant,
            outcome.failure!,
            outcome.ttftMs !== undefined ? { ttftMs: outcome.ttftMs } : {},
          );
      },
    };
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

  reset(): void {
    this.registry = this.newRegistry();
  }

  private newRegistry(): BreakerRegistry {
    const { clock, random, breakers } = this.options;
    return new BreakerRegistry({ clock, random, ...(breakers ? { options: breakers } : {}) });
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
