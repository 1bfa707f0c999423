import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import { ApiError } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';
import { anthropicToolId } from './mapping.js';
import { anthropicChatRequest } from './request.js';
import { usesAdaptiveThinking } from './features.js';

const ctx: AttemptContext = {
  provider: {
    id: 'anthropic',
    protocol: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    apiKey: 'sk-ant-test-abcdefghijklmnop1234',
    headers: {},
    options: { authHeader: 'x-api-key', authPrefix: '', apiVersion: '2023-06-01', defaultMaxTokens: 4096 },
  },
  model: 'claude-sonnet-4-5-20250929',
  publicModel: 'smart',
  requestId: 'req-1',
  dropUnsupported: false,
};
const dropping: AttemptContext = { ...ctx, dropUnsupported: true };

const body = (request: Partial<ChatRequest>, c: AttemptContext = ctx): Record<string, unknown> =>
  JSON.parse(anthropicChatRequest({ model: 'smart', messages: [], ...request }, c).body!) as Record<
    string,
    unknown
  >;

const user = (content: string) => ({ role: 'user' as const, content });
const hi = [user('hi')];
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('Anthropic request: endpoint and headers', () => {
  it('posts to /messages with x-api-key, anthropic-version and the upstream model', () => {
    const spec = anthropicChatRequest({ model: 'smart', messages: hi, stream: true }, ctx);
    expect(spec.method).toBe('POST');
    expect(spec.url).toBe('https://api.anthropic.com/v1/messages');
    expect(spec.headers).toEqual({
      'content-type': 'application/json',
      'anthropic-version': '2023-06-01',
      'x-api-key': 'sk-ant-test-abcdefghijklmnop1234',
      accept: 'text/event-stream',
    });
    expect(JSON.parse(spec.body!)).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stream: true,
    });
  });

  it('lets provider headers add a beta flag and keeps the default version when the preset has none', () => {
    const c = {
      ...ctx,
      provider: { ...ctx.provider, headers: { 'anthropic-beta': 'x-2025' }, options: {} },
    };
    const spec = anthropicChatRequest({ model: 'smart', messages: hi }, c);
    expect(spec.headers['anthropic-version']).toBe('2023-06-01');
    expect(spec.headers['anthropic-beta']).toBe('x-2025');
    expect(spec.headers['x-api-key']).toBe(ctx.provider.apiKey);
    expect(spec.headers.accept).toBeUndefined();
  });
});

