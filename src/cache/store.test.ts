import { describe, expect, it } from 'vitest';
import { ManualClock } from '../resilience/manual-clock.js';
import { MemoryLruStore } from './store.js';

const bounds = { maxEntries: 3, maxBytes: 100, maxEntryBytes: 50 };

describe('the in-memory LRU store', () => {
  it('serves an entry until its TTL passes, with its age', async () => {
    const clock = new ManualClock();
    const store = new MemoryLruStore<string>(bounds, clock);
    await store.set('a', 'A', 10, 1_000);
    clock.advance(400);
    expect(await store.get('a')).toEqual({ value: 'A', ageMs: 400 });
    clock.advance(599);
    expect((await store.get('a'))?.value).toBe('A');
    clock.advance(1);
    expect(await store.get('a')).toBeUndefined();
    expect(store.size()).toEqual({ entries: 0, bytes: 0 });
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    const store = new MemoryLruStore<string>(bounds, new ManualClock());
    for (const k of ['a', 'b', 'c']) await store.set(k, k, 1, 1_000);
    await store.get('a'); // a is now the most recent: b is the oldest
    await store.set('d', 'd', 1, 1_000);
    expect(await store.get('b')).toBeUndefined();
    for (const k of ['a', 'c', 'd']) expect((await store.get(k))?.value).toBe(k);
    expect(store.size()).toEqual({ entries: 3, bytes: 3 });
  });

  it('evicts the least recently used entries past maxBytes', async () => {
    const store = new MemoryLruStore<string>(bounds, new ManualClock());
    await store.set('a', 'a', 40, 1_000);
    await store.set('b', 'b', 40, 1_000);
    await store.set('c', 'c', 30, 1_000); // 110 bytes: a goes
    expect(await store.get('a')).toBeUndefined();
    expect(store.size()).toEqual({ entries: 2, bytes: 70 });
  });

  it('refuses an entry larger than maxEntryBytes, and keeps what it has', async () => {
    const store = new MemoryLruStore<string>(bounds, new ManualClock());
    await store.set('a', 'a', 10, 1_000);
    expect(await store.set('big', 'x', 51, 1_000)).toBe(false);
    expect(await store.get('big')).toBeUndefined();
    expect(store.size()).toEqual({ entries: 1, bytes: 10 });
  });

  it('replaces an entry under the same key, counting its bytes once', async () => {
    const clock = new ManualClock();
    const store = new MemoryLruStore<string>(bounds, clock);
    await store.set('a', 'old', 30, 1_000);
    clock.advance(900);
    await store.set('a', 'new', 20, 1_000);
    clock.advance(500);
    expect(await store.get('a')).toEqual({ value: 'new', ageMs: 500 });
    expect(store.size()).toEqual({ entries: 1, bytes: 20 });
  });
});
