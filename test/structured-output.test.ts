/**
 * Issue 11: structured output each provider accepts, and simulated models that behave like models.
 * The openai SDK asks for JSON Schemas with zod's bounds through Claude and Gemini routes (the
 * simulator refuses what Anthropic refuses, in its words), and runs agent loops and structured
 * answers on every protocol.
 */
import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulatedGateway, type SimulatedGateway } from './harness.js';

const KEY = 'sk-structured-sim-key-0001';
let env: SimulatedGateway;

beforeAll(async () => {
  env = await startSimulatedGateway(KEY, (url) => ({
    defaults: { timeouts: { firstTokenMs: 2_000 }, retry: { backoffBaseMs: 10, backoffCapMs: 50 } },
    providers: {
      openai: { type: 'openai', baseUrl: `${url}/v1`, apiKey: KEY },
      anthropic: { type: 'anthropic', baseUrl: `${url}/v1`, apiKey: KEY },
      gemini: { type: 'gemini', baseUrl: `${url}/v1beta`, apiKey: KEY },
    },
    routes: {
      gpt: { targets: ['openai/gpt-4o'] },
      claude: { targets: ['anthropic/claude-sonnet-4-5'] },
      gemini: { targets: ['gemini/gemini-2.5-flash'] },
      'claude-then-gpt': { targets: ['anthropic/claude-opus-4-5', 'openai/gpt-4o-mini'] },
    },
  }));
});

afterAll(async () => {
  await env?.close();
});

const ROUTES = ['gpt', 'claude', 'gemini'] as const;

/** What zod's .min()/.max() produce, plus a nested object without additionalProperties. */
const bounded = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 30, maxLength: 40 },
    age: { type: 'integer', minimum: 18, maximum: 99 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
    address: {
      type: 'object',
      properties: { city: { type: 'string' }, floor: { type: 'integer', minimum: 0 } },
      required: ['city', 'floor'],
    },
  },
  required: ['name', 'age', 'tags', 'address'],
};

const Person = z.object({
  name: z.string().min(30).max(40),
  age: z.number().int().min(18).max(99),
  tags: z.array(z.string()).min(2).max(4),
  address: z.object({ city: z.string(), floor: z.number().int().min(0) }),
});

/** The body of the last upstream request whose path contains `part` (parsed JSON, read by path). */
function upstreamBody(part: string) {
  const request = env.sim.requests().findLast((r) => r.path.includes(part));
  if (request === undefined) throw new Error(`no upstream request to ${part}`);
  return JSON.parse(request.body);
}