describe('Anthropic request: messages', () => {
  const cases: { name: string; request: Partial<ChatRequest>; expected: Record<string, unknown> }[] = [
    {
      name: 'system and developer messages join the top-level system, in order, wherever they are',
      request: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          user('hi'),
          { role: 'system', content: 'Never mention cats.' },
        ],
      },
      expected: {
        system: [
          { type: 'text', text: 'Be brief.' },
          { type: 'text', text: 'Answer in French.' },
          { type: 'text', text: 'Never mention cats.' },
        ],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      },
    },
    {
      name: 'consecutive same-role turns merge so roles alternate; empty text is skipped',
      request: {
        messages: [
          user('one'),
          user('two'),
          { role: 'assistant', content: 'a' },
          { role: 'assistant', content: [{ type: 'text', text: 'b' }] },
          { role: 'assistant', content: '' },
          user('three'),
        ],
      },
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'one' },
              { type: 'text', text: 'two' },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'user', content: [{ type: 'text', text: 'three' }] },
        ],
      },
    },
    {
      name: 'a tool round trip keeps the ids; several tool results and the next user text form one user turn',
      request: {
        messages: [
          user('Weather in Paris and Rome?'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_abc',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
              {
                id: 'toolu_01A09q90qw90lq917835lq9',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_abc', content: '18°C' },
          {
            role: 'tool',
            tool_call_id: 'toolu_01A09q90qw90lq917835lq9',
            content: [{ type: 'text', text: '24°C' }],
          },
          user('Which is warmer?'),
        ],
      },
      expected: {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { city: 'Paris' } },
              {
                type: 'tool_use',
                id: 'toolu_01A09q90qw90lq917835lq9',
                name: 'get_weather',
                input: { city: 'Rome' },
              },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'call_abc', content: '18°C' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_01A09q90qw90lq917835lq9',
                content: [{ type: 'text', text: '24°C' }],
              },
              { type: 'text', text: 'Which is warmer?' },
            ],
          },
        ],
      },
    },
    {
      name: 'assistant text before its tool calls; empty arguments mean no input',
      request: {
        messages: [
          user('time?'),
          {
            role: 'assistant',
            content: 'Let me check.',
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'now', arguments: '' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '' },
        ],
      },
      expected: {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'time?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Let me check.' },
              { type: 'tool_use', id: 'call_1', name: 'now', input: {} },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1' }] },
        ],
      },
    },
    {
      name: 'images: data URLs become base64 sources, https URLs url sources',
      request: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/a.jpg', detail: 'high' } },
              { type: 'text', text: 'Compare them.' },
            ],
          },
        ],
      },
      expected: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/a.jpg' } },
              { type: 'text', text: 'Compare them.' },
            ],
          },
        ],
      },
    },
  ];
  it.each(cases)('$name', ({ request, expected }) => {
    expect(body(request)).toEqual({ model: ctx.model, max_tokens: 4096, ...expected });
  });

  it('maps tool ids Anthropic would reject, consistently for the call and its result, without collisions', () => {
    const id = 'functions.get_weather:0';
    const b = body({
      messages: [
        user('x'),
        {
          role: 'assistant',
          tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: id, content: 'ok' },
      ],
    });
    const messages = b.messages as { content: { id?: string; tool_use_id?: string }[] }[];
    const useId = messages[1]!.content[0]!.id!;
    expect(useId).toMatch(/^functions_get_weather_0_[0-9a-f]{12}$/);
    expect(messages[2]!.content[0]!.tool_use_id).toBe(useId);
    expect(anthropicToolId('a.b')).not.toBe(anthropicToolId('a:b'));
    expect(anthropicToolId('call_abc-1')).toBe('call_abc-1');
  });

  it('refuses tool-call arguments that are not a JSON object, naming the exact parameter', () => {
    const request = (args: string) => ({
      messages: [
        user('x'),
        {
          role: 'assistant' as const,
          tool_calls: [{ id: 'c', type: 'function' as const, function: { name: 'f', arguments: args } }],
        },
      ],
    });
    expect(() => body(request('{"a":'))).toThrowError(
      expect.objectContaining({ status: 400, param: 'messages[1].tool_calls[0].function.arguments' }),
    );
    expect(() => body(request('[1,2]'))).toThrowError(/must be a JSON object/);
  });

  it('refuses bad image URLs and unsupported image types with a 400 naming the part', () => {
    const image = (url: string) => ({
      messages: [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url } }] }],
    });
    expect(() => body(image('data:image/tiff;base64,AAAA'))).toThrowError(
      expect.objectContaining({ status: 400, param: 'messages[0].content[0].image_url.url' }),
    );
    expect(() => body(image('data:image/png,rawbytes'))).toThrowError(/base64 data URL/);
    expect(() => body(image('ftp://example.com/a.png'))).toThrowError(/http\(s\) URL/);
  });
});

