/**
 * Retry budgets and hedge caps shared across two instances in one process (two Redis links, two
 * budgets, two syncs) against the real Redis at 127.0.0.1:6379 (SWITCHYARD_TEST_REDIS_URL overrides),
 * under this run's own key prefix, deleted afterwards.
 */
import { eventually as poll } from '../../test/eventually.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeysAndQuit, testRedis } from '../../test/test-redis.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import { systemClock } from '../resilience/system-clock.js';
import { silentLogger } from '../telemetry/logger.js';
import { RedisLink } from './redis-link.js';
import { SharedBudgets, type SyncedBudget } from './shared-budgets.js';

const eventually = (check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> => poll(check, ms, 2);

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:budget:${process.pid}:${randomBytes(4).toString('hex')}`;
const INTERVAL_MS = 50;

let redis: Redis;
const links: RedisLink[] = [];
const syncs: SharedBudgets[] = [];

beforeAll(async () => {
  redis = await testRedis(URL);
});

afterAll(async () => {
  for (const s of syncs) s.stop();
  await Promise.all(links.map((l) => l.close()));
  await dropKeysAndQuit(redis, PREFIX);
});

/** One gateway instance's budgets and their sync, on its own Redis connection. */
async function instance(name: string, budgets: (b: RetryBudget) => SyncedBudget[], ttlMs = 10_000) {
  const link = await RedisLink.open({ url: URL, commandTimeoutMs: 1_000, log: silentLogger });
  links.push(link);
  await eventually(() => link.connected);
  // ratio 0, floor 1/s over the window: the fleet may retry 10 times per 10 s.
  const budget = new RetryBudget({ clock: systemClock, ratio: 0, floorPerSecond: 1, ttlMs });
  const sync = new SharedBudgets({
    redis: link.command,
    link,
    prefix: PREFIX,
    intervalMs: INTERVAL_MS,
    budgets: () => budgets(budget),
    clock: systemClock,
    wallNow: () => Date.now(),
    instance: name,
  });
  syncs.push(sync);
  return { budget, sync, link };
}

function drain(budget: RetryBudget, key: string): number {
  let granted = 0;
  while (budget.tryAcquireRetry(key)) granted++;
  return granted;
}

describe('retry budgets shared across instances', () => {
  it("retries admitted on A count against B's budget within 2 × the sync interval", async () => {
    const retry = (b: RetryBudget): SyncedBudget[] => [{ name: 'retry', budget: b, keys: ['p/m'] }];
    const a = await instance('a', retry);
    const b = await instance('b', retry);
    a.sync.start();
    b.sync.start();
    expect(drain(a.budget, 'p/m')).toBe(10);
    const admitted = performance.now();
    await eventually(() => b.budget.snapshot('p/m').retries === 10);
    const seenAfterMs = performance.now() - admitted;
    expect(b.budget.snapshot('p/m')).toMatchObject({ retries: 10, available: 0 });
    expect(b.budget.tryAcquireRetry('p/m')).toBe(false);
    // The bound is 2 × 50 ms plus a round trip; the loaded shared machine gets slack on top.
    expect(seenAfterMs).toBeLessThan(2 * INTERVAL_MS + 400);
    // One hash per budget key, one field per instance (B wrote nothing: its counts are zero).
    expect(await redis.hkeys(`${PREFIX}:budget:retry:p/m`)).toEqual(['a']);
    expect(a.sync.status()).toMatchObject({ instance: 'a', failures: 0 });
    expect(a.sync.status().syncs).toBeGreaterThan(0);
    a.sync.stop();
    b.sync.stop();
  });

  it("a dead instance's counts age out after one window, and are dropped from the hash", async () => {
    const retry = (b: RetryBudget): SyncedBudget[] => [{ name: 'retry', budget: b, keys: ['p/dead'] }];
    // A window of 1 s; A dies (its sync stops) right after writing its retries once.
    const a = await instance('a2', retry, 1_000);
    const b = await instance('b2', retry, 1_000);
    expect(drain(a.budget, 'p/dead')).toBe(1); // floor 1/s × 1 s
    await a.sync.sync();
    await b.sync.sync();
    expect(b.budget.snapshot('p/dead').retries).toBe(1);
    b.sync.start();
    await eventually(() => b.budget.snapshot('p/dead').retries === 0, 3_000);
    expect(await redis.hexists(`${PREFIX}:budget:retry:p/dead`, 'a2')).toBe(0);
    expect(b.budget.tryAcquireRetry('p/dead')).toBe(true);
    b.sync.stop();
  });

  it('hedge caps, keyed by route, are shared the same way', async () => {
    const caps = (b: RetryBudget): SyncedBudget[] => [{ name: 'hedge', budget: b, keys: ['route-h'] }];
    const a = await instance('a3', caps);
    const b = await instance('b3', caps);
    for (let i = 0; i < 4; i++) expect(a.budget.tryAcquireRetry('route-h')).toBe(true);
    await a.sync.sync();
    await b.sync.sync();
    expect(b.budget.snapshot('route-h')).toMatchObject({ retries: 4, available: 6 });
    expect(drain(b.budget, 'route-h')).toBe(6);
    await a.sync.sync();
    // B has not written its 6 yet (its next sync does): until then A still sees 6 available.
    expect(a.budget.snapshot('route-h').available).toBe(6);
    await b.sync.sync();
    await a.sync.sync();
    expect(a.budget.snapshot('route-h')).toMatchObject({ retries: 10, available: 0 });
  });

  it("Redis away: the others' counts are kept for one window after the last sync, then dropped", async () => {
    const retry = (b: RetryBudget): SyncedBudget[] => [{ name: 'retry', budget: b, keys: ['p/away'] }];
    const a = await instance('a4', retry, 1_000);
    const b = await instance('b4', retry, 1_000);
    const link = { connected: true };
    const away = new SharedBudgets({
      redis: b.link.command,
      link,
      prefix: PREFIX,
      intervalMs: INTERVAL_MS,
      budgets: () => retry(b.budget),
      clock: systemClock,
      wallNow: () => Date.now(),
      instance: 'b4',
    });
    expect(drain(a.budget, 'p/away')).toBe(1);
    await a.sync.sync();
    expect(await away.sync()).toBe(true);
    expect(b.budget.snapshot('p/away').retries).toBe(1);
    link.connected = false;
    expect(await away.sync()).toBe(false);
    expect(b.budget.snapshot('p/away').retries).toBe(1); // still within the window
    await new Promise((r) => setTimeout(r, 1_050));
    expect(await away.sync()).toBe(false);
    expect(b.budget.snapshot('p/away').retries).toBe(0); // dropped: B decides on its own counts
    expect(away.status()).toMatchObject({ syncs: 1, failures: 0 });
  });
});
