import { describe, expect, it } from 'vitest';
import { MemoryCounters } from './counters.js';

describe('MemoryCounters', () => {
  it('admits up to the limit in a window, refuses past it, and starts again in the next window', async () => {
    let now = 60_000 * 10 + 5_000;
    const c = new MemoryCounters(() => now);
    expect(await c.take('k', 2, 3, 60_000)).toEqual({ allowed: true, total: 2, resetMs: 55_000 });
    expect(await c.take('k', 2, 3, 60_000)).toEqual({ allowed: false, total: 2, resetMs: 55_000 });
    expect(await c.take('k', 1, 3, 60_000)).toEqual({ allowed: true, total: 3, resetMs: 55_000 });
    now += 55_000;
    expect(await c.take('k', 2, 3, 60_000)).toEqual({ allowed: true, total: 2, resetMs: 60_000 });
  });

  it('add settles an estimate (also downwards) and peek reads; keys and window sizes are apart', async () => {
    const c = new MemoryCounters(() => 1_000);
    await c.take('tokens', 100, 1_000, 60_000);
    expect(await c.add('tokens', -40, 60_000)).toBe(60);
    expect(await c.peek('tokens', 60_000)).toBe(60);
    expect(await c.peek('tokens', 86_400_000)).toBe(0);
    expect(await c.peek('other', 60_000)).toBe(0);
  });
});
