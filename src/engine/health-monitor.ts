/**
 * Active health checks (opt-in per provider): every interval, a minimal request (one token) to each of
 * the provider's targets. Results feed target health; they do not count as traffic. A successful probe
 * may shorten an outage detected from hard errors, but never closes a breaker opened for slowness or
 * rate limits: only real traffic proves capacity (Envoy's premature-uneject warning).
 */
import type { ChatRequest } from '../core/chat.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { ResolvedConfig, Target } from '../config/types.js';
import { chatProtocol } from '../providers/registry.js';
import type { UpstreamClient } from '../upstream/client.js';
import { runAttempt } from './attempt.js';
import { chatOperation } from './exchanges.js';
import type { TargetHealth } from './health.js';

const PROBE: ChatRequest = {
  model: 'health-check',
  messages: [{ role: 'user', content: 'ping' }],
  max_tokens: 1,
};

export interface ProbeReport {
  target: string;
  ok: boolean;
  reason?: string;
  ms: number;
}

export class HealthMonitor {
  private readonly timers: TimerHandle[] = [];
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly deps: {
      client: UpstreamClient;
      clock: Clock;
      health: TargetHealth;
      onProbe?: (report: ProbeReport) => void;
      /** Each probe's result is announced here (`health.probe`). */
      events?: EventBus;
    },
  ) {}

  start(config: ResolvedConfig): void {
    for (const check of config.healthChecks) {
      const targets = uniqueTargets(config).filter((t) => t.provider.id === check.provider);
      const tick = (): void => {
        for (const target of targets) void this.probe(target, check.timeoutMs);
        this.timers.push(this.deps.clock.setTimeout(tick, check.intervalMs));
      };
      this.timers.push(this.deps.clock.setTimeout(tick, check.intervalMs));
    }
  }

  stop(): void {
    for (const t of this.timers) this.deps.clock.clearTimeout(t);
    this.timers.length = 0;
    for (const c of this.inFlight) c.abort();
  }

  /** One probe of one target; resolves when its result has been reported. */
  async probe(target: Target, timeoutMs: number): Promise<ProbeReport> {
    const protocol = chatProtocol(target.provider.protocol);
    const controller = new AbortController();
    this.inFlight.add(controller);
    const ctx = {
      provider: target.provider,
      model: target.model,
      publicModel: target.id,
      requestId: `health-${target.id}`,
      dropUnsupported: true,
    };
    try {
      const exchange = protocol && chatOperation(PROBE).exchange(protocol, ctx);
      if (!exchange) return { target: target.id, ok: false, reason: 'unsupported', ms: 0 };
      const result = await runAttempt(this.deps, {
        target,
        exchange,
        timeouts: {
          connectMs: timeoutMs,
          headersMs: timeoutMs,
          firstTokenMs: timeoutMs,
          stallMs: timeoutMs,
          attemptMs: timeoutMs,
          requestMs: timeoutMs,
        },
        signal: controller.signal,
      });
      if (controller.signal.aborted)
        return { target: target.id, ok: false, reason: 'stopped', ms: result.durationMs };
      // A refused request (bad request, content filter) still proves the target is up and answering.
      const ok = result.ok || result.failure.class === 'fatal';
      this.deps.health.probeResult?.(target, ok);
      const report: ProbeReport = {
        target: target.id,
        ok,
        ms: Math.round(result.durationMs),
        ...(result.ok ? {} : { reason: result.failure.reason }),
      };
      this.deps.onProbe?.(report);
      if (this.deps.events?.wants('health.probe')) this.deps.events.publish('health.probe', report);
      return report;
    } finally {
      this.inFlight.delete(controller);
    }
  }
}

function uniqueTargets(config: ResolvedConfig): Target[] {
  const byId = new Map<string, Target>();
  for (const route of config.routes.values()) for (const t of route.targets) byId.set(t.id, t);
  return [...byId.values()];
}
