/**
 * The response cache shared through Redis (docs/caching.md#shared-through-redis), over real sockets:
 * two gateway instances (each with its own simulated providers, so an upstream counter proves which
 * instance called out) share the machine's Redis at 127.0.0.1:6379 (SWITCHYARD_TEST_REDIS_URL
 * overrides) under this run's own key prefix, deleted afterwards. Redis going away is a private
 * redis-server child, stopped or paused (SIGSTOP) under a third gateway.
 */
import { eventually } from './eventually.js';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropKeysAndQuit, testRedis } from './test-redis.js';
import { startLocalRedis, type LocalRedis } from '../src/cluster/local.js';
import { startHarness, type Harness } from './harness.js';

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:cache:${process.pid}:${randomBytes(4).toString('hex')}`;
const BIG = 'x'.repeat(3_000);

let redis: Redis;
let a: Harness;
let b: Harness;

const instance = (
  url: string,
  extra: Record<string, unknown> = {},
  state: Record<string, unknown> = {},
): Promise<Harness> =>
  startHarness({
    config: {
      state: { driver: 'redis', url, prefix: PREFIX, ...state },
      // A loaded shared machine: a generous lookup budget so that a slow GET is not a flaky miss.
      cache: { maxEntryBytes: 2_000, lookupTimeoutMs: 250, ...extra },
      metrics: { enabled: true },
    },
    routes: {
      c: { targets: ['primary/model-a'], cache: {} },
      short: { targets: ['primary/model-a'], cache: { ttlMs: 400 } },
      big: { targets: ['primary/model-big'], cache: {} },
      own: { targets: ['primary/model-a'], cache: { shared: false } },
    },
    primary: { models: { 'model-big': { replyText: BIG } } },
  });

beforeAll(async () => {
  redis = await testRedis(URL);
  [a, b] = await Promise.all([instance(URL), instance(URL)]);
  await Promise.all([connected(a), connected(b)]);
}, 20_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await dropKeysAndQuit(redis, PREFIX);
});

const connected = (h: Harness): Promise<void> => eventually(() => h.gateway.state.redis?.connected === true);
const cacheKeys = (): Promise<string[]> => redis.keys(`${PREFIX}:cache:*`);
const upstream = (h: Harness, model = 'model-a'): number => h.primary.stats(model).requests;

async function ask(h: Harness, model: string, content: string) {
  const { data, response } = await h.client.chat.completions
    .create({ model, temperature: 0, messages: [{ role: 'user', content }] })
    .withResponse();
  return { data, cache: response.headers.get('x-switchyard-cache'), headers: response.headers };
}

/** The answer is stored once its SET reached Redis (the write is not awaited by the request). */
async function storedCount(n: number): Promise<void> {
  await eventually(async () => (await cacheKeys()).length === n);
}

async function metric(h: Harness, line: string): Promise<number> {
  const text = await (await request(`${h.gateway.url}/metrics`)).body.text();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found ? Number(found.split(' ')[1]) : 0;
}

describe('the response cache shared through Redis', () => {
  it('an answer stored through one instance is a hit on the other, with no upstream call there', async () => {
    const keysBefore = (await cacheKeys()).length;
    const miss = await ask(a, 'c', 'shared question');
    expect(miss.cache).toBe('miss');
    expect(upstream(a)).toBe(1);
    await storedCount(keysBefore + 1);
    const [key] = await cacheKeys();
    // SET … PX: the key expires with the route's TTL.
    const ttl = await redis.pttl(key!);
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);

    const hit = await ask(b, 'c', 'shared question');
    expect(hit.cache).toBe('hit');
    expect(upstream(b)).toBe(0);
    expect(hit.data.choices).toEqual(miss.data.choices);
    expect(hit.data.usage).toEqual(miss.data.usage);
    expect(hit.headers.get('x-switchyard-target')).toBe('primary/model-a');
    expect(hit.headers.get('x-switchyard-attempts')).toBe('0');
    expect(hit.headers.get('age')).toMatch(/^\d+$/);
    expect(await metric(b, 'switchyard_cache_shared_lookups_total{result="shared_hit"}')).toBe(1);
    // The entry is now in B's own LRU too: the next hit makes no round trip.
    expect((await ask(b, 'c', 'shared question')).cache).toBe('hit');
    expect(await metric(b, 'switchyard_cache_shared_lookups_total{result="local_hit"}')).toBe(1);
  });

  it('a stream stored by one instance is replayed as a stream through the openai SDK by the other', async () => {
    const before = { a: upstream(a), b: upstream(b), keys: (await cacheKeys()).length };
    const live = a.client.chat.completions.stream({
      model: 'c',
      seed: 7,
      messages: [{ role: 'user', content: 'stream me' }],
      stream_options: { include_usage: true },
    });
    const original = await live.finalChatCompletion();
    expect(upstream(a)).toBe(before.a + 1);
    await storedCount(before.keys + 1);

    const { data: replay, response } = await b.client.chat.completions
      .create({
        model: 'c',
        seed: 7,
        messages: [{ role: 'user', content: 'stream me' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('x-switchyard-cache')).toBe('hit');
    let text = '';
    let usage: unknown;
    for await (const chunk of replay) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(upstream(b)).toBe(before.b);
    expect(text).toBe(original.choices[0]!.message.content);
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toEqual(original.usage);
  });

  it('an entry expires with its TTL in Redis and in the LRU in front of it', async () => {
    const keysBefore = (await cacheKeys()).length;
    expect((await ask(a, 'short', 'brief')).cache).toBe('miss');
    await storedCount(keysBefore + 1);
    expect((await ask(b, 'short', 'brief')).cache).toBe('hit');
    await new Promise((r) => setTimeout(r, 450));
    await storedCount(keysBefore); // Redis dropped it
    const upstreamBefore = upstream(b);
    expect((await ask(b, 'short', 'brief')).cache).toBe('miss'); // B's LRU copy expired with it
    expect(upstream(b)).toBe(upstreamBefore + 1);
  });

  it('never writes an answer over maxEntryBytes', async () => {
    const keysBefore = (await cacheKeys()).length;
    expect((await ask(a, 'big', 'long answer')).cache).toBe('miss');
    expect((await ask(a, 'c', 'after the big one')).cache).toBe('miss');
    await storedCount(keysBefore + 1); // only the small answer
    for (const key of await cacheKeys()) expect(await redis.strlen(key)).toBeLessThanOrEqual(2_000);
    const upstreamBefore = upstream(b, 'model-big');
    expect((await ask(b, 'big', 'long answer')).cache).toBe('miss');
    expect(upstream(b, 'model-big')).toBe(upstreamBefore + 1);
  });

  it('a route with shared: false keeps its entries in the process', async () => {
    const keysBefore = (await cacheKeys()).length;
    expect((await ask(a, 'own', 'mine only')).cache).toBe('miss');
    expect((await ask(a, 'own', 'mine only')).cache).toBe('hit');
    expect((await ask(b, 'own', 'mine only')).cache).toBe('miss');
    expect((await cacheKeys()).length).toBe(keysBefore);
  });
});

describe('Redis away: the cache is bypassed, the provider answers', () => {
  let local: LocalRedis;
  let c: Harness;

  beforeAll(async () => {
    local = await startLocalRedis();
    // Redis commands give up after 2 s: only the lookup's own budget (30 ms) keeps a request fast.
    c = await instance(local.url, { lookupTimeoutMs: 30 }, { commandTimeoutMs: 2_000 });
    await connected(c);
  }, 20_000);

  afterAll(async () => {
    local?.resume();
    await c?.close();
    await local?.stop();
  });

  it('a hung Redis (paused) is waited for lookupTimeoutMs at most, then the request is a miss served upstream', async () => {
    local.pause();
    try {
      const started = performance.now();
      const res = await ask(c, 'c', 'while Redis hangs');
      expect(res.cache).toBe('miss');
      expect(res.data.choices[0]!.message.content).toBeTruthy();
      expect(upstream(c)).toBe(1);
      // The lookup gave up after 30 ms; the whole request (upstream call included) is far under the
      // link's 2 s command timeout.
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(await metric(c, 'switchyard_cache_shared_lookups_total{result="timeout"}')).toBe(1);
    } finally {
      local.resume();
    }
  });

  it('a stopped Redis: every lookup is a miss, never an error, and is counted', async () => {
    await local.stop();
    await eventually(() => c.gateway.state.redis?.connected === false);
    const before = upstream(c);
    const first = await ask(c, 'c', 'while Redis is down');
    expect(first.cache).toBe('miss');
    expect(upstream(c)).toBe(before + 1);
    expect(await metric(c, 'switchyard_cache_shared_lookups_total{result="unavailable"}')).toBe(1);
    expect(await metric(c, 'switchyard_cache_shared_writes_total{result="failed"}')).toBeGreaterThanOrEqual(
      1,
    );
    // The answer is still in this instance's LRU: a hit without Redis.
    expect((await ask(c, 'c', 'while Redis is down')).cache).toBe('hit');
    await local.start();
  });
});
