/** The `echo-key` fault: the key the request carried comes back in every field of the error. */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './index.js';

const KEY = 'sk-proj-Echo1Key2For3The4Simulator5';
let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: KEY, maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

async function post(path: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('echo-key', () => {
  it('json: OpenAI message, type, code and param carry the key', async () => {
    sim.setBehavior('*', { fault: { kind: 'echo-key', form: 'json', status: 400 } });
    const error = (await client.chat.completions
      .create({ model: 'gpt-4o', messages })
      .catch((e: unknown) => e)) as APIError;
    expect(error.status).toBe(400);
    expect(error.message).toContain(`Incorrect API key provided: ${KEY}`);
    expect(error.message).toContain(`${KEY.slice(0, 4)}...${KEY.slice(-4)}`);
    expect([error.type, error.code, error.param]).toEqual([KEY, KEY, KEY]);
    expect(sim.stats().outcomes['echo-key']).toBe(1);
  });

  it('text: a plain-text body with the key at character 490 (or `at`)', async () => {
    sim.setBehavior('*', { fault: { kind: 'echo-key', form: 'text', status: 502 } });
    const res = await post(
      '/v1/chat/completions',
      { authorization: `Bearer ${KEY}` },
      { model: 'm', messages },
    );
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text.indexOf(KEY)).toBe(490);
    sim.setBehavior('*', { fault: { kind: 'echo-key', form: 'text', at: 10 } });
    const other = await post(
      '/v1/chat/completions',
      { authorization: `Bearer ${KEY}` },
      { model: 'm', messages },
    );
    expect((await other.text()).indexOf(KEY)).toBe(10);
  });

  it('event: the in-stream error event after N chunks carries the key', async () => {
    sim.setBehavior('*', { fault: { kind: 'echo-key', form: 'event', afterChunks: 2 } });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().catch((e: unknown) => e);
    expect(chunks).toHaveLength(2);
    expect((error as APIError).message).toContain(KEY);
  });

  it('reads the key from the Anthropic and Gemini headers, and spells their error shapes', async () => {
    sim.setBehavior('*', { fault: { kind: 'echo-key', form: 'json', status: 400 } });
    const anthropic = await post(
      '/v1/messages',
      { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      { model: 'claude-sonnet-4-5', max_tokens: 10, messages },
    );
    const a = (await anthropic.json()) as { error: { type: string; message: string; details: object } };
    expect(a.error.type).toBe(KEY);
    expect(a.error.message).toContain(KEY);
    expect(a.error.details).toEqual({ error_code: KEY });
    const gemini = await post(
      '/v1beta/models/gemini-2.5-flash:generateContent',
      { 'x-goog-api-key': KEY },
      { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
    );
    const g = (await gemini.json()) as {
      error: { status: string; message: string; details: { reason: string }[] };
    };
    expect(gemini.status).toBe(400);
    expect([g.error.status, g.error.details[0]!.reason]).toEqual([KEY, KEY]);
    expect(g.error.message).toContain(KEY);
  });
});
