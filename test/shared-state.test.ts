/**
 * Shared state beyond breakers and cooldowns, over real sockets: gateway instances in one process
 * (each with its own simulated providers, the same config), `state.driver: redis` on the machine's
 * Redis (SWITCHYARD_TEST_REDIS_URL overrides) under a key prefix of this run, deleted afterwards.
 * A region drained on one instance is drained on all (and on one started later); a provider key cooled
 * by a 429 on one instance is cooled on all, the target itself staying in; spend on a capped target
 * through one instance counts against the cap on the others.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dropKeysAndQuit, testRedis } from './test-redis.js';
import { raw, startHarness, userMessage, type Harness } from './harness.js';

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest-shared:${process.pid}:${randomBytes(4).toString('hex')}`;
const KEYS = ['sk-pool-key-one-0001', 'sk-pool-key-two-0002'];

const options = (): Parameters<typeof startHarness>[0] => ({
  primary: { apiKeys: KEYS },
  providers: {
    primary: {
      apiKey: undefined,
      apiKeys: KEYS,
      keySelection: 'ordered',
      region: 'us',
      prices: { 'model-a': { input: 1, output: 1 }, 'model-c': { input: 1, output: 1 } },
    },
    backup: { region: 'eu' },
  },
  routes: {
    m: { targets: ['primary/model-a', 'backup/model-b'] },
    capped: {
      targets: ['primary/model-c', 'backup/model-b'],
      routing: { targetCaps: { 'primary/model-c': { dailyUsd: 0.000001 } } },
    },
  },
  config: { state: { driver: 'redis', url: URL, prefix: PREFIX } },
});

let redis: Redis;
let a: Harness;
let b: Harness;
let c: Harness | undefined;

beforeAll(async () => {
  redis = await testRedis(URL);
  [a, b] = await Promise.all([startHarness(options()), startHarness(options())]);
  await vi.waitFor(async () => {
    for (const h of [a, b]) expect(await state(h)).toMatchObject({ redis: { connected: true } });
  });
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), c?.close()]);
  await dropKeysAndQuit(redis, PREFIX);
});

const get = async (h: Harness, path: string): Promise<unknown> =>
  (await raw(`${h.gateway.url}${path}`, { method: 'GET' })).json();
const state = (h: Harness) => get(h, '/v1/switchyard/state');
const drained = async (h: Harness) =>
  ((await get(h, '/v1/switchyard/regions')) as { drained: string[] }).drained;

async function chat(h: Harness, model: string): Promise<{ target: string; trace: string }> {
  const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
    headers: { 'x-switchyard-debug': 'trace' },
    body: JSON.stringify({ model, messages: userMessage() }),
  });
  expect(res.status).toBe(200);
  return {
    target: String(res.headers['x-switchyard-target']),
    trace: String(res.headers['x-switchyard-trace']),
  };
}

describe('provider key cooldowns', () => {
  it('a key cooled by a 429 on one instance is cooled on every instance; the target stays in', async () => {
    a.primary.setKeyFault(KEYS[0]!, { kind: 'status', status: 429, retryAfterSeconds: 60 });
    const first = await chat(a, 'm');
    expect(first.trace).toMatch(
      /^primary\/model-a key#1 attempt upstream_429 \d+ms; primary\/model-a key#2 attempt ok/,
    );
    const target = b.gateway.config.routes.get('m')!.targets[0]!;
    await vi.waitFor(() =>
      expect(b.gateway.engine.keys.keyOutUntil(target, 'key#1', 'target')).toBeDefined(),
    );
    const left = b.gateway.engine.keys.keyOutUntil(target, 'key#1', 'target')! - performance.now();
    expect(left).toBeGreaterThan(55_000);
    // B's own simulator has no fault: B goes straight to the second key, and still to the primary.
    const onB = await chat(b, 'm');
    expect(onB.target).toBe('primary/model-a');
    expect(onB.trace).toMatch(/^primary\/model-a key#2 attempt ok \d+ms$/);
    expect(b.primary.stats().requests).toBe(1);
  });
});

describe('cost caps', () => {
  it('spend on a capped target through one instance counts against the cap on the others', async () => {
    const ledgerB = b.gateway.engine.router!.spend;
    expect(ledgerB.spent('target:primary/model-c').dayUsd).toBe(0);
    expect((await chat(a, 'capped')).target).toBe('primary/model-c');
    // B served nothing on this route: its ledger learns A's spend from the shared counters.
    await vi.waitFor(() => expect(ledgerB.spent('target:primary/model-c').dayUsd).toBeGreaterThan(0.000001), {
      timeout: 5_000,
    });
    const onB = await chat(b, 'capped');
    expect(onB.target).toBe('backup/model-b');
    expect(onB.trace).toContain('primary/model-c skip cost-cap:target');
    expect(await state(b)).toMatchObject({ spend: { scopes: 1 } });
  });
});

describe('drained regions', () => {
  it('a drain on one instance applies to all, to one started later, and an undrain too', async () => {
    const drain = await raw(`${a.gateway.url}/v1/switchyard/regions/us/drain`, { body: '' });
    expect(drain.status).toBe(200);
    await vi.waitFor(async () => expect(await drained(b)).toEqual(['us']));
    expect((await chat(b, 'm')).target).toBe('backup/model-b');

    // Catch-up: an instance that starts after the drain reads it when it connects.
    c = await startHarness(options());
    await vi.waitFor(async () => expect(await drained(c!)).toEqual(['us']), { timeout: 5_000 });
    // … and the key cooldown set on A in the first test (60 s), from its entry in Redis.
    const target = c.gateway.config.routes.get('m')!.targets[0]!;
    expect(c.gateway.engine.keys.keyOutUntil(target, 'key#1', 'target')).toBeGreaterThan(
      performance.now() + 50_000,
    );

    const undrain = await raw(`${c.gateway.url}/v1/switchyard/regions/us/undrain`, { body: '' });
    expect(undrain.status).toBe(200);
    await vi.waitFor(async () => {
      expect(await drained(a)).toEqual([]);
      expect(await drained(b)).toEqual([]);
    });
    expect(await state(a)).toMatchObject({ regions: { applied: 1, pending: 0 } });
  });
});
