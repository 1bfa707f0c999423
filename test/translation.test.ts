/**
 * Issue 3: the openai SDK talks to the gateway; the gateway serves it from simulated Anthropic and
 * Gemini models (each simulator speaking the real wire format), as if they were OpenAI models.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/load.js';
import { startGateway, type Gateway } from '../src/main.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';

const KEYS = {
  openai: 'sk-openai-sim-key-0001',
  anthropic: 'sk-ant-sim-key-0002',
  gemini: 'AIza-gemini-sim-key-0003',
};

let sims: Record<'openai' | 'anthropic' | 'gemini', Simulator>;
let gateway: Gateway;
let client: OpenAI;

beforeAll(async () => {
  sims = {
    openai: await startSimulator({ apiKey: KEYS.openai }),
    anthropic: await startSimulator({ apiKey: KEYS.anthropic }),
    gemini: await startSimulator({ apiKey: KEYS.gemini }),
  };
  const config = resolveConfig(
    {
      server: { port: 0 },
      defaults: { timeouts: { firstTokenMs: 2_000 }, retry: { backoffBaseMs: 10, backoffCapMs: 50 } },
      providers: {
        openai: { type: 'openai', baseUrl: `${sims.openai.url}/v1`, apiKey: KEYS.openai },
        anthropic: { type: 'anthropic', baseUrl: `${sims.anthropic.url}/v1`, apiKey: KEYS.anthropic },
        gemini: { type: 'gemini', baseUrl: `${sims.gemini.url}/v1beta`, apiKey: KEYS.gemini },
      },
      routes: {
        gpt: { targets: ['openai/gpt-4o'] },
        claude: { targets: ['anthropic/claude-sonnet-4-5'] },
        gemini: { targets: ['gemini/gemini-2.5-flash'] },
        'claude-lenient': { targets: ['anthropic/claude-sonnet-4-5'], dropUnsupportedParams: true },
        'gemini-lenient': { targets: ['gemini/gemini-2.5-flash'], dropUnsupportedParams: true },
        'claude-then-gemini': { targets: ['anthropic/claude-sonnet-4-5', 'gemini/gemini-2.5-flash'] },
        'gpt-then-claude': { targets: ['openai/gpt-4o', 'anthropic/claude-sonnet-4-5'] },
      },
    },
    { env: {} },
  );
  gateway = await startGateway(config);
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'any', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(Object.values(sims ?? {}).map((s) => s.close()));
});

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const timeTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
};

describe.each(['claude', 'gemini'] as const)('%s through the OpenAI API', (model) => {
  const sim = (): Simulator => (model === 'claude' ? sims.anthropic : sims.gemini);

  it('plain completion: content, finish_reason, usage, public model name', async () => {
    const res = await client.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_tokens: 50,
    });
    expect(res.model).toBe(model);
    expect(res.choices[0]!.message.content).toBeTruthy();
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
  });

  it('streamed: role first, deltas, one finish, a usage chunk, then [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let role: string | undefined;
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        role ??= c.delta.role;
        text += c.delta.content ?? '';
        if (c.finish_reason) finishes.push(c.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(role).toBe('assistant');
    expect(text.length).toBeGreaterThan(0);
    expect(finishes).toEqual(['stop']);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  it('tool calls, single and parallel, with JSON arguments; streamed too', async () => {
    sim().setBehavior('*', { toolCalls: 2 });
    try {
      const res = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
        tools: [weatherTool, timeTool],
      });
      const calls = res.choices[0]!.message.tool_calls!;
      expect(res.choices[0]!.finish_reason).toBe('tool_calls');
      expect(calls.length).toBe(2);
      for (const call of calls) {
        expect(call.id).toBeTruthy();
        expect(call.type === 'function' && typeof JSON.parse(call.function.arguments)).toBe('object');
      }
      const final = await client.chat.completions
        .stream({ model, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool, timeTool] })
        .finalChatCompletion();
      const streamed = final.choices[0]!.message.tool_calls!;
      expect(streamed.length).toBe(2);
      expect(streamed.map((c) => c.type === 'function' && JSON.parse(c.function.arguments))).toEqual(
        calls.map((c) => c.type === 'function' && JSON.parse(c.function.arguments)),
      );
    } finally {
      sim().setBehavior('*', { toolCalls: 1 });
    }
  });

  it('a tool result round trip continues the conversation', async () => {
    const first = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const second = await client.chat.completions.create({
      model,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
      ],
      tools: [weatherTool],
      tool_choice: 'none',
    });
    expect(second.choices[0]!.message.content).toBeTruthy();
  });

  it('JSON schema output and images are accepted', async () => {
    const res = await client.chat.completions.create({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe this image as JSON.' },
            {
              type: 'image_url',
              image_url: {
                url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
              },
            },
          ],
        },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'caption',
          schema: { type: 'object', properties: { caption: { type: 'string' } }, required: ['caption'] },
        },
      },
    });
    expect(res.choices[0]!.message.content).toBeTruthy();
  });

  it('a parameter the target cannot honour is a 400 naming it', async () => {
    const err = (await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Hi' }], logit_bias: { '50256': -100 } })
      .catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(400);
    expect(err.message).toContain('logit_bias');
  });

  it('on a route that drops what the target cannot honour, the answer says what was dropped', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: `${model}-lenient`,
        messages: [{ role: 'user', content: 'Hi' }],
        logit_bias: { '50256': -100 },
      })
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    const target = model === 'claude' ? 'anthropic/claude-sonnet-4-5' : 'gemini/gemini-2.5-flash';
    expect(response.headers.get('x-switchyard-warnings')).toBe(
      `dropped logit_bias: not supported by ${target}`,
    );
  });

  it('an upstream 400 keeps its status and message', async () => {
    sim().setBehavior('*', { fault: { kind: 'status', status: 400, message: 'bad thing in the request' } });
    try {
      const err = (await client.chat.completions
        .create({ model, messages: [{ role: 'user', content: 'Hi' }] })
        .catch((e: unknown) => e)) as APIError;
      expect(err.status).toBe(400);
      expect(err.message).toContain('bad thing in the request');
    } finally {
      sim().setBehavior('*', { fault: null });
    }
  });
});

describe('failover across providers', () => {
  it('Anthropic 529 overloaded → served by Gemini', async () => {
    sims.anthropic.setBehavior('*', { fault: { kind: 'status', status: 529 } });
    try {
      const { data, response } = await client.chat.completions
        .create({ model: 'claude-then-gemini', messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse();
      expect(data.choices[0]!.message.content).toBeTruthy();
      expect(response.headers.get('x-switchyard-target')).toBe('gemini/gemini-2.5-flash');
      expect(response.headers.get('x-switchyard-fallback-reason')).toBe(
        'anthropic/claude-sonnet-4-5: upstream_529',
      );
    } finally {
      sims.anthropic.reset();
    }
  });

  it('Anthropic in-stream overloaded_error before the first token → served by Gemini, one clean stream', async () => {
    sims.anthropic.setBehavior('*', { fault: { kind: 'error-event', afterChunks: 0 } });
    try {
      const stream = await client.chat.completions
        .create({ model: 'claude-then-gemini', messages: [{ role: 'user', content: 'Hi' }], stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
      expect(text.length).toBeGreaterThan(0);
      expect(stream.response.headers.get('x-switchyard-target')).toBe('gemini/gemini-2.5-flash');
    } finally {
      sims.anthropic.reset();
    }
  });

  it('a conversation with tool calls started on OpenAI continues on Anthropic and on Gemini', async () => {
    const first = await client.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const history: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
      first.choices[0]!.message,
      { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
      { role: 'user', content: 'And tomorrow?' },
    ];
    for (const model of ['claude', 'gemini']) {
      const next = await client.chat.completions.create({ model, messages: history, tools: [weatherTool] });
      expect(next.choices[0]!.message.content ?? next.choices[0]!.message.tool_calls).toBeTruthy();
    }
  });
});

describe('embeddings across providers', () => {
  it('Gemini serves /v1/embeddings in the OpenAI shape, floats and base64', async () => {
    const floats = await client.embeddings.create({
      model: 'gemini',
      input: ['a', 'b'],
      encoding_format: 'float',
    });
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    expect(Array.isArray(floats.data[0]!.embedding)).toBe(true);
    // The SDK asks for base64 by default and decodes it back to floats.
    const decoded = await client.embeddings.create({ model: 'gemini', input: 'a' });
    expect(decoded.data[0]!.embedding).toHaveLength(floats.data[0]!.embedding.length);
    expect(decoded.data[0]!.embedding[0]).toBeCloseTo(floats.data[0]!.embedding[0]!, 5);
  });

  it('a route whose targets cannot embed is a 400 naming them', async () => {
    const err = (await client.embeddings
      .create({ model: 'claude', input: 'a' })
      .catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(400);
    expect(err.message).toContain('anthropic/claude-sonnet-4-5');
  });
});
