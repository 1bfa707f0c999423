/** Every fault, observed through the official `openai` SDK (and raw fetch where the SDK hides bytes). */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Fault, type Simulator } from './index.js';

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ defaultBehavior: { replyTokens: 6 } });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'k', maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

function withFault(fault: Fault): void {
  sim.setBehavior('*', { fault });
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

async function collect(stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>): Promise<{
  chunks: OpenAI.Chat.ChatCompletionChunk[];
  error?: unknown;
}> {
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

describe('status faults', () => {
  it('429 rate_limit_exceeded with retry-after, retry-after-ms and x-ratelimit headers', async () => {
    withFault({ kind: 'status', status: 429, retryAfterSeconds: 2, retryAfterMs: 1500, limit: 'tokens' });
    const error = await failure(client.chat.completions.create({ model: 'gpt-4o', messages }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const e = error as APIError;
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('tokens');
    expect(e.message).toContain('Rate limit reached for gpt-4o');
    expect(e.headers?.get('retry-after')).toBe('2');
    expect(e.headers?.get('retry-after-ms')).toBe('1500');
    expect(e.headers?.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(e.headers?.get('x-ratelimit-reset-tokens')).toBe('1.5s');
    expect(sim.stats().outcomes.status).toBe(1);
  });

  it('429 insufficient_quota', async () => {
    withFault({ kind: 'status', status: 429, code: 'insufficient_quota' });
    const e = (await failure(client.chat.completions.create({ model: 'm', messages }))) as APIError;
    expect(e.status).toBe(429);
    expect(e.code).toBe('insufficient_quota');
    expect(e.type).toBe('insufficient_quota');
    expect(e.message).toContain('You exceeded your current quota');
  });

  it('500, 502 (an HTML page from the edge) and 503, also for streaming requests', async () => {
    withFault({ kind: 'status', status: 500 });
    const e500 = (await failure(
      client.chat.completions.create({ model: 'm', messages, stream: true }),
    )) as APIError;
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e500.type).toBe('server_error');
    withFault({ kind: 'status', status: 502 });
    const e502 = (await failure(client.chat.completions.create({ model: 'm', messages }))) as APIError;
    expect(e502.status).toBe(502);
    expect(e502.message).toContain('502 Bad Gateway');
    withFault({ kind: 'status', status: 503 });
    const e503 = (await failure(client.embeddings.create({ model: 'e', input: 'x' }))) as APIError;
    expect(e503.status).toBe(503);
    expect(e503.message).toContain('The server is overloaded or not ready yet.');
  });
});

describe('connection faults', () => {
  it('hang: accepted, never answered; the client aborts and the request counts as cancelled', async () => {
    withFault({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 80);
    const error = await failure(
      client.chat.completions.create({ model: 'm', messages }, { signal: controller.signal }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    await until(() => sim.stats().cancelled === 1);
    expect(sim.stats('m')).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, outcomes: { hang: 1 } });
  });

  it('reset: the socket is destroyed before headers', async () => {
    withFault({ kind: 'reset' });
    const error = await failure(client.chat.completions.create({ model: 'm', messages }));
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    await until(() => sim.stats().inFlight === 0);
    expect(sim.stats().cancelled).toBe(0);
  });

  it('cut: a stream loses its socket after N chunks, without [DONE]; the SDK iteration throws', async () => {
    withFault({ kind: 'cut', afterChunks: 3 });
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const { chunks, error } = await collect(stream);
    expect(chunks).toHaveLength(3);
    expect(error).toBeInstanceOf(Error);
    await until(() => sim.stats().inFlight === 0);
    expect(sim.stats().cancelled).toBe(0);
  });

  it('cut past the last chunk: every chunk arrives, then the socket closes without [DONE]', async () => {
    withFault({ kind: 'cut', afterChunks: 1000 });
    const { chunks, error } = await collect(
      await client.chat.completions.create({ model: 'm', messages, stream: true }),
    );
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(error).toBeInstanceOf(Error);
  });

  it('cut: a JSON body is truncated mid-JSON, then the socket is destroyed', async () => {
    withFault({ kind: 'cut', afterChunks: 0 });
    const error = await failure(client.chat.completions.create({ model: 'm', messages }));
    expect(error).toBeInstanceOf(Error);
  });
});

describe('in-stream faults', () => {
  it('error-event: a data: {"error":…} line inside the 200 stream makes the SDK throw APIError', async () => {
    withFault({ kind: 'error-event', afterChunks: 2, message: 'boom in stream' });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'm', messages, stream: true })
      .withResponse();
    expect(response.status).toBe(200);
    const { chunks, error } = await collect(stream);
    expect(chunks).toHaveLength(2);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toContain('boom in stream');
    expect((error as APIError).type).toBe('server_error');
  });

  it('error-event on a non-streaming request is the 500 it stands for', async () => {
    withFault({ kind: 'error-event', afterChunks: 2 });
    const error = await failure(client.chat.completions.create({ model: 'm', messages }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('malformed: a data line that is not JSON makes the SDK throw a SyntaxError', async () => {
    withFault({ kind: 'malformed', afterChunks: 1 });
    const stream = await client.chat.completions.create({ model: 'm', messages, stream: true });
    const { chunks, error } = await collect(stream);
    expect(chunks).toHaveLength(1);
    expect(error).toBeInstanceOf(SyntaxError);
  });

  it('malformed: a non-streaming body that is not JSON', async () => {
    withFault({ kind: 'malformed', afterChunks: 0 });
    const error = await failure(client.chat.completions.create({ model: 'm', messages }));
    expect(error).toBeInstanceOf(Error);
  });

  it('stall: N chunks then silence on an open socket; the client gives up and it counts as cancelled', async () => {
    withFault({ kind: 'stall', afterChunks: 2 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', messages, stream: true },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 100);
    const { chunks, error } = await collect(stream);
    expect(chunks).toHaveLength(2);
    expect(error).toBeUndefined(); // the SDK ends an aborted stream iteration quietly
    await until(() => sim.stats().cancelled === 1);
    expect(sim.stats().outcomes.stall).toBe(1);
  });
});

describe('keepalive', () => {
  it('sends : keep-alive comments for the duration, then the normal stream the SDK reads', async () => {
    withFault({ kind: 'keepalive', intervalMs: 15, durationMs: 80 });
    const body = { model: 'm', messages, stream: true };
    const raw = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await raw.text();
    expect(text.startsWith(': keep-alive\n\n')).toBe(true);
    expect(text.split(': keep-alive').length - 1).toBeGreaterThanOrEqual(3);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const { chunks, error } = await collect(
      await client.chat.completions.create({ model: 'm', messages, stream: true }),
    );
    expect(error).toBeUndefined();
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('sends blank lines before a non-streaming body (DeepSeek style), which JSON parsing tolerates', async () => {
    withFault({ kind: 'keepalive', intervalMs: 10, durationMs: 50 });
    const data = await client.chat.completions.create({ model: 'm', messages });
    expect(data.choices[0]?.finish_reason).toBe('stop');
  });

  it('forever: 200 headers and comments only, until the client gives up', async () => {
    withFault({ kind: 'keepalive', intervalMs: 10 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', messages, stream: true },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 80);
    const { chunks } = await collect(stream);
    expect(chunks).toHaveLength(0);
    await until(() => sim.stats().cancelled === 1);
  });
});

describe('flood', () => {
  /** Reads the first `bytes` of a raw answer, then hangs up. */
  async function head(stream: boolean, bytes: number): Promise<{ status: number; text: string }> {
    const controller = new AbortController();
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages, stream }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (text.length < bytes) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    return { status: res.status, text };
  }

  it('json with bytes: a complete, valid answer padded to that size the SDK reads', async () => {
    withFault({ kind: 'flood', shape: 'json', bytes: 1_000_000 });
    const { data, response } = await client.chat.completions.create({ model: 'm', messages }).withResponse();
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(response.headers.get('content-length')).toBeNull();
    expect(sim.stats().outcomes.flood).toBe(1);
  });

  it('json without bytes: padding that never ends, until the client leaves', async () => {
    withFault({ kind: 'flood', shape: 'json' });
    const { status, text } = await head(false, 1_000_000);
    expect(status).toBe(200);
    expect(text.length).toBeGreaterThanOrEqual(1_000_000);
    expect(text.trim()).toBe('{');
    await until(() => sim.stats().cancelled === 1);
  });

  it('line: one stream line that never ends', async () => {
    withFault({ kind: 'flood', shape: 'line' });
    const { text } = await head(true, 500_000);
    expect(text.startsWith('data: {"aaaa')).toBe(true);
    expect(text).not.toContain('\n');
    await until(() => sim.stats().cancelled === 1);
  });

  it('data: data lines that never meet a blank line', async () => {
    withFault({ kind: 'flood', shape: 'data' });
    const { text } = await head(true, 500_000);
    expect(text.startsWith('data: aaaa')).toBe(true);
    expect(text.split('\n').length).toBeGreaterThan(400);
    expect(text).not.toContain('\n\n');
    await until(() => sim.stats().cancelled === 1);
  });

  it('a streaming request given json gets the endless line; bytes ends it', async () => {
    withFault({ kind: 'flood', shape: 'json', bytes: 100_000 });
    const { text } = await head(true, Infinity);
    expect(text.length).toBe('data: {"'.length + 100_000);
    expect(text).not.toContain('\n');
  });
});
