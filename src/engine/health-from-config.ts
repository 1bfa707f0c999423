import type { Clock, Random } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { BreakerSettings, ResolvedConfig } from '../config/types.js';
import type { BreakerRegistryOptions } from '../resilience/breaker-registry.js';
import type { CircuitBreakerOptions } from '../resilience/circuit-breaker.js';
import { DEFAULT_SLOW_START } from '../resilience/slow-start.js';
import { BreakerHealth } from './breaker-health.js';
import { CooldownHealth } from './cooldown-health.js';
import type { TargetHealth } from './health.js';

/** Breakers (the default) or cooldowns only, as the config says. */
export function healthFromConfig(
  config: ResolvedConfig,
  clock: Clock,
  random: Random,
  events?: EventBus,
): TargetHealth {
  if (!config.breakers.enabled) return new CooldownHealth(clock, events);
  return new BreakerHealth({
    clock,
    random,
    ...(events ? { events } : {}),
    breakers: registryOptions(config.breakers),
    limits: (t) => t.limits,
  });
}

function registryOptions(settings: BreakerSettings): Partial<BreakerRegistryOptions> {
  const { enabled: _enabled, panicThreshold, slowStartWindowMs, ...rest } = settings;
  const breaker: Partial<CircuitBreakerOptions> = Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined),
  );
  if (slowStartWindowMs) breaker.slowStart = { ...DEFAULT_SLOW_START, windowMs: slowStartWindowMs };
  return { breaker, ...(panicThreshold !== undefined ? { panicThreshold } : {}) };
}
