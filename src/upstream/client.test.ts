/** The connection slots of UpstreamClient against the simulator on loopback: freed on every path. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { UpstreamCancel, UpstreamClient, UpstreamError } from './client.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ defaultBehavior: { replyTokens: 3 } });
});
afterAll(() => sim.close());

const chat = (url: string, stream = false) => ({
  method: 'POST' as const,
  url: `${url}/v1/chat/completions`,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream }),
});

const options = (signal = new UpstreamCancel(), onDispatch?: () => void) => ({
  signal,
  headersTimeoutMs: 5_000,
  connectTimeoutMs: 1_000,
  ...(onDispatch ? { onDispatch } : {}),
});

async function failureOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('UpstreamClient connection slots', () => {
  it('frees the slot when the body is read, destroyed or the request fails', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1, queueTimeoutMs: 200 });
    for (let i = 0; i < 3; i++) {
      const res = await client.send(chat(sim.url), options());
      expect(res.status).toBe(200);
      await res.body.text(1 << 20);
    }
    const streamed = await client.send(chat(sim.url, true), options());
    streamed.body.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await failureOf(client.send(chat('http://127.0.0.1:1'), options()));
    expect(refused.failure.reason).toBe('connect_error');
    const iterated = await client.send(chat(sim.url, true), options());
    await iterated.body.stream(() => false);
    const after = await client.send(chat(sim.url), options());
    await after.body.text(1 << 20);
    await expect.poll(() => client.usage().every((u) => u.active === 0 && u.queued === 0)).toBe(true);
    await client.close();
  });

  it('queues past the connections, dispatches when one frees, and fails as gateway_saturated after the wait', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1, queueTimeoutMs: 150 });
    sim.setBehavior('*', { ttftMs: 400 });
    const dispatched: number[] = [];
    const first = client.send(
      chat(sim.url, true),
      options(undefined, () => dispatched.push(1)),
    );
    const second = client.send(
      chat(sim.url, true),
      options(undefined, () => dispatched.push(2)),
    );
    const saturated = await failureOf(second);
    expect(saturated.failure).toMatchObject({
      reason: 'gateway_saturated',
      status: 503,
      breaker: false,
      class: 'failover',
    });
    expect(dispatched).toEqual([1]);
    await (await first).body.text(1 << 20);
    sim.setBehavior('*', { ttftMs: 0 });
    await client.close();
  });

  it('a request cancelled while queued leaves the queue as aborted, not saturated', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1, queueTimeoutMs: 5_000 });
    sim.setBehavior('*', { ttftMs: 300 });
    const first = await client.send(chat(sim.url, true), options());
    const cancel = new UpstreamCancel();
    const queued = client.send(chat(sim.url, true), options(cancel));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.usage()[0]).toMatchObject({ active: 1, queued: 1 });
    cancel.cancel();
    const aborted = await failureOf(queued);
    expect(aborted.failure).toMatchObject({ reason: 'aborted', breaker: false });
    await first.body.text(1 << 20);
    await expect.poll(() => client.usage()[0]).toMatchObject({ active: 0, queued: 0 });
    sim.setBehavior('*', { ttftMs: 0 });
    await client.close();
  });
});
