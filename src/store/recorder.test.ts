import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, type GatewayEvents } from '../core/events.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { StoreRecorder, type RecorderOptions } from './recorder.js';
import type { RequestStore, StoredRequest } from './types.js';

/** An in-memory store that fails while `failing` is set, and remembers each batch it was given. */
class FakeStore implements RequestStore {
  readonly driver = 'sqlite';
  batches: StoredRequest[][] = [];
  pruned: { before: number; maxRows: number }[] = [];
  failing = false;
  closed = false;
  insert(batch: readonly StoredRequest[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk full'));
    this.batches.push([...batch]);
    return Promise.resolve();
  }
  recent(): Promise<StoredRequest[]> {
    return Promise.resolve(this.batches.flat());
  }
  get(requestId: string): Promise<StoredRequest | undefined> {
    return Promise.resolve(this.batches.flat().find((r) => r.requestId === requestId));
  }
  stats(): Promise<never[]> {
    return Promise.resolve([]);
  }
  prune(limits: { before: number; maxRows: number }): Promise<number> {
    this.pruned.push(limits);
    return Promise.resolve(0);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  get written(): string[] {
    return this.batches.flat().map((r) => r.requestId);
  }
}

const ended = (n: number): GatewayEvents['request.ended'] => ({
  requestId: `r${n}`,
  route: 'm',
  key: 'team-a',
  endpoint: 'chat',
  stream: false,
  status: 200,
  outcome: 'ok',
  target: 'p/a',
  provider: 'p',
  model: 'a',
  attempts: 1,
  totalMs: 12,
  trace: [{ target: 'p/a', action: 'attempt', result: 'ok', ms: 12 }],
});

/** Lets the store's promises settle (they resolve in microtasks, after the timer that started them). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let recorders: StoreRecorder[] = [];
afterEach(async () => {
  for (const r of recorders) await r.close();
  recorders = [];
});

function setup(over: Partial<RecorderOptions> = {}, store = new FakeStore()) {
  const clock = new ManualClock();
  const events = new EventBus();
  const logs: string[] = [];
  const recorder = new StoreRecorder({
    open: () => Promise.resolve(store),
    events,
    clock,
    wallNow: () => 1_000_000 + clock.now(),
    random: () => 0.5,
    batch: { maxSize: 3, flushIntervalMs: 1_000, maxQueued: 5 },
    retention: { maxAgeMs: 60_000, maxRows: 100, pruneIntervalMs: 30_000 },
    log: (line) => logs.push(line),
    ...over,
  });
  recorders.push(recorder);
  const publish = (...ns: number[]): void => ns.forEach((n) => events.publish('request.ended', ended(n)));
  /** Advances the clock, then runs what became due meanwhile (a step's follow-up is scheduled at 0 ms). */
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await settle();
    for (let i = 0; i < 20 && clock.nextTimerIn() === 0; i++) {
      clock.advance(0);
      await settle();
    }
  };
  return { clock, events, store, recorder, logs, publish, step };
}

/** A store whose writes wait until released: a write still in flight when a timer's turn comes. */
class SlowStore extends FakeStore {
  private waiting: (() => void)[] = [];
  override insert(batch: readonly StoredRequest[]): Promise<void> {
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => super.insert(batch));
  }
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}

