/**
 * Routing latency statistics shared across two gateway instances (one process, each with its own
 * simulated providers, the same config) through the real Redis at 127.0.0.1:6379
 * (SWITCHYARD_TEST_REDIS_URL overrides), under this run's own key prefix, deleted afterwards: after A
 * has served traffic over a least-latency route whose first target is slow, B, which served none, puts
 * the fast target first on its very first request.
 */
import { eventually } from './eventually.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeysAndQuit, testRedis } from './test-redis.js';
import { startHarness, type Harness } from './harness.js';

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:rstats-gw:${process.pid}:${randomBytes(4).toString('hex')}`;
const SLOW = 'primary/model-a';
const FAST = 'backup/model-b';

let redis: Redis;
let a: Harness;
let b: Harness;

// random() = 0 and no exploration: with two candidates of equal score (nothing known) the policy's power
// of two choices keeps the config order, slow target first; only a known latency can put the fast first.
const instance = (): Promise<Harness> =>
  startHarness({
    config: {
      state: { driver: 'redis', url: URL, prefix: PREFIX, budgetSyncMs: 50 },
      breakers: { enabled: false },
    },
    routes: { ll: { targets: [SLOW, FAST], routing: { policy: 'least-latency', exploration: 0 } } },
    primary: { models: { 'model-a': { latencyMs: 300, ttftMs: 300 } } },
    gateway: { random: () => 0 },
  });

beforeAll(async () => {
  redis = await testRedis(URL);
  [a, b] = await Promise.all([instance(), instance()]);
}, 20_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await dropKeysAndQuit(redis, PREFIX);
});

async function ask(h: Harness, pin?: string): Promise<{ target: string | null; trace: string }> {
  const headers: Record<string, string> = { 'x-switchyard-debug': 'trace' };
  if (pin) headers['x-switchyard-pin'] = pin;
  const { response } = await h.client.chat.completions
    .create({ model: 'll', messages: [{ role: 'user', content: 'hi' }] }, { headers })
    .withResponse();
  return {
    target: response.headers.get('x-switchyard-target'),
    trace: response.headers.get('x-switchyard-trace') ?? '',
  };
}

describe('routing statistics shared through Redis', () => {
  it('B, which served nothing, ranks the target A saw slow last on its first request', async () => {
    await eventually(
      () => a.gateway.state.redis?.connected === true && b.gateway.state.redis?.connected === true,
    );
    // A serves traffic: both targets answer once (pinned), then least-latency sends A's next to the fast one.
    expect((await ask(a, SLOW)).target).toBe(SLOW);
    expect((await ask(a, FAST)).target).toBe(FAST);
    expect((await ask(a)).target).toBe(FAST);
    // B hears of them within 2 × 50 ms plus a round trip: two more of its syncs are enough.
    const before = b.gateway.state.status().routingStats!.syncs;
    await eventually(() => b.gateway.state.status().routingStats!.syncs >= before + 2);
    const { target, trace } = await ask(b);
    expect(target).toBe(FAST);
    expect(b.primary.stats().requests ?? 0).toBe(0); // B never tried the slow target
    // B's rank entries carry the fleet's estimates: ~600 ms (300 ms + 300 ms, non-streaming) against ~2 ms.
    const score = (id: string): number =>
      Number(new RegExp(`${id} rank least-latency:latency\\*load=([\\d.]+)`).exec(trace)?.[1]);
    expect(score(SLOW)).toBeGreaterThan(500);
    expect(score(FAST)).toBeLessThan(100);
    expect(b.gateway.state.status().routingStats).toMatchObject({ intervalMs: 50, failures: 0 });
  });
});