describe('Anthropic request: parameters', () => {
  it('maps max_completion_tokens > max_tokens > defaultMaxTokens, sampling, stop and user', () => {
    expect(
      body({
        messages: hi,
        max_completion_tokens: 300,
        max_tokens: 200,
        temperature: 0.2,
        top_p: 0.9,
        stop: 'END',
        user: 'user-42',
      }),
    ).toEqual({
      model: ctx.model,
      max_tokens: 300,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
    });
    expect(body({ messages: hi, max_tokens: 200, stop: ['a', 'b'] })).toMatchObject({
      max_tokens: 200,
      stop_sequences: ['a', 'b'],
    });
    const noDefault = { ...ctx, provider: { ...ctx.provider, options: {} } };
    expect(body({ messages: hi }, noDefault).max_tokens).toBe(4096);
    const bigDefault = { ...ctx, provider: { ...ctx.provider, options: { defaultMaxTokens: 8000 } } };
    expect(body({ messages: hi }, bigDefault).max_tokens).toBe(8000);
  });

  it('clamps OpenAI temperatures above Anthropic’s maximum of 1', () => {
    expect(body({ messages: hi, temperature: 1.7 }).temperature).toBe(1);
    expect(body({ messages: hi, temperature: 0 }).temperature).toBe(0);
  });

  it('ignores unknown extra fields and harmless defaults', () => {
    const b = body({
      messages: hi,
      n: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      logprobs: false,
      store: true,
      some_future_field: { a: 1 },
    });
    expect(b).toEqual({
      model: ctx.model,
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  const unsupported: [string, Partial<ChatRequest>][] = [
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 3 }],
    ['seed', { seed: 7 }],
    ['presence_penalty', { presence_penalty: 0.5 }],
    ['frequency_penalty', { frequency_penalty: -0.5 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['audio', { audio: { voice: 'alloy', format: 'mp3' } }],
    [
      'messages[0].content[1]',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'hi' },
              { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            ],
          },
        ],
      },
    ],
    [
      'messages[0].content[1]',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'hi' },
              { type: 'file', file: { file_id: 'file-1' } },
            ],
          },
        ],
      },
    ],
  ];
  it.each(unsupported)('refuses %s with a 400 naming it and the target', (param, extra) => {
    let error: unknown;
    try {
      body({ messages: hi, ...extra });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      param,
      code: 'unsupported_parameter',
      type: 'invalid_request_error',
    });
    expect((error as ApiError).message).toContain('anthropic/claude-sonnet-4-5-20250929');
  });
  it.each(unsupported)('drops %s silently when the route drops unsupported parameters', (_param, extra) => {
    expect(body({ messages: hi, ...extra }, dropping)).toEqual({
      model: ctx.model,
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });
});

describe('Anthropic request: tools', () => {
  const tools: ChatRequest['tools'] = [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Get the current weather in a given location',
        parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      },
    },
    { type: 'function', function: { name: 'now' } },
  ];
  const anthropicTools = [
    {
      name: 'get_weather',
      description: 'Get the current weather in a given location',
      input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    },
    { name: 'now', input_schema: { type: 'object', properties: {} } },
  ];
  const choices: [string, Partial<ChatRequest>, unknown][] = [
    ['no tool_choice', {}, undefined],
    ['auto', { tool_choice: 'auto' }, { type: 'auto' }],
    ['none', { tool_choice: 'none' }, { type: 'none' }],
    ['required', { tool_choice: 'required' }, { type: 'any' }],
    [
      'named',
      { tool_choice: { type: 'function', function: { name: 'now' } } },
      { type: 'tool', name: 'now' },
    ],
    ['no parallel calls', { parallel_tool_calls: false }, { type: 'auto', disable_parallel_tool_use: true }],
    [
      'required, no parallel calls',
      { tool_choice: 'required', parallel_tool_calls: false },
      { type: 'any', disable_parallel_tool_use: true },
    ],
    [
      'named, no parallel calls',
      { tool_choice: { type: 'function', function: { name: 'now' } }, parallel_tool_calls: false },
      { type: 'tool', name: 'now', disable_parallel_tool_use: true },
    ],
    ['none, no parallel calls', { tool_choice: 'none', parallel_tool_calls: false }, { type: 'none' }],
  ];
  it.each(choices)('tool_choice: %s', (_name, extra, expected) => {
    const b = body({ messages: hi, tools, ...extra });
    expect(b.tools).toEqual(anthropicTools);
    expect(b.tool_choice).toEqual(expected);
  });

  it('sends no tool_choice without tools, and passes strict through', () => {
    expect(body({ messages: hi, tool_choice: 'required' }).tool_choice).toBeUndefined();
    const strict = body({
      messages: hi,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }],
    });
    // A strict tool's schema is in the structured-outputs subset: every object closed.
    expect(strict.tools).toEqual([
      { name: 'f', input_schema: { type: 'object', additionalProperties: false }, strict: true },
    ]);
  });

  it('refuses non-function tools (or drops them) and the gateway’s reserved tool name', () => {
    const custom = { messages: hi, tools: [{ type: 'custom', custom: { name: 'x' } } as never] };
    expect(() => body(custom)).toThrowError(expect.objectContaining({ param: 'tools[0]' }));
    expect(body(custom, dropping).tools).toBeUndefined();
    expect(() =>
      body({ messages: hi, tools: [{ type: 'function', function: { name: 'switchyard_json_response' } }] }),
    ).toThrowError(/reserved/);
  });
});

