/**
 * Issue 11: the gateway's own queue is not the provider's slowness. With a small connection pool,
 * requests beyond it wait inside the gateway; that wait is never counted as the target's first-token
 * time, and a request that gets no connection in time fails as the gateway's own 503, never against
 * the target (its breaker stays closed).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

const CONNECTIONS = 2;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      upstream: { connectionsPerOrigin: CONNECTIONS, queueTimeoutMs: 1_500 },
      breakers: { minimumCalls: 4, slowCallMs: 400, slowCallP95Multiple: 0, consecutiveFailures: 3 },
    },
    routes: {
      // A first-token timeout shorter than the queue wait: a clock started at the attempt would fire.
      queued: { targets: ['primary/model-q'], timeouts: { firstTokenMs: 500 } },
      saturated: {
        targets: ['primary/model-s'],
        timeouts: { firstTokenMs: 400 },
        retry: { maxRetriesPerTarget: 0 },
      },
      holding: { targets: ['primary/model-t'] },
      bounded: {
        targets: ['primary/model-t'],
        timeouts: { attemptMs: 300 },
        retry: { maxRetriesPerTarget: 0 },
      },
      spill: { targets: ['primary/model-s', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } },
    },
  });
  // Each stream: first token after 30 ms, then ~350 ms of tokens, holding its connection throughout.
  h.primary.setBehavior('*', { ttftMs: 30, replyTokens: 8, tokensPerSecond: 20 });
});
afterAll(() => h.close());
afterEach(() => h.gateway.engine.health.reset?.());

async function stream(model: string): Promise<{ status: number; target?: string | null; code?: string }> {
  try {
    const { data, response } = await h.client.chat.completions
      .create({ model, messages: userMessage(), stream: true })
      .withResponse();
    for await (const chunk of data) void chunk;
    return { status: response.status, target: response.headers.get('x-switchyard-target') };
  } catch (error) {
    const e = error as { status: number; code?: string };
    return { status: e.status, ...(e.code ? { code: e.code } : {}) };
  }
}

async function targetState(id: string): Promise<{ state: string; trippedBy?: string } | undefined> {
  const res = await fetch(`${h.gateway.url}/v1/switchyard/status`);
  const status = (await res.json()) as { targets: { id: string; state: string; trippedBy?: string }[] };
  return status.targets.find((t) => t.id === id);
}

describe("the gateway's own connection queue", () => {
  it('requests queued past the first-token timeout wait and succeed; the target is not blamed', async () => {
    // Streams of ~600 ms: the second wave waits that long for a connection, past firstTokenMs (500)
    // and slowCallMs (400), then gets its first token 30 ms after it reached the provider.
    h.primary.setBehavior('model-q', { tokensPerSecond: 12 });
    const results = await Promise.all(Array.from({ length: 2 * CONNECTIONS }, () => stream('queued')));
    expect(results.map((r) => r.status)).toEqual(Array(2 * CONNECTIONS).fill(200));
    expect(h.primary.stats('model-q').requests).toBe(2 * CONNECTIONS);
    expect((await targetState('primary/model-q'))?.state).toBe('closed');
  });

  it('no connection within the wait: the gateway answers its own 503; the provider never sees it', async () => {
    h.primary.setBehavior('model-s', { tokensPerSecond: 4 }); // ~2 s per stream: longer than the wait
    const results = await Promise.all(Array.from({ length: 3 * CONNECTIONS }, () => stream('saturated')));
    const ok = results.filter((r) => r.status === 200);
    const saturated = results.filter((r) => r.status === 503);
    expect(ok).toHaveLength(CONNECTIONS);
    expect(saturated).toHaveLength(2 * CONNECTIONS);
    for (const r of saturated) expect(r.code).toBe('gateway_saturated');
    expect(h.primary.stats('model-s').requests).toBe(CONNECTIONS);
    expect((await targetState('primary/model-s'))?.state).toBe('closed');
    h.primary.setBehavior('model-s', { tokensPerSecond: 20 });
  });

  it('the 503 is OpenAI-shaped with retry-after, and the trace says the gateway was saturated', async () => {
    h.primary.setBehavior('model-s', { tokensPerSecond: 4 });
    const held = Array.from({ length: CONNECTIONS }, () => stream('saturated'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const res = await fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-debug': 'trace' },
      body: JSON.stringify({ model: 'saturated', messages: userMessage(), stream: true }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-switchyard-trace')).toMatch(
      /^primary\/model-s attempt gateway_saturated \d+ms$/,
    );
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'api_error', code: 'gateway_saturated', param: null });
    await Promise.all(held);
    h.primary.setBehavior('model-s', { tokensPerSecond: 20 });
  });

  it('with a fallback on another origin, the excess fails over to it and succeeds', async () => {
    h.primary.setBehavior('model-s', { tokensPerSecond: 4 });
    const results = await Promise.all(Array.from({ length: 2 * CONNECTIONS }, () => stream('spill')));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const targets = results.map((r) => r.target).sort();
    expect(targets.filter((t) => t === 'primary/model-s')).toHaveLength(CONNECTIONS);
    expect(targets.filter((t) => t === 'backup/model-b')).toHaveLength(CONNECTIONS);
    expect((await targetState('primary/model-s'))?.state).toBe('closed');
    h.primary.setBehavior('model-s', { tokensPerSecond: 20 });
  });

  it('an attempt timeout while still queued is not counted against the target', async () => {
    h.primary.setBehavior('model-t', { tokensPerSecond: 4 }); // ~2 s per stream: holds both connections
    const holders = Array.from({ length: CONNECTIONS }, () => stream('holding'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const queued = await Promise.all(Array.from({ length: 2 * CONNECTIONS }, () => stream('bounded')));
    for (const r of queued) expect(r).toMatchObject({ status: 504 });
    // If the queued attempts' timeouts counted, consecutiveFailures (3) would have opened the breaker.
    expect((await targetState('primary/model-t'))?.state).toBe('closed');
    expect((await Promise.all(holders)).map((r) => r.status)).toEqual(Array(CONNECTIONS).fill(200));
    expect(h.primary.stats('model-t').requests).toBe(CONNECTIONS);
  });
});
