/**
 * Redis going away and coming back, for real: a private redis-server child (its own free port, so the
 * machine's Redis is never stopped) is stopped and started again under the link.
 */
import { eventually as poll } from '../../test/eventually.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../cluster/local.js';
import { silentLogger } from '../telemetry/logger.js';
import { FailModeCounters, RedisCounters, StateUnavailableError } from './redis-counters.js';
import { RedisLink } from './redis-link.js';

const eventually = (check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => poll(check, ms, 5);

let redis: LocalRedis;
let link: RedisLink;

beforeAll(async () => {
  redis = await startLocalRedis();
  link = await RedisLink.open({
    url: redis.url,
    commandTimeoutMs: 500,
    log: silentLogger,
    maxBackoffMs: 200,
  });
}, 20_000);

afterAll(async () => {
  await link?.close();
  await redis?.stop();
});

describe('Redis outage', () => {
  it('counters fail over to the fail mode, the link says so, and what was counted meanwhile is added back', async () => {
    await eventually(() => link.connected);
    const shared = new RedisCounters(link.command, 'outage');
    const open = new FailModeCounters({ redis: shared, link, failMode: 'open' });
    const closed = new FailModeCounters({ redis: shared, link, failMode: 'closed' });
    expect(await open.take('k', 3, 10, 3_600_000)).toMatchObject({ allowed: true, total: 3 });
    await redis.stop();
    await eventually(() => !link.connected);
    expect(link.status()).toMatchObject({ connected: false, outages: 1 });
    // open: served on local counts; closed: refused.
    expect(await open.take('k', 2, 10, 3_600_000)).toMatchObject({ allowed: true, total: 2 });
    await expect(closed.take('k', 1, 10, 3_600_000)).rejects.toBeInstanceOf(StateUnavailableError);
    expect(open.failures).toBe(1);
    await redis.start();
    await eventually(() => link.connected);
    // Redis came back empty (no persistence): what this instance counted during the outage is added.
    await eventually(async () => (await shared.peek('k', 3_600_000)) === 2);
    expect(link.status()).toMatchObject({ connected: true, downSince: null, outages: 1 });
    expect(await closed.take('k', 1, 10, 3_600_000)).toMatchObject({ allowed: true, total: 3 });
  });
});
