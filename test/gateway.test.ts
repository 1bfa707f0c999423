/** Issue 2: the OpenAI-compatible surface, through the official SDK, over real sockets. */
import OpenAI, { APIError } from 'openai';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKUP_KEY, PRIMARY_KEY, raw, startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { server: { port: 0, bodyLimitBytes: 64 * 1024 } } });
});
afterAll(() => h.close());

describe('chat completions through the openai SDK', () => {
  it('answers a plain request with the public model name and says which target served it', async () => {
    const { data, response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('m');
    expect(data.choices[0]!.message.role).toBe('assistant');
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(response.headers.get('x-switchyard-target')).toBe('primary/model-a');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('streams deltas, one finish_reason, and the usage chunk when asked', async () => {
    const stream = await h.client.chat.completions.create({
      model: 'm',
      messages: userMessage(),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.model).toBe('m');
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        if (c.finish_reason) finishes.push(c.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text.length).toBeGreaterThan(0);
    expect(finishes).toEqual(['stop']);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('sends no usage chunk when the client did not ask', async () => {
    const stream = await h.client.chat.completions.create({
      model: 'm',
      messages: userMessage(),
      stream: true,
    });
    for await (const chunk of stream) expect(chunk.usage ?? undefined).toBeUndefined();
  });

  it('relays tool calls whose arguments parse as JSON, streamed and not', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const plain = await h.client.chat.completions.create({
      model: 'm',
      messages: userMessage('Weather in Paris?'),
      tools,
    });
    const call = plain.choices[0]!.message.tool_calls![0]!;
    expect(plain.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toHaveProperty('city');

    const stream = h.client.chat.completions.stream({ model: 'm', messages: userMessage('Weather?'), tools });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(streamed.type === 'function' && JSON.parse(streamed.function.arguments)).toHaveProperty('city');
    expect(streamed.id).toBeTruthy();
  });

  it('lists the public model names', async () => {
    const models = await h.client.models.list();
    expect(models.data.map((m) => m.id).sort()).toEqual(['m', 'solo']);
  });
});

describe('errors in OpenAI shape', () => {
  const url = (): string => `${h.gateway.url}/v1/chat/completions`;
  const shape = (body: unknown): void => {
    const { error } = body as { error: Record<string, unknown> };
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(typeof error.message).toBe('string');
    expect(typeof error.type).toBe('string');
  };

  it('400 for malformed JSON', async () => {
    const res = await raw(url(), { body: '{"model": "m", "messages": [' });
    expect(res.status).toBe(400);
    shape(res.json());
  });

  it('400 naming a missing or invalid field', async () => {
    await expect(h.client.chat.completions.create({ model: 'm' } as never)).rejects.toMatchObject({
      status: 400,
      param: 'messages',
    });
    await expect(
      h.client.chat.completions.create({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] } as never),
    ).rejects.toMatchObject({ status: 400, param: 'messages[0].role' });
    await expect(
      h.client.chat.completions.create({ model: 'm', messages: userMessage(), temperature: 7 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature' });
  });

  it('404 for an unknown model', async () => {
    await expect(
      h.client.chat.completions.create({ model: 'nope', messages: userMessage() }),
    ).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });

  it('413 for a body over the limit', async () => {
    const res = await raw(url(), {
      body: JSON.stringify({ model: 'm', messages: userMessage('x'.repeat(70 * 1024)) }),
    });
    expect(res.status).toBe(413);
    shape(res.json());
  });

  it('405 for a wrong method and 404 for an unknown path', async () => {
    const wrong = await raw(url(), { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
    shape(wrong.json());
    const unknown = await raw(`${h.gateway.url}/v1/nothing-here`, { method: 'GET' });
    expect(unknown.status).toBe(404);
    shape(unknown.json());
  });

  it('passes an upstream 400 through with its status and message, without retrying', async () => {
    h.primary.setBehavior('model-a', {
      fault: { kind: 'status', status: 400, message: 'Invalid value for top_logprobs.' },
    });
    const before = h.primary.stats('model-a').requests;
    try {
      const err = await h.client.chat.completions
        .create({ model: 'm', messages: userMessage() })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).status).toBe(400);
      expect((err as APIError).message).toContain('Invalid value for top_logprobs.');
      expect((err as APIError).headers?.get('x-should-retry')).toBe('false');
      expect(h.primary.stats('model-a').requests - before).toBe(1);
      expect(h.backup.stats().requests).toBe(0);
    } finally {
      h.primary.setBehavior('model-a', { fault: null });
    }
  });
});

describe('gateway keys', () => {
  it('401 without a valid key once keys are configured; the key scopes models', async () => {
    const k = await startHarness({
      config: { keys: [{ name: 'app', key: 'sy-app-key-0001', models: ['solo'] }], server: { port: 0 } },
      apiKey: 'sy-app-key-0001',
    });
    try {
      const wrong = new OpenAI({ baseURL: `${k.gateway.url}/v1`, apiKey: 'sy-wrong-key', maxRetries: 0 });
      await expect(
        wrong.chat.completions.create({ model: 'solo', messages: userMessage() }),
      ).rejects.toMatchObject({ status: 401 });
      const missing = await raw(`${k.gateway.url}/v1/chat/completions`, { body: '{}' });
      expect(missing.status).toBe(401);
      const ok = await k.client.chat.completions.create({ model: 'solo', messages: userMessage() });
      expect(ok.choices[0]!.message.content).toBeTruthy();
      await expect(
        k.client.chat.completions.create({ model: 'm', messages: userMessage() }),
      ).rejects.toMatchObject({ status: 403 });
      expect((await k.client.models.list()).data.map((m) => m.id)).toEqual(['solo']);
    } finally {
      await k.close();
    }
  });
});

describe('provider secrets', () => {
  it('never reach the client, even when the upstream echoes them', async () => {
    const s = await startHarness({ primary: { apiKey: 'sk-the-real-key-is-different-9999' } });
    try {
      const err = (await s.client.chat.completions
        .create({ model: 'solo', messages: userMessage() })
        .catch((e: unknown) => e)) as APIError;
      expect(err.status).toBe(502);
      const everything =
        JSON.stringify(err.error) + err.message + JSON.stringify([...err.headers!.entries()]);
      expect(everything).not.toContain(PRIMARY_KEY);
      expect(everything).not.toContain(PRIMARY_KEY.slice(-4));
      expect(everything).not.toContain(BACKUP_KEY);
    } finally {
      await s.close();
    }
  });
});

describe('client disconnect', () => {
  it('a client that leaves mid-body is neither an internal error nor sent upstream', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const before = h.primary.stats().requests;
      const { port } = new URL(h.gateway.url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
          'content-length: 1000\r\n\r\n{"model":"m","mess',
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(errors).not.toHaveBeenCalled();
      expect(h.primary.stats().requests).toBe(before);
      await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    } finally {
      errors.mockRestore();
    }
  });

  it('cancels the upstream call of a non-streaming request', async () => {
    h.primary.setBehavior('model-a', { latencyMs: 2_000 });
    try {
      const controller = new AbortController();
      const cancelledBefore = h.primary.stats('model-a').cancelled;
      const request = h.client.chat.completions.create(
        { model: 'm', messages: userMessage() },
        { signal: controller.signal, maxRetries: 0 },
      );
      await expect.poll(() => h.primary.stats('model-a').inFlight, { timeout: 2000 }).toBe(1);
      controller.abort();
      await expect(request).rejects.toThrow();
      await expect
        .poll(() => h.primary.stats('model-a').cancelled, { timeout: 2000 })
        .toBe(cancelledBefore + 1);
      expect(h.primary.stats('model-a').inFlight).toBe(0);
    } finally {
      h.primary.setBehavior('model-a', { latencyMs: 0 });
    }
  });

  it('cancels the upstream call', async () => {
    h.primary.setBehavior('model-a', { tokensPerSecond: 20, replyTokens: 200 });
    try {
      const controller = new AbortController();
      const stream = await h.client.chat.completions.create(
        { model: 'm', messages: userMessage(), stream: true },
        { signal: controller.signal },
      );
      const cancelledBefore = h.primary.stats('model-a').cancelled;
      for await (const _chunk of stream) {
        controller.abort();
        break;
      }
      await expect
        .poll(() => h.primary.stats('model-a').cancelled, { timeout: 2000 })
        .toBe(cancelledBefore + 1);
      expect(h.primary.stats('model-a').inFlight).toBe(0);
    } finally {
      h.primary.setBehavior('model-a', { tokensPerSecond: 0, replyTokens: 12 });
    }
  });
});

describe('embeddings', () => {
  it('routes /v1/embeddings like chat, with failover', async () => {
    const one = await h.client.embeddings.create({ model: 'm', input: 'hello' });
    expect(one.data).toHaveLength(1);
    expect(one.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(one.model).toBe('m');
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    try {
      const { data, response } = await h.client.embeddings
        .create({ model: 'm', input: ['a', 'b'], encoding_format: 'float' })
        .withResponse();
      expect(data.data).toHaveLength(2);
      expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    } finally {
      h.primary.setBehavior('model-a', { fault: null });
    }
  });

  it('400 naming a bad input', async () => {
    await expect(h.client.embeddings.create({ model: 'm', input: '' })).rejects.toMatchObject({
      status: 400,
      param: 'input',
    });
  });
});

describe('the request id', () => {
  it('is echoed on every kind of response: JSON, stream, errors, the status page, a probe', async () => {
    const base = h.gateway.url;
    const chat = JSON.stringify({ model: 'm', messages: userMessage() });
    const stream = JSON.stringify({ model: 'm', messages: userMessage(), stream: true });
    const cases = [
      { url: `${base}/v1/chat/completions`, init: { body: chat }, status: 200 },
      { url: `${base}/v1/chat/completions`, init: { body: stream }, status: 200 },
      { url: `${base}/v1/chat/completions`, init: { body: '{"model":' }, status: 400 },
      {
        url: `${base}/v1/chat/completions`,
        init: { body: JSON.stringify({ model: 'nope', messages: userMessage() }) },
        status: 404,
      },
      { url: `${base}/v1/nowhere`, init: { method: 'GET' as const }, status: 404 },
      { url: `${base}/v1/chat/completions`, init: { method: 'GET' as const }, status: 405 },
      { url: `${base}/healthz`, init: { method: 'GET' as const }, status: 200 },
      { url: `${base}/status`, init: { method: 'GET' as const }, status: 200 },
    ];
    for (const { url, init, status } of cases) {
      const mine = await raw(url, { ...init, headers: { 'x-request-id': 'client-id-42' } });
      expect(mine.status, url).toBe(status);
      expect(mine.headers['x-request-id'], `${url} ${init.body ?? ''}`).toBe('client-id-42');
      const made = await raw(url, init);
      expect(made.headers['x-request-id'], url).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    }
  });
});