describe('StoreRecorder', () => {
  it('a flush and the interval never write the same batch twice', async () => {
    const store = new SlowStore();
    const { publish, step, recorder } = setup({}, store);
    await step(0);
    publish(1, 2);
    const flushed = recorder.flush();
    await settle();
    // The interval comes while the flush's write is still in flight.
    await step(1_000);
    store.release();
    await settle();
    store.release();
    expect(await flushed).toBe(true);
    await step(1_000);
    store.release();
    await settle();
    expect(store.written).toEqual(['r1', 'r2']);
  });

  it('does nothing in the listener; writes a full batch on the next turn, the rest on the interval', async () => {
    const { store, publish, step } = setup();
    await step(0); // opens the store and prunes once
    publish(1, 2);
    expect(store.batches).toEqual([]);
    await step(999);
    expect(store.batches).toEqual([]);
    publish(3, 4);
    expect(store.batches).toEqual([]); // the listener never writes
    await step(0);
    expect(store.batches.map((b) => b.length)).toEqual([3]);
    await step(999);
    expect(store.batches.map((b) => b.length)).toEqual([3]);
    await step(1);
    expect(store.batches.map((b) => b.length)).toEqual([3, 1]);
    expect(store.written).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  it('builds the record from the event: key name, trace, times; nothing else', async () => {
    const { store, publish, step } = setup();
    await step(0);
    await step(5);
    publish(7);
    await step(1_000);
    const [record] = store.batches.flat();
    expect(record).toEqual({
      time: 1_000_005,
      requestId: 'r7',
      route: 'm',
      key: 'team-a',
      endpoint: 'chat',
      stream: false,
      status: 200,
      outcome: 'ok',
      target: 'p/a',
      provider: 'p',
      model: 'a',
      attempts: 1,
      totalMs: 12,
      trace: [{ target: 'p/a', action: 'attempt', result: 'ok', ms: 12 }],
    });
  });

  it('scrubs, clips and cleans the text that may come from upstream (outcome, reasons, trace results)', async () => {
    const { store, events, step } = setup({ scrub: (t) => t.replaceAll('sk-secret', '[redacted]') });
    await step(0);
    events.publish('request.ended', {
      ...ended(1),
      status: 400,
      outcome: `sk-secret${'x'.repeat(1_000)}`,
      fallbackReason: 'p/a: sk-secret',
      warnings: ['sk-secret dropped'],
      trace: [{ target: 'p/a', action: 'attempt', result: 'code sk-secret\u0000\n', ms: 1 }],
    });
    await step(1_000);
    const [record] = store.batches.flat();
    expect(record!.outcome).toBe(`[redacted]${'x'.repeat(191)}`);
    expect(record!.fallbackReason).toBe('p/a: [redacted]');
    expect(record!.warnings).toEqual(['[redacted] dropped']);
    expect(record!.trace).toEqual([{ target: 'p/a', action: 'attempt', result: 'code [redacted]??', ms: 1 }]);
  });

  it("stores a routing policy's rank entries as traced (its own words, not scrubbed)", async () => {
    const { store, events, step } = setup({ scrub: () => 'scrubbed' });
    await step(0);
    const rank = { target: 'p/a', action: 'rank', result: 'least-latency:latency*load=12.5' } as const;
    events.publish('request.ended', { ...ended(1), trace: [rank, ...ended(1).trace] });
    await step(1_000);
    const [record] = store.batches.flat();
    expect(record!.trace).toEqual([rank, { target: 'p/a', action: 'attempt', result: 'scrubbed', ms: 12 }]);
  });

  it('keeps a bounded queue while the store fails, counts and logs what it drops, retries with backoff', async () => {
    const { store, recorder, publish, step, logs } = setup();
    await step(0);
    store.failing = true;
    publish(1, 2, 3, 4, 5, 6, 7);
    expect(recorder.queued).toBe(5);
    expect(recorder.counters.dropped).toBe(2);
    expect(logs.filter((l) => l.includes('queue is full'))).toHaveLength(1);
    await step(0);
    expect(recorder.counters.failures).toBe(1);
    expect(logs.some((l) => l.includes('writing 3 records failed') && l.includes('disk full'))).toBe(true);
    // random 0.5: the first retry waits 250 ms (floored at 50), the second 500 ms; checked on the 1 s turns.
    await step(1_000);
    expect(recorder.counters.failures).toBe(2);
    store.failing = false;
    await step(1_000);
    await step(1_000);
    expect(store.written).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(recorder.counters).toEqual({ written: 5, dropped: 2, failures: 2 });
    expect(logs).toContain('switchyard: request store: writing again');
    expect(logs).toContain('switchyard: request store: dropped 2 records (2 in all)');
  });

  it('retries a failed batch as it was (same records, same id) though more arrived; then new ids', async () => {
    class IdStore extends FakeStore {
      calls: { id: string | undefined; ids: string[] }[] = [];
      override insert(batch: readonly StoredRequest[], batchId?: string): Promise<void> {
        this.calls.push({ id: batchId, ids: batch.map((r) => r.requestId) });
        return super.insert(batch);
      }
    }
    const store = new IdStore();
    const { recorder, publish, step } = setup({}, store);
    await step(0);
    store.failing = true;
    publish(1, 2);
    await step(1_000);
    publish(3, 4);
    await step(1_000);
    store.failing = false;
    await step(1_000);
    await step(1_000);
    expect(store.written).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(recorder.status()).toMatchObject({ queued: 0, written: 4, failingSince: null });
    const [first, retry, next] = [store.calls[0]!, store.calls.at(-2)!, store.calls.at(-1)!];
    expect(first.ids).toEqual(['r1', 'r2']);
    expect(retry).toEqual(first);
    expect(next.ids).toEqual(['r3', 'r4']);
    expect(next.id).toBeDefined();
    expect(next.id).not.toBe(first.id);
  });

  it('retries opening a store that cannot be reached, keeping what arrives meanwhile', async () => {
    let opens = 0;
    const store = new FakeStore();
    const { publish, step, recorder } = setup({
      open: () => (++opens < 3 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(store)),
    });
    publish(1);
    await step(0);
    expect(recorder.store).toBeUndefined();
    await step(1_000);
    expect(opens).toBe(2);
    await step(1_000);
    await step(1_000);
    expect(opens).toBe(3);
    expect(store.written).toEqual(['r1']);
  });

  it('prunes on its interval with the configured age and row bounds', async () => {
    const { store, step } = setup();
    await step(0);
    expect(store.pruned).toEqual([{ before: 1_000_000 - 60_000, maxRows: 100 }]);
    await step(30_000);
    expect(store.pruned).toHaveLength(2);
    expect(store.pruned[1]).toEqual({ before: 1_030_000 - 60_000, maxRows: 100 });
  });

  it('close() writes what is queued, then closes the store; nothing is left scheduled', async () => {
    const { store, recorder, publish, step, clock, events } = setup();
    await step(0);
    publish(1, 2, 3, 4);
    await recorder.close();
    expect(store.written).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(store.closed).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    expect(events.wants('request.ended')).toBe(false);
  });

  it('close() before anything happened opens no store (a gateway that failed to start)', async () => {
    let opens = 0;
    const { recorder } = setup({ open: () => (++opens, Promise.resolve(new FakeStore())) });
    await recorder.close();
    expect(opens).toBe(0);
  });

  it('close() with a failing store counts the unwritten records as dropped, and says so', async () => {
    const { store, recorder, publish, step, logs } = setup();
    await step(0);
    store.failing = true;
    publish(1, 2);
    await recorder.close();
    expect(recorder.counters.dropped).toBe(2);
    expect(logs.some((l) => l.includes('failed while the gateway closed'))).toBe(true);
    expect(logs).toContain('switchyard: request store: dropped 2 records in all');
  });
});
