/**
 * Routing latency statistics shared across two instances in one process (two Redis links, two
 * TargetStats, two syncs) against the real Redis at 127.0.0.1:6379 (SWITCHYARD_TEST_REDIS_URL
 * overrides), under this run's own key prefix, deleted afterwards.
 */
import { eventually as poll } from '../../test/eventually.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeysAndQuit, testRedis } from '../../test/test-redis.js';
import { TargetStats } from '../routing/stats.js';
import { systemClock } from '../resilience/system-clock.js';
import { silentLogger } from '../telemetry/logger.js';
import { RedisLink } from './redis-link.js';
import { SharedStats, decode, encode } from './shared-stats.js';

const eventually = (check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> => poll(check, ms, 2);

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:rstats:${process.pid}:${randomBytes(4).toString('hex')}`;
const INTERVAL_MS = 50;

let redis: Redis;
const links: RedisLink[] = [];
const syncs: SharedStats[] = [];

beforeAll(async () => {
  redis = await testRedis(URL);
});

afterAll(async () => {
  for (const s of syncs) s.stop();
  await Promise.all(links.map((l) => l.close()));
  await dropKeysAndQuit(redis, PREFIX);
});

const ok = (target: string, ttftMs: number, durationMs = ttftMs + 500) =>
  ({ target, outcome: 'ok', ttftMs, durationMs, countsAgainstBreaker: false }) as const;

/** One gateway instance's statistics and their sync, on its own Redis connection. */
async function instance(name: string, targets: string[], tauMs = 10_000) {
  const link = await RedisLink.open({ url: URL, commandTimeoutMs: 1_000, log: silentLogger });
  links.push(link);
  await eventually(() => link.connected);
  const stats = new TargetStats(systemClock, tauMs);
  const sync = new SharedStats({
    redis: link.command,
    link,
    prefix: PREFIX,
    intervalMs: INTERVAL_MS,
    stats,
    targets,
    clock: systemClock,
    wallNow: () => Date.now(),
    instance: name,
  });
  syncs.push(sync);
  return { stats, sync, link };
}

describe('routing statistics shared across instances', () => {
  it('a target seen slow only by A is ranked slow by B within 2 × the sync interval', async () => {
    const targets = ['p/slow', 'p/fast'];
    const a = await instance('a', targets);
    const b = await instance('b', targets);
    a.sync.start();
    b.sync.start();
    a.stats.ended(ok('p/slow', 2_000));
    a.stats.ended(ok('p/fast', 100));
    const sampled = performance.now();
    expect(b.stats.latencyMs('p/slow', true)).toBeUndefined(); // nothing local, nothing heard yet
    await eventually(() => (b.stats.latencyMs('p/slow', true) ?? 0) > 1_900);
    const seenAfterMs = performance.now() - sampled;
    // The bound is 2 × 50 ms plus a round trip; the loaded shared machine gets slack on top.
    expect(seenAfterMs).toBeLessThan(2 * INTERVAL_MS + 400);
    expect(b.stats.latencyMs('p/fast', true)).toBeCloseTo(100, -1);
    expect(b.stats.latencyMs('p/slow', false)).toBeGreaterThan(2_400); // durations travel too
    // Peak semantics: B's own fast answer of the slow target does not hide the peak seen on A ...
    b.stats.ended(ok('p/slow', 50));
    expect(b.stats.latencyMs('p/slow', true)).toBeGreaterThan(1_900);
    // ... and B's own slow answer counts at once, before any sync.
    b.stats.ended(ok('p/fast', 3_000));
    expect(b.stats.latencyMs('p/fast', true)).toBeCloseTo(3_000, 0);
    // A publishes only its own estimates (B's 3 s answer of p/fast has not become A's view of itself).
    expect(decode((await redis.hget(`${PREFIX}:rstats:p/fast`, 'a'))!, Date.now())!.ttft!.value).toBe(100);
    expect(b.stats.snapshot('p/slow')).toMatchObject({ ewmaTtftMs: 50 });
    expect(b.stats.snapshot('p/slow').fleetTtftMs).toBeGreaterThan(1_900);
    expect(a.sync.status()).toMatchObject({ instance: 'a', failures: 0, staleAfterMs: 30_000 });
    a.sync.stop();
    b.sync.stop();
  });

  it("throughput and error rate: B without its own uses the fleet's, sample-weighted", async () => {
    const a = await instance('a5', ['p/tps']);
    const b = await instance('b5', ['p/tps']);
    a.stats.ended({ ...ok('p/tps', 100, 1_100), tokens: { prompt: 1, completion: 50, estimated: false } });
    a.stats.ended({ target: 'p/tps', outcome: 'retry', durationMs: 10, countsAgainstBreaker: true });
    await a.sync.sync();
    await b.sync.sync();
    expect(b.stats.tokensPerSecond('p/tps')).toBeCloseTo(50, 3);
    expect(b.stats.errorRate('p/tps')).toBeCloseTo(a.stats.errorRate('p/tps')!, 3);
  });

  it("a dead instance's estimates age out after 3 τ and its field is deleted", async () => {
    const a = await instance('a2', ['p/dead'], 100); // τ = 100 ms: fields stale after 300 ms
    const b = await instance('b2', ['p/dead'], 100);
    a.stats.ended(ok('p/dead', 5_000));
    await a.sync.sync(); // A writes once, then dies
    await b.sync.sync();
    expect(b.stats.latencyMs('p/dead', true)).toBeGreaterThan(4_000);
    b.sync.start();
    await eventually(() => b.stats.latencyMs('p/dead', true) === undefined);
    expect(await redis.hexists(`${PREFIX}:rstats:p/dead`, 'a2')).toBe(0);
    b.sync.stop();
  });

  it('Redis away: no error, the fleet view is kept for 3 τ and then dropped; local stats unchanged', async () => {
    const a = await instance('a4', ['p/away'], 200);
    const b = await instance('b4', ['p/away'], 200);
    // Its own real client, disconnected halfway: every command then fails at once.
    const client = new Redis(URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await eventually(() => client.status === 'ready');
    const link = { connected: true };
    const away = new SharedStats({
      redis: client,
      link,
      prefix: PREFIX,
      intervalMs: INTERVAL_MS,
      stats: b.stats,
      targets: ['p/away'],
      clock: systemClock,
      wallNow: () => Date.now(),
      instance: 'b4',
    });
    a.stats.ended(ok('p/away', 1_000));
    b.stats.ended(ok('p/local', 300));
    await a.sync.sync();
    expect(await away.sync()).toBe(true);
    expect(b.stats.latencyMs('p/away', true)).toBeGreaterThan(800);
    link.connected = false;
    expect(await away.sync()).toBe(false); // not connected: nothing sent, not a failure
    expect(away.status().failures).toBe(0);
    link.connected = true;
    client.disconnect();
    expect(await away.sync()).toBe(false); // the command fails: counted, never thrown
    expect(away.status().failures).toBe(1);
    expect(b.stats.latencyMs('p/away', true)).toBeGreaterThan(0); // still within 3 τ
    await new Promise((r) => setTimeout(r, 650));
    expect(await away.sync()).toBe(false);
    expect(b.stats.latencyMs('p/away', true)).toBeUndefined(); // dropped: B routes on its own stats
    expect(b.stats.latencyMs('p/local', true)).toBeGreaterThan(0);
    expect(away.status()).toMatchObject({ syncs: 1, failures: 2 });
  });

  it('fields round-trip, with ages taken from the reader', () => {
    const field = encode({ ttft: { value: 120.5, ageMs: 40 }, errorRate: 0.25, samples: 7 }, 1_000_000);
    expect(field).toBe('1000000,120.5,999960,,,,0.25,7');
    expect(decode(field, 1_000_100)).toEqual({
      ttft: { value: 120.5, ageMs: 140 },
      errorRate: 0.25,
      samples: 7,
    });
    expect(decode('1,2,3', 10)).toBeUndefined();
    expect(decode('1,-5,3,,,,2,1', 10)).toEqual({ errorRate: 1, samples: 1 });
  });
});
