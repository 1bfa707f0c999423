/** The Anthropic Messages protocol, judged by the official `@anthropic-ai/sdk`. */
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Fault, type Simulator } from './index.js';

let sim: Simulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: 'sk-ant-test', defaultBehavior: { replyTokens: 6 } });
  client = new Anthropic({ baseURL: sim.url, apiKey: 'sk-ant-test', maxRetries: 0, logLevel: 'off' });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const hi: Anthropic.MessageParam[] = [{ role: 'user', content: 'hi' }];
const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
};

async function failure(promise: Promise<unknown>): Promise<APIError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as APIError,
  );
}

async function raw(body: unknown, headers: Record<string, string | null> = {}): Promise<Response> {
  const all: Record<string, string | null> = {
    'content-type': 'application/json',
    'x-api-key': 'sk-ant-test',
    'anthropic-version': '2023-06-01',
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
  return fetch(`${sim.url}/v1/messages`, { method: 'POST', headers: sent, body: JSON.stringify(body) });
}

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function withFault(fault: Fault): void {
  sim.setBehavior('*', { fault });
}

describe('answers', () => {
  it('messages.create: a message object with usage and a request-id', async () => {
    const { data, response } = await client.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: hi })
      .withResponse();
    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
    });
    expect(data.id).toMatch(/^msg_01/);
    expect(data.content[0]).toEqual({ type: 'text', text: 'switchyard routes every request to a' });
    expect(data.usage).toMatchObject({
      output_tokens: 6,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    expect(response.headers.get('request-id')).toMatch(/^req_/);
  });

  it('max_tokens and stop_sequences set the stop reason', async () => {
    const short = await client.messages.create({ model: 'c', max_tokens: 2, messages: hi });
    expect(short.stop_reason).toBe('max_tokens');
    expect(short.usage.output_tokens).toBe(2);
    const stopped = await client.messages.create({
      model: 'c',
      max_tokens: 50,
      messages: hi,
      stop_sequences: ['every'],
    });
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'every' });
  });

  it('messages.stream: ping, deltas, finalMessage', async () => {
    const stream = client.messages.stream({ model: 'c', max_tokens: 100, messages: hi });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts).toHaveLength(6);
    expect(final.content).toEqual(
      [{ type: 'text', text: texts.join(''), citations: undefined }].map(({ type, text }) => ({
        type,
        text,
      })),
    );
    expect(final.usage.output_tokens).toBe(6);
    const body = await (await raw({ model: 'c', max_tokens: 100, messages: hi, stream: true })).text();
    const events = [...body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.slice(0, 3)).toEqual(['message_start', 'ping', 'content_block_start']);
    expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('tool use: tool_use blocks with toolu_ ids and input built from input_schema, streamed as partial_json', async () => {
    const message = await client.messages.create({
      model: 'c',
      max_tokens: 100,
      messages: hi,
      tools: [weather],
    });
    expect(message.stop_reason).toBe('tool_use');
    const block = message.content[0] as Anthropic.ToolUseBlock;
    expect(block).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { city: 'switchyard routes every', days: 1 },
    });
    expect(block.id).toMatch(/^toolu_01/);
    const jsons: string[] = [];
    const stream = client.messages.stream({ model: 'c', max_tokens: 100, messages: hi, tools: [weather] });
    stream.on('inputJson', (partial) => jsons.push(partial));
    const final = await stream.finalMessage();
    expect(jsons.length).toBeGreaterThan(2);
    expect(final.content[0]).toMatchObject({
      type: 'tool_use',
      input: { city: 'switchyard routes every', days: 1 },
    });
    const none = await client.messages.create({
      model: 'c',
      max_tokens: 100,
      messages: hi,
      tools: [weather],
      tool_choice: { type: 'none' },
    });
    expect(none.content[0]?.type).toBe('text');
  });

  it('a tool_result answering the previous tool_use is accepted', async () => {
    const first = await client.messages.create({
      model: 'c',
      max_tokens: 100,
      messages: hi,
      tools: [weather],
    });
    const call = first.content[0] as Anthropic.ToolUseBlock;
    sim.setBehavior('*', { toolCalls: 0 });
    const second = await client.messages.create({
      model: 'c',
      max_tokens: 100,
      tools: [weather],
      messages: [
        ...hi,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
  });

  it('thinking: a thinking block with a signature, streamed as thinking_delta and signature_delta', async () => {
    const params = {
      model: 'c',
      max_tokens: 2048,
      messages: hi,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
    };
    const message = await client.messages.create(params);
    expect(message.content[0]).toMatchObject({ type: 'thinking' });
    expect((message.content[0] as Anthropic.ThinkingBlock).signature.length).toBeGreaterThan(10);
    expect(message.content[1]?.type).toBe('text');
    const final = await client.messages.stream(params).finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect((final.content[0] as Anthropic.ThinkingBlock).signature).toMatch(/^Eu/);
  });

  it('adaptive thinking answers with a signed thinking block too', async () => {
    const message = await client.messages.create({
      model: 'claude-opus-4-6',
      max_tokens: 2048,
      messages: hi,
      thinking: { type: 'adaptive' },
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
  });

  describe('thinking blocks sent back in a tool loop (signatures are checked)', () => {
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const ask = { model: 'c', max_tokens: 2048, tools: [weather], thinking };
    const loop = async () => {
      const first = await client.messages.create({ ...ask, messages: hi });
      const call = first.content.find((b) => b.type === 'tool_use')!;
      const result = { type: 'tool_result' as const, tool_use_id: call.id, content: 'sunny' };
      return { first, result };
    };

    it('the assistant turn as returned is accepted', async () => {
      const { first, result } = await loop();
      expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
      const second = await client.messages.create({
        ...ask,
        messages: [...hi, { role: 'assistant', content: first.content }, { role: 'user', content: [result] }],
      });
      expect(second.type).toBe('message');
    });

    it('an altered thinking block, or one from another model: 400 invalid signature', async () => {
      const { first, result } = await loop();
      const [block, ...rest] = first.content as [Anthropic.ThinkingBlock, ...Anthropic.ContentBlock[]];
      for (const [model, content] of [
        ['c', [{ ...block, thinking: `${block.thinking} (edited)` }, ...rest]],
        ['another-model', first.content],
      ] as const) {
        const e = await failure(
          client.messages.create({
            ...ask,
            model,
            messages: [
              ...hi,
              { role: 'assistant', content: content as never },
              { role: 'user', content: [result] },
            ],
          }),
        );
        expect(e).toBeInstanceOf(Anthropic.BadRequestError);
        expect(e.message).toContain('messages.1.content.0: Invalid `signature` in `thinking` block');
      }
    });

    it('thinking on, and the tool turn without its thinking block: 400 expected thinking', async () => {
      const { first, result } = await loop();
      const e = await failure(
        client.messages.create({
          ...ask,
          messages: [
            ...hi,
            { role: 'assistant', content: first.content.filter((b) => b.type === 'tool_use') },
            { role: 'user', content: [result] },
          ],
        }),
      );
      expect(e.message).toContain(
        'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`',
      );
      // With thinking off, the same history is fine.
      const { thinking: _off, ...plain } = ask;
      const ok = await client.messages.create({
        ...plain,
        messages: [
          ...hi,
          { role: 'assistant', content: first.content.filter((b) => b.type === 'tool_use') },
          { role: 'user', content: [result] },
        ],
      });
      expect(ok.type).toBe('message');
    });
  });
});

describe('auth and validation', () => {
  it('401 authentication_error for a wrong or missing x-api-key', async () => {
    const bad = new Anthropic({ baseURL: sim.url, apiKey: 'nope', maxRetries: 0, logLevel: 'off' });
    const e = await failure(bad.messages.create({ model: 'c', max_tokens: 10, messages: hi }));
    expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(e.type).toBe('authentication_error');
    expect(e.message).toContain('invalid x-api-key');
    expect(e.requestID).toMatch(/^req_/);
    const missing = await raw({ model: 'c', max_tokens: 10, messages: hi }, { 'x-api-key': '' });
    expect(missing.status).toBe(401);
  });

  it('400 without anthropic-version', async () => {
    const response = await raw({ model: 'c', max_tokens: 10, messages: hi }, { 'anthropic-version': null });
    const body = (await response.json()) as { error: { message: string } };
    expect(response.status).toBe(400);
    expect(body.error.message).toBe('anthropic-version: header is required');
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['missing max_tokens', { model: 'c', messages: hi }, 'max_tokens: Field required'],
    [
      'unknown field',
      { model: 'c', max_tokens: 5, messages: hi, foo: 1 },
      'foo: Extra inputs are not permitted',
    ],
    [
      'empty messages',
      { model: 'c', max_tokens: 5, messages: [] },
      'messages: at least one message is required',
    ],
    [
      'system role',
      { model: 'c', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] },
      'Unexpected role',
    ],
    [
      'temperature',
      { model: 'c', max_tokens: 5, messages: hi, temperature: 1.5 },
      'temperature: Input should be less than or equal to 1',
    ],
    [
      'block type',
      { model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'video' }] }] },
      "messages.0.content.0: Input tag 'video'",
    ],
    [
      'image media type',
      {
        model: 'c',
        max_tokens: 5,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'x' } }],
          },
        ],
      },
      'messages.0.content.0.image.source.base64.media_type',
    ],
    [
      'tool name',
      {
        model: 'c',
        max_tokens: 5,
        messages: hi,
        tools: [{ name: 'bad name', input_schema: { type: 'object' } }],
      },
      'tools.0.custom.name: String should match pattern',
    ],
    [
      'orphan tool_result',
      {
        model: 'c',
        max_tokens: 5,
        messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x' }] }],
      },
      'unexpected `tool_use_id` found in `tool_result` blocks: toolu_x',
    ],
    [
      'tool_choice name',
      {
        model: 'c',
        max_tokens: 5,
        messages: hi,
        tools: [weather],
        tool_choice: { type: 'tool', name: 'nope' },
      },
      'tool_choice.tool.name',
    ],
    [
      'thinking budget',
      { model: 'c', max_tokens: 5000, messages: hi, thinking: { type: 'enabled', budget_tokens: 100 } },
      'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
    ],
    [
      'thinking vs max_tokens',
      { model: 'c', max_tokens: 1024, messages: hi, thinking: { type: 'enabled', budget_tokens: 1024 } },
      '`max_tokens` must be greater than `thinking.budget_tokens`',
    ],
  ];
  it.each(cases)('400 invalid_request_error: %s', async (_name, body, message) => {
    const e = await failure(client.messages.create(body as never));
    expect(e).toBeInstanceOf(Anthropic.BadRequestError);
    expect(e.type).toBe('invalid_request_error');
    expect(e.message).toContain(message);
  });

  it('a prompt over the context window: 400 "prompt is too long: N tokens > M maximum"', async () => {
    sim.setBehavior('c', { contextWindow: 5 });
    const long = [{ role: 'user' as const, content: 'one two three four five six' }];
    const e = await failure(client.messages.create({ model: 'c', max_tokens: 10, messages: long }));
    expect(e).toBeInstanceOf(Anthropic.BadRequestError);
    expect(e.type).toBe('invalid_request_error');
    expect(e.message).toMatch(/prompt is too long: \d+ tokens > 5 maximum/);
  });

  it('consecutive same-role messages are accepted (the API combines them)', async () => {
    const message = await client.messages.create({
      model: 'c',
      max_tokens: 10,
      messages: [...hi, { role: 'user', content: 'again' }],
    });
    expect(message.type).toBe('message');
    expect(sim.stats().outcomes.rejected).toBe(0);
  });
});

