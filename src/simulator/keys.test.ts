import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './index.js';

const A = 'sk-key-a-0000000001';
const B = 'sk-key-b-0000000002';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: A, apiKeys: [B] });
});
afterAll(() => sim.close());

async function statusWith(key: string): Promise<number> {
  const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: key, maxRetries: 0 });
  try {
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    return 200;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

describe('simulator: several keys, faults per key', () => {
  it('accepts every configured key and rejects others with the real 401', async () => {
    expect(await statusWith(A)).toBe(200);
    expect(await statusWith(B)).toBe(200);
    expect(await statusWith('sk-other-key-0003')).toBe(401);
  });

  it('a key fault applies only to requests made with that key, and counts per key', async () => {
    sim.setKeyFault(A, { kind: 'status', status: 429, code: 'insufficient_quota' });
    const before = { a: sim.keyRequests(A), b: sim.keyRequests(B) };
    expect(await statusWith(A)).toBe(429);
    expect(await statusWith(B)).toBe(200);
    expect(sim.keyRequests(A)).toBe(before.a + 1);
    expect(sim.keyRequests(B)).toBe(before.b + 1);
    sim.setKeyFault(A, null);
    expect(await statusWith(A)).toBe(200);
  });

  it('POST /_sim/key-fault sets and lifts a key fault; reset clears them', async () => {
    const post = async (body: unknown) =>
      (
        await request(`${sim.url}/_sim/key-fault`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).statusCode;
    expect(await post({ key: B, fault: { kind: 'status', status: 503 } })).toBe(200);
    expect(await statusWith(B)).toBe(503);
    expect(await post({ key: B, fault: { kind: 'nonsense' } })).toBe(400);
    sim.reset();
    expect(await statusWith(B)).toBe(200);
    expect(await post({ key: B, fault: null })).toBe(200);
  });
});
