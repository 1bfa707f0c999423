/**
 * Shared state against the real Redis at 127.0.0.1:6379 (SWITCHYARD_TEST_REDIS_URL overrides). Every
 * run uses its own key prefix and deletes its keys afterwards; nothing here flushes anything.
 */
import { eventually as poll } from '../../test/eventually.js';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeysAndQuit, testRedis } from '../../test/test-redis.js';
import { transportFailure, type UpstreamFailure } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import type { Target } from '../config/types.js';
import { BreakerHealth } from '../engine/breaker-health.js';
import { CooldownHealth } from '../engine/cooldown-health.js';
import type { TargetHealth } from '../engine/health.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { fixedRandom } from '../resilience/random.js';
import { silentLogger } from '../telemetry/logger.js';
import { FailModeCounters, RedisCounters, StateUnavailableError } from './redis-counters.js';
import { RedisLink } from './redis-link.js';
import { SharedHealth } from './shared-health.js';

const eventually = (check: () => boolean | Promise<boolean>, ms = 2_000): Promise<void> => poll(check, ms, 2);

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:${process.pid}:${randomBytes(4).toString('hex')}`;
const target = { id: 'p/m', model: 'm', tier: 1 } as Target;
const signal = new AbortController().signal;
const err503: UpstreamFailure = { ...transportFailure('upstream_503', 'down'), upstreamStatus: 503 };

let redis: Redis;
const links: RedisLink[] = [];

beforeAll(async () => {
  redis = await testRedis(URL);
});

afterAll(async () => {
  await Promise.all(links.map((l) => l.close()));
  await dropKeysAndQuit(redis, PREFIX);
});

/** Waits (real time) for something another connection does; fails after `ms`. */
async function link(): Promise<RedisLink> {
  const l = await RedisLink.open({ url: URL, commandTimeoutMs: 1_000, log: silentLogger });
  links.push(l);
  await eventually(() => l.connected);
  return l;
}

describe('RedisCounters', () => {
  it('has MemoryCounters semantics: limit, window reset, add and peek', async () => {
    let now = 60_000 * 10 + 5_000;
    const c = new RedisCounters(redis, `${PREFIX}:a`, () => now);
    expect(await c.take('k', 2, 3, 60_000)).toEqual({ allowed: true, total: 2, resetMs: 55_000 });
    expect(await c.take('k', 2, 3, 60_000)).toEqual({ allowed: false, total: 2, resetMs: 55_000 });
    expect(await c.take('k', 1, 3, 60_000)).toEqual({ allowed: true, total: 3, resetMs: 55_000 });
    expect(await c.add('k', -1.5, 60_000)).toBe(1.5);
    expect(await c.peek('k', 60_000)).toBe(1.5);
    now += 55_000;
    expect(await c.take('k', 2, 3, 60_000)).toEqual({ allowed: true, total: 2, resetMs: 60_000 });
    expect(await c.peek('other', 60_000)).toBe(0);
  });

  it('concurrent takes from several connections never pass the limit', async () => {
    const clients = [0, 1, 2, 3].map(() => new Redis(URL));
    try {
      const counters = clients.map((r) => new RedisCounters(r, `${PREFIX}:b`));
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) => counters[i % 4]!.take('key', 1, 50, 3_600_000)),
      );
      expect(results.filter((r) => r.allowed)).toHaveLength(50);
      expect(await counters[0]!.peek('key', 3_600_000)).toBe(50);
    } finally {
      await Promise.all(clients.map((c) => c.quit()));
    }
  });
});

describe('FailModeCounters', () => {
  function setup(failMode: 'open' | 'closed') {
    let connected = false;
    let ready: () => void = () => {};
    const fake = {
      get connected() {
        return connected;
      },
      onReady: (l: () => void) => (ready = l),
    };
    const shared = new RedisCounters(redis, `${PREFIX}:c:${failMode}`);
    const counters = new FailModeCounters({ redis: shared, link: fake, failMode });
    return { counters, shared, reconnect: () => ((connected = true), ready()) };
  }

  it('open: counts locally while Redis is away, then adds what it counted to the shared window', async () => {
    const { counters, shared, reconnect } = setup('open');
    expect((await counters.take('k', 3, 4, 3_600_000)).allowed).toBe(true);
    expect((await counters.take('k', 3, 4, 3_600_000)).allowed).toBe(false);
    expect(counters.failures).toBe(2);
    reconnect();
    await eventually(async () => (await shared.peek('k', 3_600_000)) === 3);
    expect((await counters.take('k', 1, 4, 3_600_000)).total).toBe(4);
  });

  it('closed: refuses with StateUnavailableError while Redis is away', async () => {
    const { counters } = setup('closed');
    await expect(counters.take('k', 1, 4, 60_000)).rejects.toBeInstanceOf(StateUnavailableError);
  });
});

describe('SharedHealth: breaker and cooldown deadlines across instances', () => {
  /** One instance: its health publishes on `events`, which SharedHealth listens to. */
  async function instance(prefix: string, health: TargetHealth, clock: ManualClock, events: EventBus) {
    const shared = new SharedHealth({
      link: await link(),
      prefix,
      health,
      events,
      clock,
      targets: new Set([target.id]),
      log: silentLogger,
    });
    shared.start();
    return shared;
  }

  function breakers(clock: ManualClock, events: EventBus): BreakerHealth {
    return new BreakerHealth({
      clock,
      random: fixedRandom(0),
      events,
      breakers: { breaker: { consecutiveFailures: 2, openBaseMs: 30_000, openJitter: 0 } },
    });
  }

  async function fail(health: TargetHealth, failure: UpstreamFailure): Promise<void> {
    const a = await health.admit(target, { panic: false, signal });
    if (a.ok) a.done({ ok: false, failure, durationMs: 5 });
  }

  it('a breaker tripped on one instance is open on the other at once, until the same deadline', async () => {
    const prefix = `${PREFIX}:h1`;
    const clocks = [new ManualClock({ wallNow: Date.now() }), new ManualClock({ wallNow: Date.now() })];
    const buses = [new EventBus(), new EventBus()];
    const healths = [breakers(clocks[0]!, buses[0]!), breakers(clocks[1]!, buses[1]!)];
    const shared = [
      await instance(prefix, healths[0]!, clocks[0]!, buses[0]!),
      await instance(prefix, healths[1]!, clocks[1]!, buses[1]!),
    ];
    await eventually(async () => (await redis.pubsub('NUMSUB', `${prefix}:out`))[1] === 2);
    await fail(healths[0]!, err503);
    await fail(healths[0]!, err503);
    expect(healths[0]!.status([target])[0]!.state).toBe('open');
    await eventually(() => healths[1]!.status([target])[0]!.state === 'open');
    expect(shared[1]!.status().applied).toBe(1);
    expect(shared[0]!.status().published).toBe(1);
    // The echo of the applied deadline is not published back.
    expect(shared[1]!.status().published).toBe(0);
    const next = healths[1]!.status([target])[0]!.nextProbeInMs as number;
    expect(next).toBeGreaterThan(29_000);
    expect(next).toBeLessThanOrEqual(30_000);
    clocks[1]!.advance(30_001);
    expect(healths[1]!.status([target])[0]!.state).toBe('half-open');
  });

  it('a shorter cooldown from another instance never shortens a longer one; a new instance catches up', async () => {
    const prefix = `${PREFIX}:h2`;
    const wall = Date.now();
    const clocks = [new ManualClock({ wallNow: wall }), new ManualClock({ wallNow: wall })];
    const buses = [new EventBus(), new EventBus()];
    const healths = [new CooldownHealth(clocks[0]!, buses[0]), new CooldownHealth(clocks[1]!, buses[1])];
    const a = await instance(prefix, healths[0]!, clocks[0]!, buses[0]!);
    await fail(healths[0]!, { ...err503, retryAfterMs: 20_000 });
    await eventually(() => a.status().published === 1);
    // Instance B starts later: it catches up from Redis on connecting.
    await instance(prefix, healths[1]!, clocks[1]!, buses[1]!);
    await eventually(() => healths[1]!.status([target])[0]!.state === 'cooling');
    const remaining = () => healths[1]!.status([target])[0]!.retryInMs as number;
    expect(remaining()).toBeGreaterThan(19_000);
    // A shorter cooldown from A (5 s later, for 5 s) shortens neither the shared deadline nor B's.
    clocks[0]!.advance(5_000);
    await fail(healths[0]!, { ...err503, retryAfterMs: 5_000 });
    const key = `${prefix}:out:cooldown:${target.id}`;
    await eventually(async () => Number(await redis.hget(key, 'until')) > 0);
    expect(a.status().published).toBe(1);
    expect(Number(await redis.hget(key, 'until'))).toBe(wall + 20_000);
    clocks[1]!.advance(10_000);
    expect(healths[1]!.status([target])[0]!.state).toBe('cooling');
    expect(remaining()).toBe(10_000);
  });
});