describe('Anthropic request: response_format', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string' } },
    required: ['name'],
    additionalProperties: false,
  };
  it('json_schema → structured outputs output_config.format, no beta header', () => {
    const spec = anthropicChatRequest(
      {
        model: 'smart',
        messages: hi,
        response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
      },
      ctx,
    );
    expect(JSON.parse(spec.body!)).toEqual({
      model: ctx.model,
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(spec.headers['anthropic-beta']).toBeUndefined();
  });

  it('json_object → one forced tool whose input is the answer', () => {
    expect(body({ messages: hi, response_format: { type: 'json_object' } })).toEqual({
      model: ctx.model,
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [
        {
          name: 'switchyard_json_response',
          description: 'Respond with a JSON object. Its input is your complete answer.',
          input_schema: { type: 'object' },
        },
      ],
      tool_choice: { type: 'tool', name: 'switchyard_json_response' },
    });
  });

  it('json_object with client tools is refused, or the format dropped', () => {
    const request = {
      messages: hi,
      response_format: { type: 'json_object' as const },
      tools: [{ type: 'function' as const, function: { name: 'f' } }],
    };
    expect(() => body(request)).toThrowError(expect.objectContaining({ param: 'response_format' }));
    const dropped = body(request, dropping);
    expect(dropped.tools).toEqual([{ name: 'f', input_schema: { type: 'object', properties: {} } }]);
    expect(dropped.tool_choice).toBeUndefined();
  });

  it('text is the default and adds nothing', () => {
    expect(body({ messages: hi, response_format: { type: 'text' } }).output_config).toBeUndefined();
  });
});

describe('Anthropic request: reasoning_effort', () => {
  it.each([
    ['minimal', 1024],
    ['low', 2048],
    ['medium', 8192],
    ['high', 16384],
  ])('%s → a thinking budget of %i tokens below max_tokens', (effort, budget) => {
    const b = body({ messages: hi, reasoning_effort: effort, max_completion_tokens: 64000 });
    expect(b.thinking).toEqual({ type: 'enabled', budget_tokens: budget });
    expect(b.max_tokens).toBe(64000);
  });

  it('raises max_tokens above the budget when it would not exceed it', () => {
    expect(body({ messages: hi, reasoning_effort: 'high' })).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 16384 },
      max_tokens: 16384 + 4096,
    });
    expect(body({ messages: hi, reasoning_effort: 'low', max_tokens: 2048 }).max_tokens).toBe(4096);
  });

  it('uses adaptive thinking with an effort level on Claude 4.6 and later', () => {
    const c = { ...ctx, model: 'claude-opus-4-6' };
    expect(
      body(
        {
          messages: hi,
          reasoning_effort: 'medium',
          response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
        },
        c,
      ),
    ).toEqual({
      model: 'claude-opus-4-6',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      thinking: { type: 'adaptive' },
      output_config: {
        format: { type: 'json_schema', schema: { type: 'object', additionalProperties: false } },
        effort: 'medium',
      },
    });
  });

  it.each([
    ['claude-opus-4-6', true],
    ['claude-sonnet-4-6', true],
    ['claude-sonnet-5', true],
    ['claude-fable-5-1', true],
    ['claude-opus-4-1-20250805', false],
    ['claude-sonnet-4-5-20250929', false],
    ['claude-haiku-4-5-20251001', false],
    ['claude-3-7-sonnet-20250219', false],
    ['my-deployment', false],
  ])('thinking form for %s: adaptive = %s', (model, adaptive) => {
    expect(usesAdaptiveThinking(model)).toBe(adaptive);
  });

  it('none sends no thinking; unknown values are a 400', () => {
    expect(body({ messages: hi, reasoning_effort: 'none' }).thinking).toBeUndefined();
    expect(() => body({ messages: hi, reasoning_effort: 'extreme' })).toThrowError(
      expect.objectContaining({ param: 'reasoning_effort' }),
    );
  });

  it('refuses thinking with a forced tool choice, or keeps the tool contract and drops the thinking', () => {
    const request = {
      messages: hi,
      reasoning_effort: 'low',
      tools: [{ type: 'function' as const, function: { name: 'f' } }],
      tool_choice: 'required' as const,
    };
    expect(() => body(request)).toThrowError(expect.objectContaining({ param: 'reasoning_effort' }));
    expect(() =>
      body({ messages: hi, reasoning_effort: 'low', response_format: { type: 'json_object' } }),
    ).toThrowError(expect.objectContaining({ param: 'reasoning_effort' }));
    const dropped = body(request, dropping);
    expect(dropped.thinking).toBeUndefined();
    expect(dropped.tool_choice).toEqual({ type: 'any' });
  });

  it('refuses sampling changes thinking does not allow, or drops them and keeps the thinking', () => {
    expect(() => body({ messages: hi, reasoning_effort: 'low', temperature: 0.3 })).toThrowError(
      expect.objectContaining({ param: 'temperature' }),
    );
    expect(() => body({ messages: hi, reasoning_effort: 'low', top_p: 0.5 })).toThrowError(
      expect.objectContaining({ param: 'top_p' }),
    );
    const dropped = body({ messages: hi, reasoning_effort: 'low', temperature: 0.3, top_p: 0.5 }, dropping);
    expect(dropped).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(dropped.temperature).toBeUndefined();
    expect(dropped.top_p).toBeUndefined();
    expect(body({ messages: hi, reasoning_effort: 'low', temperature: 1, top_p: 0.95 })).toMatchObject({
      temperature: 1,
      top_p: 0.95,
    });
  });
});

