/** Issue 4: failover over real sockets, with the simulator's faults and the openai SDK as the client. */
import OpenAI, { APIError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'], timeouts: { firstTokenMs: 400, stallMs: 400 } },
      solo: { targets: ['primary/model-a'] },
    },
  });
});
afterAll(() => h.close());
afterEach(async () => {
  h.primary.reset();
  h.backup.reset();
  // Each test starts with healthy targets: a fresh gateway would be slower; forgetting state is enough.
  h.gateway.engine.health.reset?.();
});

async function collect(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) for (const c of chunk.choices) text += c.delta.content ?? '';
  return text;
}

const fail = (fault: object): void => h.primary.setBehavior('model-a', { fault: fault as never });

describe('before the first token, failures fail over invisibly', () => {
  it('primary 503 → answered by the fallback, and the headers say why', async () => {
    fail({ kind: 'status', status: 503 });
    const { data, response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(response.headers.get('x-switchyard-fallback-reason')).toBe('primary/model-a: upstream_503');
    // One retry on the primary (503 is retryable), then the fallback.
    expect(h.primary.stats('model-a').requests).toBe(2);
    expect(response.headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('streamed: primary 503 → the fallback streams, the client sees one clean stream', async () => {
    fail({ kind: 'status', status: 503 });
    const text = await collect(
      await h.client.chat.completions.create({ model: 'm', messages: userMessage(), stream: true }),
    );
    expect(text.length).toBeGreaterThan(0);
    expect(h.backup.stats().requests).toBe(1);
  });

  it('429 with a short retry-after → retried on the same target after the hinted delay', async () => {
    h.primary.schedule('model-a', [
      { durationMs: 150, fault: { kind: 'status', status: 429, retryAfterMs: 200 } },
    ]);
    const started = performance.now();
    const { response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('primary/model-a');
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(h.primary.stats('model-a').requests).toBe(2);
    expect(h.backup.stats().requests).toBe(0);
  });

  it('429 with a long retry-after → fails over at once and keeps the target out until then', async () => {
    fail({ kind: 'status', status: 429, retryAfterSeconds: 30 });
    const { response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(h.primary.stats('model-a').requests).toBe(1);
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    expect(h.primary.stats('model-a').requests).toBe(1);
  });

  it('insufficient_quota fails over without a retry and cools the target', async () => {
    fail({ kind: 'status', status: 429, code: 'insufficient_quota' });
    const { response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(response.headers.get('x-switchyard-fallback-reason')).toBe('primary/model-a: upstream_quota');
    expect(h.primary.stats('model-a').requests).toBe(1);
  });

  it('an in-stream error before the first token → fallback', async () => {
    fail({ kind: 'error-event', afterChunks: 0 });
    const text = await collect(
      await h.client.chat.completions.create({ model: 'm', messages: userMessage(), stream: true }),
    );
    expect(text.length).toBeGreaterThan(0);
    expect(h.backup.stats().requests).toBe(1);
  });

  it('a stream cut before the first token → fallback', async () => {
    fail({ kind: 'cut', afterChunks: 0 });
    const text = await collect(
      await h.client.chat.completions.create({ model: 'm', messages: userMessage(), stream: true }),
    );
    expect(text.length).toBeGreaterThan(0);
  });

  it('a slow first token → fallback within the first-token timeout, and the slow call is cancelled', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 5_000 });
    const started = performance.now();
    const stream = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage(), stream: true })
      .withResponse();
    await collect(stream.data);
    expect(stream.response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(performance.now() - started).toBeLessThan(2_500);
    await expect.poll(() => h.primary.stats('model-a').cancelled).toBeGreaterThanOrEqual(1);
  });

  it('keep-alive comments do not count as a first token', async () => {
    fail({ kind: 'keepalive', intervalMs: 50 });
    const stream = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage(), stream: true })
      .withResponse();
    await collect(stream.data);
    expect(stream.response.headers.get('x-switchyard-target')).toBe('backup/model-b');
  });

  it('a connection reset → retry, then fallback', async () => {
    fail({ kind: 'reset' });
    const { response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
  });

  it('a non-streaming body cut mid-JSON is a failure, not a 200', async () => {
    fail({ kind: 'cut', afterChunks: 0 });
    const { data, response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(data.choices[0]!.message.content).toBeTruthy();
  });
});

describe('after the first token, failures are reported, never hidden', () => {
  it('a stall mid-stream ends the stream with an error event and no [DONE]', async () => {
    h.primary.setBehavior('model-a', { tokensPerSecond: 100, fault: { kind: 'stall', afterChunks: 3 } });
    const stream = await h.client.chat.completions.create({
      model: 'solo',
      messages: userMessage(),
      stream: true,
    });
    await expect(collect(stream)).rejects.toThrow(/stalled/);
  });

  it('a cut mid-stream is never a clean end', async () => {
    h.primary.setBehavior('model-a', { tokensPerSecond: 100, fault: { kind: 'cut', afterChunks: 3 } });
    const stream = await h.client.chat.completions.create({
      model: 'm',
      messages: userMessage(),
      stream: true,
    });
    await expect(collect(stream)).rejects.toThrow(/closed the stream|connection failed/);
    expect(h.backup.stats().requests).toBe(0);
  });
});

describe('when nothing works', () => {
  it('all targets down → one clear 503 listing the reasons, and SDKs are told not to retry', async () => {
    fail({ kind: 'status', status: 503 });
    h.backup.setBehavior('model-b', { fault: { kind: 'status', status: 500 } });
    const err = (await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(503);
    expect(err.message).toContain('primary/model-a: upstream_503');
    expect(err.message).toContain('backup/model-b: upstream_500');
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(h.primary.stats('model-a').requests + h.backup.stats('model-b').requests).toBe(3);
  });

  it('the client deadline header bounds every attempt and wait', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'hang' } });
    const started = performance.now();
    const err = (await h.client.chat.completions
      .create({ model: 'solo', messages: userMessage() }, { headers: { 'x-switchyard-timeout-ms': '300' } })
      .catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1_500);
    await expect.poll(() => h.primary.stats('model-a').inFlight).toBe(0);
  });
});
