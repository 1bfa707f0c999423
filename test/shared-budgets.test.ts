/**
 * Retry budgets shared across two gateway instances (one process, each with its own simulated
 * providers) through the real Redis at 127.0.0.1:6379 (SWITCHYARD_TEST_REDIS_URL overrides), under
 * this run's own key prefix, deleted afterwards: retries spent through A are refused on B.
 */
import { eventually } from './eventually.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeysAndQuit, testRedis } from './test-redis.js';
import { startHarness, type Harness } from './harness.js';

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:budgets:${process.pid}:${randomBytes(4).toString('hex')}`;

let redis: Redis;
let a: Harness;
let b: Harness;

const instance = (budgetSyncMs: number): Promise<Harness> =>
  startHarness({
    config: {
      state: { driver: 'redis', url: URL, prefix: PREFIX, budgetSyncMs },
      // Two retries per 10 s per target for the whole fleet; breakers off so that only the budget decides.
      retryBudget: { ratio: 0, floorPerSecond: 0.2 },
      breakers: { enabled: false },
    },
    routes: { solo: { targets: ['primary/model-a'], retry: { maxAttempts: 3, maxRetriesPerTarget: 2 } } },
    primary: { models: { 'model-a': { fault: { kind: 'status', status: 503 } } } },
  });

beforeAll(async () => {
  redis = await testRedis(URL);
  [a, b] = await Promise.all([instance(50), instance(50)]);
}, 20_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await dropKeysAndQuit(redis, PREFIX);
});

async function fail(h: Harness): Promise<string | null> {
  const res = await h.client.chat.completions
    .create(
      { model: 'solo', messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-switchyard-debug': 'trace' } },
    )
    .withResponse()
    .then(
      () => null,
      (err: { status?: number; headers?: Headers }) => {
        expect(err.status).toBe(503);
        return err.headers?.get('x-switchyard-trace') ?? '';
      },
    );
  return res;
}

describe('retry budgets shared through Redis', () => {
  it("retries spent on A are refused on B once B's sync has read them", async () => {
    await eventually(
      () => a.gateway.state.redis?.connected === true && b.gateway.state.redis?.connected === true,
    );
    await fail(a);
    expect(a.primary.stats('model-a').requests).toBe(3); // first attempt + the fleet's 2 retries
    // A's field in the budget's hash: 1 first attempt, 2 retries, written at <epoch ms>.
    const field = a.gateway.state.status().budgets!.instance;
    const key = `${PREFIX}:budget:retry:primary/model-a`;
    await eventually(async () => /^1,2,\d+$/.test((await redis.hget(key, field)) ?? ''));
    // B hears of them within 2 × 50 ms plus a round trip: two more of its syncs are enough.
    const before = b.gateway.state.status().budgets!.syncs;
    await eventually(() => b.gateway.state.status().budgets!.syncs >= before + 2);
    const trace = await fail(b);
    expect(b.primary.stats('model-a').requests).toBe(1); // no retry left for the fleet
    expect(trace).toContain('no-retry:budget');
    expect(b.gateway.state.status().budgets).toMatchObject({ intervalMs: 50, failures: 0 });
  });
});
