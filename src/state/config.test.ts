import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/load.js';
import { EventBus } from '../core/events.js';
import { CooldownHealth } from '../engine/cooldown-health.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { silentLogger } from '../telemetry/logger.js';
import { MemoryCounters } from './counters.js';
import { startSharedState } from './index.js';

const base = {
  providers: { p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'k' } },
  routes: { m: { targets: ['p/m'] } },
};

describe('state config', () => {
  it('is memory by default; SWITCHYARD_REDIS_URL turns Redis on', () => {
    expect(resolveConfig(base, { env: {} }).state).toEqual({
      driver: 'memory',
      prefix: 'switchyard',
      failMode: 'open',
      commandTimeoutMs: 500,
      budgetSyncMs: 250,
    });
    const fromEnv = resolveConfig(base, { env: { SWITCHYARD_REDIS_URL: 'redis://10.0.0.1:6379' } }).state;
    expect(fromEnv).toMatchObject({ driver: 'redis', url: 'redis://10.0.0.1:6379' });
  });

  it('names the key when redis has no url, and rejects unknown keys', () => {
    expect(() => resolveConfig({ ...base, state: { driver: 'redis' } }, { env: {} })).toThrow(
      /state\.url: required with driver: redis/,
    );
    expect(() => resolveConfig({ ...base, state: { drver: 'redis' } }, { env: {} })).toThrow(ConfigError);
  });

  it('memory: counters in this process, a status without Redis', async () => {
    const clock = new ManualClock();
    const state = await startSharedState({
      config: resolveConfig(base, { env: {} }),
      health: new CooldownHealth(clock),
      events: new EventBus(),
      clock,
      log: silentLogger,
    });
    expect(state.counters).toBeInstanceOf(MemoryCounters);
    expect(state.status()).toEqual({ object: 'switchyard.state', driver: 'memory', failMode: 'open' });
    await state.close();
  });
});
