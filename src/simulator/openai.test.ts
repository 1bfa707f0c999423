/**
 * The official `openai` SDK is the judge: it talks straight to the simulator and its parsers must
 * accept every response and stream.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './index.js';

const KEY = 'sk-test-0123456789abcdef1234';

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'integer' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        hourly: { type: 'boolean' },
      },
      required: ['city'],
    },
  },
};
const timeTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
};

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY, defaultBehavior: { replyTokens: 5 } });
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => sim.close());

const user = (content: string): OpenAI.Chat.ChatCompletionMessageParam => ({ role: 'user', content });

describe('chat completions (JSON)', () => {
  it('answers a plain completion with consistent usage', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [user('hello there simulator')] })
      .withResponse();
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('gpt-4o');
    expect(data.system_fingerprint).toMatch(/^fp_/);
    const choice = data.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(choice?.message.role).toBe('assistant');
    expect(choice?.message.content?.split(' ')).toHaveLength(5);
    expect(data.usage?.completion_tokens).toBe(5);
    expect(data.usage?.prompt_tokens).toBe(3 + 3 + 3); // reply + message overhead + 3 words
    expect(data.usage?.total_tokens).toBe(data.usage!.prompt_tokens + 5);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBeTruthy();
  });

  it('honours max_tokens / max_completion_tokens with finish_reason length', async () => {
    for (const limit of [{ max_tokens: 2 }, { max_completion_tokens: 2 }]) {
      const data = await client.chat.completions.create({ model: 'm', messages: [user('hi')], ...limit });
      expect(data.choices[0]?.finish_reason).toBe('length');
      expect(data.usage?.completion_tokens).toBe(2);
    }
  });

  it('answers n choices', async () => {
    const data = await client.chat.completions.create({ model: 'm', messages: [user('hi')], n: 2 });
    expect(data.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(data.choices[0]?.message.content).not.toBe(data.choices[1]?.message.content);
    expect(data.usage?.completion_tokens).toBe(10);
  });

  it('stops at a stop sequence, roughly', async () => {
    sim.setBehavior('stopper', { replyText: 'one two three four five' });
    const data = await client.chat.completions.create({
      model: 'stopper',
      messages: [user('hi')],
      stop: ['three'],
    });
    expect(data.choices[0]?.message.content).toBe('one two');
    expect(data.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers one tool call with JSON arguments built from the schema', async () => {
    const data = await client.chat.completions.create({
      model: 'm',
      messages: [user('weather?')],
      tools: [weatherTool],
    });
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(call?.id).toMatch(/^call_/);
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({
      city: 'switchyard routes every',
      days: 1,
      unit: 'celsius',
      hourly: true,
    });
  });

  it('answers parallel tool calls, or one when parallel_tool_calls is false, or text with tool_choice none', async () => {
    sim.setBehavior('parallel', { toolCalls: 3 });
    const messages = [user('both?')];
    const tools = [weatherTool, timeTool];
    const data = await client.chat.completions.create({ model: 'parallel', messages, tools });
    const names = data.choices[0]?.message.tool_calls?.map((c) =>
      c.type === 'function' ? c.function.name : '',
    );
    expect(names).toEqual(['get_weather', 'get_time', 'get_weather']);
    const single = await client.chat.completions.create({
      model: 'parallel',
      messages,
      tools,
      parallel_tool_calls: false,
    });
    expect(single.choices[0]?.message.tool_calls).toHaveLength(1);
    const none = await client.chat.completions.create({
      model: 'parallel',
      messages,
      tools,
      tool_choice: 'none',
    });
    expect(none.choices[0]?.finish_reason).toBe('stop');
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('accepts a full tool round trip', async () => {
    const first = await client.chat.completions.create({
      model: 'm',
      messages: [user('weather?')],
      tools: [weatherTool],
    });
    const message = first.choices[0]!.message;
    const calls = message.tool_calls ?? [];
    const data = await client.chat.completions.create({
      model: 'm',
      tools: [weatherTool],
      messages: [
        user('weather?'),
        message,
        ...calls.map((c): OpenAI.Chat.ChatCompletionMessageParam => ({
          role: 'tool',
          tool_call_id: c.id,
          content: 'sunny',
        })),
      ],
      tool_choice: 'none',
    });
    expect(data.choices[0]?.message.content).toBeTruthy();
  });
});

describe('chat completions (stream)', () => {
  it('streams deltas, a finish chunk, and the usage chunk with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [user('hello')],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text.split(' ')).toHaveLength(5);
    const finish = chunks.at(-2);
    expect(finish?.choices[0]?.finish_reason).toBe('stop');
    expect(finish?.usage).toBeNull();
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(5);
    expect(last?.usage?.total_tokens).toBe(last!.usage!.prompt_tokens + 5);
  });

  it('has no usage field without include_usage', async () => {
    const stream = await client.chat.completions.create({ model: 'm', messages: [user('hi')], stream: true });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams parallel tool calls: header first, arguments in fragments', async () => {
    sim.setBehavior('parallel-stream', { toolCalls: 2 });
    const stream = await client.chat.completions.create({
      model: 'parallel-stream',
      messages: [user('both')],
      tools: [weatherTool, timeTool],
      stream: true,
    });
    const calls = new Map<number, { id?: string; name?: string; args: string; fragments: number }>();
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      finish = choice?.finish_reason ?? finish;
      for (const delta of choice?.delta.tool_calls ?? []) {
        const call = calls.get(delta.index) ?? { args: '', fragments: 0 };
        if (delta.id !== undefined) {
          expect(call.id).toBeUndefined();
          expect(delta.type).toBe('function');
          expect(delta.function?.name).toBeTruthy();
          call.id = delta.id;
          call.name = delta.function?.name;
        }
        if (delta.function?.arguments) {
          call.args += delta.function.arguments;
          call.fragments++;
        }
        calls.set(delta.index, call);
      }
    }
    expect(finish).toBe('tool_calls');
    expect([...calls.values()].map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(calls.get(0)!.args)).toEqual({
      city: 'switchyard routes every',
      days: 1,
      unit: 'celsius',
      hourly: true,
    });
    expect(JSON.parse(calls.get(1)!.args)).toEqual({ zone: 'switchyard routes every' });
    expect(calls.get(0)!.fragments).toBeGreaterThan(1);
  });

  it('streams n choices, each with its own index and finish_reason', async () => {
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [user('hi')],
      n: 2,
      stream: true,
    });
    const finishes = new Map<number, string>();
    const texts = ['', ''];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        if (c.finish_reason) finishes.set(c.index, c.finish_reason);
      }
    }
    expect(finishes).toEqual(
      new Map([
        [0, 'stop'],
        [1, 'stop'],
      ]),
    );
    expect(texts[0]).not.toBe(texts[1]);
  });

  it('paces tokens by tokensPerSecond after the time to first token', async () => {
    sim.setBehavior('paced', { ttftMs: 60, tokensPerSecond: 50, replyTokens: 4 });
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: 'paced',
      messages: [user('hi')],
      stream: true,
    });
    const arrivals: number[] = [];
    for await (const chunk of stream)
      if (chunk.choices[0]?.delta.content) arrivals.push(performance.now() - started);
    expect(arrivals[0]).toBeGreaterThanOrEqual(55);
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(3 * 20 - 10);
  });
});

describe('embeddings and models', () => {
  it('returns deterministic unit vectors, base64 (the SDK default) and float', async () => {
    const viaBase64 = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a b c', 'd'],
    });
    const viaFloat = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a b c', 'd'],
      encoding_format: 'float',
    });
    expect(viaBase64.data).toHaveLength(2);
    expect(viaBase64.data[0]?.embedding).toHaveLength(1536);
    expect(viaBase64.data[0]?.embedding).toEqual(viaFloat.data[0]?.embedding);
    const norm = Math.hypot(...viaFloat.data[1]!.embedding);
    expect(norm).toBeCloseTo(1, 4);
    expect(viaFloat.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    const small = await client.embeddings.create({
      model: 'e',
      input: 'x',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(small.data[0]?.embedding).toHaveLength(8);
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain('gpt-4o');
    expect(page.data[0]?.object).toBe('model');
  });
});

describe('auth', () => {
  it('answers 400 context_length_exceeded to a prompt over the context window, streamed or not', async () => {
    sim.setBehavior('small-window', { contextWindow: 8 });
    const messages = [{ role: 'user' as const, content: 'one two three four five six seven' }];
    for (const stream of [false, true]) {
      const error = await client.chat.completions
        .create({ model: 'small-window', messages, stream })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIError);
      expect(error).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' });
      expect((error as APIError).message).toMatch(
        /maximum context length is 8 tokens\. However, your messages resulted in 13 tokens/,
      );
    }
  });

  describe('DeepSeek models (deepseek-*): thinking mode', () => {
    const call = {
      id: 'call_1',
      type: 'function' as const,
      function: { name: 'get_weather', arguments: '{}' },
    };
    const loop = (assistant: object): OpenAI.Chat.ChatCompletionMessageParam[] => [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [call], ...assistant },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ];
    const ask = (model: string, messages: OpenAI.Chat.ChatCompletionMessageParam[], extra: object = {}) =>
      client.chat.completions.create({
        model,
        messages,
        ...extra,
      } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);

    it('V4 models think by default and answer with reasoning_content; thinking can be turned off', async () => {
      const on = await ask('deepseek-v4-flash', [{ role: 'user', content: 'hi' }]);
      expect((on.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBeTruthy();
      const off = await ask('deepseek-v4-flash', [{ role: 'user', content: 'hi' }], {
        thinking: { type: 'disabled' },
      });
      expect((off.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBeUndefined();
    });

    it('a tool-call turn without its reasoning_content: 400, unless thinking is off', async () => {
      const error = await ask('deepseek-v4-flash', loop({})).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400 });
      expect((error as APIError).message).toContain(
        'The `reasoning_content` in the thinking mode must be passed back to the API.',
      );
      await expect(ask('deepseek-v4-flash', loop({ reasoning_content: 'checked' }))).resolves.toBeTruthy();
      await expect(
        ask('deepseek-v4-flash', loop({}), { thinking: { type: 'disabled' } }),
      ).resolves.toBeTruthy();
    });

    it('other models do not know the thinking parameter', async () => {
      const error = await ask('gpt-4o', [{ role: 'user', content: 'hi' }], {
        thinking: { type: 'enabled' },
      }).catch((e: unknown) => e);
      expect((error as APIError).message).toContain('Unrecognized request argument supplied: thinking');
    });
  });

  it('answers 401 with the real body, echoing a masked key', async () => {
    const wrong = new OpenAI({
      baseURL: `${sim.url}/v1`,
      apiKey: 'sk-wrong-abcdefghijklmnop9876',
      maxRetries: 0,
    });
    const error = await wrong.chat.completions
      .create({ model: 'm', messages: [user('hi')] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.message).toMatch(
      /Incorrect API key provided: sk-wr\*{20}9876\. You can find your API key at /,
    );
    expect(apiError.message).not.toContain('abcdefghijklmnop');
  });

  it('answers 401 when no key is sent', async () => {
    const response = await fetch(`${sim.url}/v1/models`);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; type: string } };
    expect(body.error.message).toMatch(/^You didn't provide an API key/);
    expect(body.error.type).toBe('invalid_request_error');
  });
});

describe('strict models', () => {
  it('answers 404 model_not_found only for unknown models when strictModels is on', async () => {
    const strict = await startSimulator({ models: { 'gpt-4o': {} }, strictModels: true });
    try {
      const c = new OpenAI({ baseURL: `${strict.url}/v1`, apiKey: 'k', maxRetries: 0 });
      await expect(
        c.chat.completions.create({ model: 'gpt-4o', messages: [user('hi')] }),
      ).resolves.toBeTruthy();
      const error = await c.chat.completions
        .create({ model: 'gpt-5x', messages: [user('hi')] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as APIError).code).toBe('model_not_found');
      expect((await c.models.list()).data.map((m) => m.id)).toEqual(['gpt-4o']);
    } finally {
      await strict.close();
    }
  });
});