describe('faults', () => {
  it('429 rate_limit_error with retry-after and anthropic-ratelimit-* headers (reset in RFC 3339)', async () => {
    withFault({ kind: 'status', status: 429, retryAfterSeconds: 7, limit: 'requests' });
    const e = await failure(client.messages.create({ model: 'c', max_tokens: 10, messages: hi }));
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    expect(e.type).toBe('rate_limit_error');
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(e.headers?.get('anthropic-ratelimit-requests-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it.each([
    [529, 'overloaded_error', 'Overloaded'],
    [500, 'api_error', 'Internal server error'],
    [403, 'permission_error', 'permission'],
    [404, 'not_found_error', 'model: c'],
    [413, 'request_too_large', 'maximum allowed number of bytes'],
  ])('%i %s', async (status, type, message) => {
    withFault({ kind: 'status', status });
    const e = await failure(
      client.messages.create({ model: 'c', max_tokens: 10, messages: hi, stream: true }),
    );
    expect(e.status).toBe(status);
    expect(e.type).toBe(type);
    expect(e.message).toContain(message);
  });

  it('error-event: event: error with overloaded_error inside the 200 stream makes the SDK throw', async () => {
    withFault({ kind: 'error-event', afterChunks: 3 });
    const e = await failure(
      client.messages.stream({ model: 'c', max_tokens: 10, messages: hi }).finalMessage(),
    );
    expect(e).toBeInstanceOf(APIError);
    expect(e.type).toBe('overloaded_error');
    expect(e.message).toContain('Overloaded');
  });

  it('cut: no message_stop; the SDK throws', async () => {
    withFault({ kind: 'cut', afterChunks: 1000 });
    const error = await failure(
      client.messages.stream({ model: 'c', max_tokens: 10, messages: hi }).finalMessage(),
    );
    expect(error).toBeInstanceOf(Error);
    const body = await (
      await raw({ model: 'c', max_tokens: 10, messages: hi, stream: true }).catch(() => null)
    )
      ?.text()
      .catch(() => '');
    expect(body ?? '').not.toContain('message_stop');
  });

  it('malformed: a data line that is not JSON', async () => {
    withFault({ kind: 'malformed', afterChunks: 3 });
    const error = await failure(
      client.messages.stream({ model: 'c', max_tokens: 10, messages: hi }).finalMessage(),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('Unterminated string');
  });

  it('keepalive: event: ping frames first, which the SDK skips', async () => {
    withFault({ kind: 'keepalive', intervalMs: 10, durationMs: 50 });
    const text = await (await raw({ model: 'c', max_tokens: 10, messages: hi, stream: true })).text();
    expect(text.startsWith('event: ping\ndata: {"type": "ping"}\n\n')).toBe(true);
    const final = await client.messages.stream({ model: 'c', max_tokens: 10, messages: hi }).finalMessage();
    expect(final.stop_reason).toBe('end_turn');
  });

  it('stall: the client gives up and it counts as cancelled; reset: a connection error', async () => {
    withFault({ kind: 'stall', afterChunks: 2 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 60);
    const stalled = await failure(
      client.messages.create({ model: 'c', max_tokens: 10, messages: hi }, { signal: controller.signal }),
    );
    expect(stalled.name).toMatch(/Abort/);
    await until(() => sim.stats().cancelled === 1);
    expect(sim.stats().outcomes.stall).toBe(1);
    withFault({ kind: 'reset' });
    const reset = await failure(client.messages.create({ model: 'c', max_tokens: 10, messages: hi }));
    expect(reset).toBeInstanceOf(Anthropic.APIConnectionError);
  });
});
