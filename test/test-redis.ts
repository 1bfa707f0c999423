/** The machine's Redis for a test suite that keeps its keys under a prefix of its own (tests only). */
import { Redis } from 'ioredis';

/** A client of the test Redis; without a Redis the suite fails here, loudly. */
export async function testRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  await redis.ping();
  return redis;
}

/** Deletes every key under `prefix` (SCAN, never KEYS on a shared server), then disconnects. */
export async function dropKeysAndQuit(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}
