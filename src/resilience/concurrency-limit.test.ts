import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { ManualClock } from './manual-clock.js';

describe('ConcurrencyLimit', () => {
  it('gives slots at once up to the limit, then none', () => {
    const limit = new ConcurrencyLimit(new ManualClock(), { maxConcurrent: 2, maxQueued: 0 });
    const a = limit.tryAcquire();
    const b = limit.tryAcquire();
    expect(a && b).toBeTypeOf('function');
    expect(limit.tryAcquire()).toBeUndefined();
    expect(limit.active).toBe(2);
    a?.();
    expect(limit.active).toBe(1);
    expect(limit.tryAcquire()).toBeTypeOf('function');
  });

  it('makes releases idempotent', () => {
    const limit = new ConcurrencyLimit(new ManualClock(), { maxConcurrent: 2, maxQueued: 0 });
    const a = limit.tryAcquire();
    limit.tryAcquire();
    a?.();
    a?.();
    expect(limit.active).toBe(1);
    expect(limit.tryAcquire()).toBeTypeOf('function');
    expect(limit.tryAcquire()).toBeUndefined();
  });

  it('hands freed slots to waiters first come, first served, ahead of newcomers', async () => {
    const limit = new ConcurrencyLimit(new ManualClock(), { maxConcurrent: 1, maxQueued: 5 });
    const held = limit.tryAcquire();
    const order: string[] = [];
    const first = limit.acquire(1_000).then((r) => (order.push('first'), r));
    const second = limit.acquire(1_000).then((r) => (order.push('second'), r));
    expect(limit.queued).toBe(2);
    held?.();
    expect(limit.tryAcquire()).toBeUndefined(); // the slot went to the queue
    const r1 = await first;
    expect(r1).toBeTypeOf('function');
    r1?.();
    const r2 = await second;
    expect(r2).toBeTypeOf('function');
    expect(order).toEqual(['first', 'second']);
    r2?.();
    expect(limit.active).toBe(0);
    expect(limit.queued).toBe(0);
  });

  it('refuses at once when the queue is full, or when asked not to wait', async () => {
    const limit = new ConcurrencyLimit(new ManualClock(), { maxConcurrent: 1, maxQueued: 1 });
    limit.tryAcquire();
    const waiting = limit.acquire(1_000);
    expect(await limit.acquire(1_000)).toBeUndefined();
    expect(await limit.acquire(0)).toBeUndefined();
    expect(limit.queued).toBe(1);
    void waiting;
  });

  it('gives up after the timeout and leaves the queue', async () => {
    const clock = new ManualClock();
    const limit = new ConcurrencyLimit(clock, { maxConcurrent: 1, maxQueued: 1 });
    const held = limit.tryAcquire();
    const waiting = limit.acquire(500);
    clock.advance(499);
    expect(limit.queued).toBe(1);
    clock.advance(1);
    expect(await waiting).toBeUndefined();
    expect(limit.queued).toBe(0);
    held?.();
    expect(limit.active).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('gives up when the signal aborts, or at once if it already has', async () => {
    const clock = new ManualClock();
    const limit = new ConcurrencyLimit(clock, { maxConcurrent: 1, maxQueued: 2 });
    limit.tryAcquire();
    const controller = new AbortController();
    const waiting = limit.acquire(10_000, controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
    expect(limit.queued).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(await limit.acquire(10_000, AbortSignal.abort())).toBeUndefined();
  });

  it('clears the timer when a waiter is served', async () => {
    const clock = new ManualClock();
    const limit = new ConcurrencyLimit(clock, { maxConcurrent: 1, maxQueued: 1 });
    const held = limit.tryAcquire();
    const waiting = limit.acquire(10_000);
    held?.();
    expect(await waiting).toBeTypeOf('function');
    expect(clock.pendingTimers()).toBe(0);
  });
});