describe('Anthropic request: thinking blocks sent back', () => {
  const here = 'anthropic/claude-sonnet-4-5-20250929';
  const call = { id: 'toolu_01', type: 'function' as const, function: { name: 'f', arguments: '{}' } };
  const loop = (thinking_blocks: unknown) => [
    user('weather?'),
    { role: 'assistant' as const, content: null, tool_calls: [call], thinking_blocks },
    { role: 'tool' as const, tool_call_id: 'toolu_01', content: 'sunny' },
  ];
  const own = [
    { type: 'thinking', thinking: 'Let me check.', signature: 'sig-1', origin: here },
    { type: 'redacted_thinking', data: 'enc', origin: here },
  ];
  const assistantTurn = (b: Record<string, unknown>) =>
    (b.messages as { role: string; content: { type: string }[] }[])[1]!;

  it('go first in the assistant turn, verbatim without their origin, when the request thinks', () => {
    const b = body({ messages: loop(own) as ChatRequest['messages'], reasoning_effort: 'low' });
    expect(b.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(assistantTurn(b).content).toEqual([
      { type: 'thinking', thinking: 'Let me check.', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'enc' },
      { type: 'tool_use', id: 'toolu_01', name: 'f', input: {} },
    ]);
  });

  it('blocks without an origin (a client that built them) are trusted and sent', () => {
    const blocks = [{ type: 'thinking', thinking: 'x', signature: 'y' }];
    const b = body({ messages: loop(blocks) as ChatRequest['messages'], reasoning_effort: 'low' });
    expect(assistantTurn(b).content[0]).toEqual({ type: 'thinking', thinking: 'x', signature: 'y' });
  });

  it("another target's blocks are left out; a tool loop without thinking then runs without thinking", () => {
    const foreign = own.map((b) => ({ ...b, origin: 'bedrock/claude-sonnet-4-5' }));
    const b = body({ messages: loop(foreign) as ChatRequest['messages'], reasoning_effort: 'low' });
    expect(b.thinking).toBeUndefined();
    expect(b.max_tokens).toBe(4096);
    expect(assistantTurn(b).content.map((c) => c.type)).toEqual(['tool_use']);
  });

  it('a tool loop that started on another provider (no blocks) runs without thinking', () => {
    const b = body({ messages: loop(undefined) as ChatRequest['messages'], reasoning_effort: 'high' });
    expect(b.thinking).toBeUndefined();
  });

  it('a finished tool loop does not need its blocks: thinking stays on', () => {
    const messages = [
      ...loop(undefined),
      { role: 'assistant' as const, content: 'Sunny.' },
      user('and tomorrow?'),
    ];
    expect(body({ messages: messages as ChatRequest['messages'], reasoning_effort: 'low' }).thinking).toEqual(
      {
        type: 'enabled',
        budget_tokens: 2048,
      },
    );
  });

  it('are dropped when the request does not think', () => {
    const b = body({ messages: loop(own) as ChatRequest['messages'] });
    expect(b.thinking).toBeUndefined();
    expect(assistantTurn(b).content.map((c) => c.type)).toEqual(['tool_use']);
  });
});