const askFor = (model: string, schema: Record<string, unknown>) =>
  env.client.chat.completions
    .create({
      model,
      messages: [{ role: 'user', content: 'Describe a person.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
    })
    .withResponse();

describe('JSON Schemas translated into what each provider accepts', () => {
  it('Claude: bounds move into descriptions, objects are closed, the answer satisfies the schema', async () => {
    const { data, response } = await askFor('claude', bounded);
    expect(Person.parse(JSON.parse(data.choices[0]!.message.content!))).toBeTruthy();
    expect(response.headers.get('x-switchyard-warnings')).toBe(
      'response_format.json_schema.schema: anthropic/claude-sonnet-4-5 does not support minLength, ' +
        'maxLength, minimum, maximum, minItems, maxItems (moved into descriptions); ' +
        'additionalProperties: false set on 2 objects',
    );
    const schema = upstreamBody('/v1/messages').output_config.format.schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.address.additionalProperties).toBe(false);
    expect(schema.properties.age).toEqual({ type: 'integer', description: '{minimum: 18, maximum: 99}' });
    expect(schema.properties.name.description).toBe('{minLength: 30, maxLength: 40}');
    expect(schema.properties.tags.description).toBe('{minItems: 2, maxItems: 4}');
    expect(schema.properties.address.properties.floor.description).toBe('{minimum: 0}');
  });

  it('Claude: a strict tool gets the same treatment; a tool that is not strict goes as it is', async () => {
    const tool = (name: string, strict: boolean): OpenAI.Chat.ChatCompletionTool => ({
      type: 'function',
      function: { name, parameters: bounded, strict },
    });
    const { data, response } = await env.client.chat.completions
      .create({
        model: 'claude',
        messages: [{ role: 'user', content: 'Register someone.' }],
        tools: [tool('register', true), tool('lookup', false)],
      })
      .withResponse();
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    expect(response.headers.get('x-switchyard-warnings')).toContain(
      'tools[0].function.parameters: anthropic/claude-sonnet-4-5 does not support',
    );
    const tools = upstreamBody('/v1/messages').tools;
    expect(tools[0].input_schema.properties.age.description).toBe('{minimum: 18, maximum: 99}');
    expect(tools[1].input_schema).toEqual(bounded);
  });

  it('Gemini: bounds it reads stay, the rest move into descriptions', async () => {
    const { data, response } = await askFor('gemini', bounded);
    expect(Person.parse(JSON.parse(data.choices[0]!.message.content!))).toBeTruthy();
    expect(response.headers.get('x-switchyard-warnings')).toBe(
      'response_format.json_schema.schema: gemini/gemini-2.5-flash does not support minLength, maxLength ' +
        '(moved into descriptions)',
    );
    const schema = upstreamBody(':generateContent').generationConfig.responseJsonSchema;
    expect(schema.properties.age).toEqual({ type: 'integer', minimum: 18, maximum: 99 });
    expect(schema.properties.tags).toMatchObject({ minItems: 2, maxItems: 4 });
    expect(schema.properties.name).toEqual({ type: 'string', description: '{minLength: 30, maxLength: 40}' });
  });

  it("Gemini: a tool's parameters are translated the same way", async () => {
    const { response } = await env.client.chat.completions
      .create({
        model: 'gemini',
        messages: [{ role: 'user', content: 'Register someone.' }],
        tools: [{ type: 'function', function: { name: 'register', parameters: bounded } }],
      })
      .withResponse();
    expect(response.headers.get('x-switchyard-warnings')).toBe(
      'tools[0].function.parameters: gemini/gemini-2.5-flash does not support minLength, maxLength ' +
        '(moved into descriptions)',
    );
    const declared = upstreamBody(':generateContent').tools[0].functionDeclarations[0];
    expect(declared.parametersJsonSchema.properties.name.description).toBe('{minLength: 30, maxLength: 40}');
  });

  it('the client request is not changed: after a Claude failure the OpenAI target gets the schema verbatim', async () => {
    env.sim.schedule('claude-opus-4-5', [{ fault: { kind: 'status', status: 503 } }]);
    try {
      const { data, response } = await askFor('claude-then-gpt', bounded);
      expect(response.headers.get('x-switchyard-target')).toContain('openai/gpt-4o-mini');
      expect(Person.parse(JSON.parse(data.choices[0]!.message.content!))).toBeTruthy();
      expect(upstreamBody('/v1/chat/completions').response_format.json_schema.schema).toEqual(bounded);
    } finally {
      env.sim.schedule('claude-opus-4-5', []);
    }
  });

  it('the simulated Anthropic API refuses what it refuses, in its words', async () => {
    const refusal = async (schema: Record<string, unknown>): Promise<[number, string]> => {
      const res = await fetch(`${env.sim.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 100,
          messages: [{ role: 'user', content: 'hi' }],
          output_config: { format: { type: 'json_schema', schema } },
        }),
      });
      return [res.status, ((await res.json()) as { error: { message: string } }).error.message];
    };
    expect(await refusal(bounded)).toEqual([
      400,
      "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false",
    ]);
    const closed = { ...bounded, properties: { age: bounded.properties.age }, additionalProperties: false };
    expect(await refusal(closed)).toEqual([
      400,
      "output_config.format.schema: For 'integer' type, properties maximum, minimum are not supported",
    ]);
  });
});

describe('simulated models behave like models', () => {
  const weather: OpenAI.Chat.ChatCompletionTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };

  it.each(ROUTES)('%s: an agent loop ends after one tool round trip', async (model) => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
    ];
    const first = await env.client.chat.completions.create({ model, messages, tools: [weather] });
    const call = first.choices[0]!.message.tool_calls?.[0];
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    if (call?.type !== 'function') throw new Error('expected a function call');
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
    const second = await env.client.chat.completions.create({ model, messages, tools: [weather] });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toBeTruthy();
    expect(second.choices[0]!.message.tool_calls ?? []).toHaveLength(0);
  });

  it.each(ROUTES)('%s: streamed, a tool call, then its result answered with text', async (model) => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Weather in Paris?' },
    ];
    const first = await env.client.chat.completions
      .stream({ model, messages, tools: [weather] })
      .finalChatCompletion();
    const call = first.choices[0]!.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' });
    const second = await env.client.chat.completions
      .stream({ model, messages, tools: [weather] })
      .finalChatCompletion();
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content).toBeTruthy();
  });

  it.each(ROUTES)(
    '%s: chat.completions.parse returns an object that satisfies the zod schema',
    async (model) => {
      const completion = await env.client.chat.completions.parse({
        model,
        messages: [{ role: 'user', content: 'Describe a person.' }],
        response_format: zodResponseFormat(Person, 'person'),
      });
      expect(Person.parse(completion.choices[0]!.message.parsed)).toBeTruthy();
    },
  );

  it.each(ROUTES)('%s: streamed, the JSON comes in pieces and satisfies the zod schema', async (model) => {
    const stream = await env.client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Describe a person.' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'person', schema: z.toJSONSchema(Person) as Record<string, unknown> },
      },
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) {
        text += piece;
        chunks++;
      }
    }
    expect(chunks).toBeGreaterThan(1);
    expect(Person.parse(JSON.parse(text))).toBeTruthy();
  });

  it.each(ROUTES)('%s: json_object returns a JSON object, the same for the same request', async (model) => {
    const ask = () =>
      env.client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Answer in JSON.' }],
        response_format: { type: 'json_object' },
      });
    const [a, b] = [await ask(), await ask()];
    const value = JSON.parse(a.choices[0]!.message.content!) as unknown;
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
  });
});
