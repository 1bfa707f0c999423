/**
 * The shared cache store against the real Redis at 127.0.0.1:6379 (SWITCHYARD_TEST_REDIS_URL
 * overrides), under this run's own key prefix, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../resilience/manual-clock.js';
import { systemClock } from '../resilience/system-clock.js';
import type { CachedAnswer } from './answer.js';
import { SharedCacheStore, decodeEntry, encodeEntry } from './shared-store.js';
import { MemoryLruStore } from './store.js';

const URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `sytest:cachestore:${process.pid}:${randomBytes(4).toString('hex')}`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(URL, { maxRetriesPerRequest: 1 });
  await redis.ping(); // no Redis: the suite fails here, loudly
});
afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const answer = (content: string): CachedAnswer => ({
  target: 'p/m',
  completion: {
    id: 'x',
    object: 'chat.completion',
    created: 1,
    model: 'r',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  },
});

/** Two stores on one Redis, each with its own LRU, on a wall clock the test moves. */
function pair(maxEntryBytes = 1_000) {
  let wall = 1_700_000_000_000;
  const make = () =>
    new SharedCacheStore({
      redis,
      link: { connected: true },
      prefix: PREFIX,
      local: new MemoryLruStore<CachedAnswer>(
        { maxEntries: 10, maxBytes: 10_000, maxEntryBytes },
        new ManualClock(),
      ),
      maxEntryBytes,
      lookupTimeoutMs: 1_000,
      clock: systemClock,
      wallNow: () => wall,
    });
  return { one: make(), two: make(), advance: (ms: number) => (wall += ms) };
}

describe('the shared cache store', () => {
  it('round-trips an entry through Redis with its age, and encodes it compactly', async () => {
    const { one, two, advance } = pair();
    expect(await one.set('k1', answer('hello'), 100, 60_000)).toBe(true);
    advance(2_500);
    expect(await two.get('k1')).toEqual({ value: answer('hello'), ageMs: 2_500 });
    expect(two.counters).toMatchObject({ sharedHits: 1, localHits: 0 });
    const bytes = (await redis.getBuffer(`${PREFIX}:cache:k1`))!;
    expect(bytes.equals(encodeEntry(answer('hello'), 1_700_000_000_000, 60_000))).toBe(true);
    expect(decodeEntry(bytes)?.answer).toEqual(answer('hello'));
  });

  it('never writes an encoding larger than maxEntryBytes, even when the answer itself fits', async () => {
    const { one, two } = pair(300);
    const at = 1_700_000_000_000;
    const overhead = encodeEntry(answer(''), at, 60_000).length;
    const fits = answer('y'.repeat(300 - overhead)); // encoding: exactly 300 bytes
    const over = answer('y'.repeat(301 - overhead)); // 301
    expect(encodeEntry(fits, at, 60_000).length).toBe(300);
    expect(encodeEntry(over, at, 60_000).length).toBe(301);
    expect(await one.set('big', over, 290, 60_000)).toBe(false);
    expect(one.counters.tooLarge).toBe(1);
    expect(await redis.exists(`${PREFIX}:cache:big`)).toBe(0);
    expect(await two.get('big')).toBeUndefined();
    expect(await one.set('fits', fits, 200, 60_000)).toBe(true);
    expect(await redis.exists(`${PREFIX}:cache:fits`)).toBe(1);
  });

  it('reads an entry past its stored TTL (another host is ahead) as a miss, and garbage as an error', async () => {
    const { one, two, advance } = pair();
    await one.set('old', answer('old'), 10, 60_000);
    advance(60_000);
    expect(await two.get('old')).toBeUndefined();
    await redis.set(`${PREFIX}:cache:junk`, 'not an entry', 'PX', 60_000);
    expect(await two.get('junk')).toBeUndefined();
    expect(two.counters).toMatchObject({ misses: 1, errors: 1, sharedHits: 0 });
  });
});
