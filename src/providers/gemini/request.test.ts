import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat.js';
import { ApiError } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';
import { SKIP_SIGNATURE } from './contents.js';
import { geminiMajor } from './features.js';
import { geminiChatRequest } from './request.js';

const ctx: AttemptContext = {
  provider: {
    id: 'gemini',
    protocol: 'gemini',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    apiKey: 'AIzaSy-test-abcdefghijklmnop1234',
    headers: {},
    options: { authHeader: 'x-goog-api-key', authPrefix: '' },
  },
  model: 'gemini-2.5-flash',
  publicModel: 'fast',
  requestId: 'req-1',
  dropUnsupported: false,
};
const dropping: AttemptContext = { ...ctx, dropUnsupported: true };
const onModel = (model: string): AttemptContext => ({ ...ctx, model });

const body = (request: Partial<ChatRequest>, c: AttemptContext = ctx): Record<string, unknown> =>
  JSON.parse(geminiChatRequest({ model: 'fast', messages: hi, ...request }, c).body!) as Record<
    string,
    unknown
  >;

const user = (content: string) => ({ role: 'user' as const, content });
const hi = [user('hi')];
const userHi = { role: 'user', parts: [{ text: 'hi' }] };
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const refusal = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
};

describe('Gemini request: endpoint and headers', () => {
  it('posts to models/{model}:generateContent with the key in x-goog-api-key', () => {
    const spec = geminiChatRequest({ model: 'fast', messages: hi }, ctx);
    expect(spec.method).toBe('POST');
    expect(spec.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent',
    );
    expect(spec.headers).toEqual({
      'content-type': 'application/json',
      'x-goog-api-key': 'AIzaSy-test-abcdefghijklmnop1234',
    });
    expect(JSON.parse(spec.body!)).toEqual({ contents: [userHi] });
  });

  it('streams from :streamGenerateContent?alt=sse and keeps the provider query', () => {
    const c = {
      ...ctx,
      provider: { ...ctx.provider, options: { ...ctx.provider.options, query: { x: '1' } } },
    };
    const spec = geminiChatRequest({ model: 'fast', messages: hi, stream: true }, c);
    expect(spec.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&x=1',
    );
    expect(spec.headers.accept).toBe('text/event-stream');
    expect(spec.url).not.toContain('key=');
  });

  it('accepts resource names (models/…, tunedModels/…) as the upstream model', () => {
    expect(geminiChatRequest({ model: 'fast', messages: hi }, onModel('models/gemini-2.0-flash')).url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
    );
    expect(geminiChatRequest({ model: 'fast', messages: hi }, onModel('tunedModels/my-model')).url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/tunedModels/my-model:generateContent',
    );
  });
});

describe('Gemini request: messages', () => {
  const cases: { name: string; request: Partial<ChatRequest>; expected: Record<string, unknown> }[] = [
    {
      name: 'system and developer messages join systemInstruction, in order, wherever they are',
      request: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          user('hi'),
          { role: 'system', content: 'Never mention cats.' },
        ],
      },
      expected: {
        systemInstruction: {
          parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }, { text: 'Never mention cats.' }],
        },
        contents: [userHi],
      },
    },
    {
      name: 'assistant turns are role model; consecutive turns of one role merge',
      request: {
        messages: [
          user('a'),
          user('b'),
          { role: 'assistant', content: 'c' },
          { role: 'assistant', content: [{ type: 'text', text: 'd' }] },
          user('e'),
        ],
      },
      expected: {
        contents: [
          { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
          { role: 'model', parts: [{ text: 'c' }, { text: 'd' }] },
          { role: 'user', parts: [{ text: 'e' }] },
        ],
      },
    },
    {
      name: 'a tool round trip: calls keep their ids, results get the name of the call they answer',
      request: {
        messages: [
          user('Weather in Paris and Rome?'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Paris"}' },
              },
              {
                id: 'toolu_2',
                type: 'function',
                function: { name: 'weather', arguments: '{"city":"Rome"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
          { role: 'tool', tool_call_id: 'toolu_2', content: 'sunny, 25C' },
          user('Thanks'),
        ],
      },
      expected: {
        contents: [
          { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
          {
            role: 'model',
            parts: [
              {
                functionCall: { name: 'weather', args: { city: 'Paris' }, id: 'call_1' },
                thoughtSignature: SKIP_SIGNATURE,
              },
              { functionCall: { name: 'weather', args: { city: 'Rome' }, id: 'toolu_2' } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { id: 'call_1', name: 'weather', response: { temp: 21 } } },
              { functionResponse: { id: 'toolu_2', name: 'weather', response: { result: 'sunny, 25C' } } },
              { text: 'Thanks' },
            ],
          },
        ],
      },
    },
    {
      name: 'empty arguments are an empty object; a JSON array result is sent as text',
      request: {
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'now', arguments: '' } }],
          },
          { role: 'tool', tool_call_id: 'c', content: [{ type: 'text', text: '[1,2]' }] },
        ],
      },
      expected: {
        contents: [
          {
            role: 'model',
            parts: [{ functionCall: { name: 'now', args: {}, id: 'c' }, thoughtSignature: SKIP_SIGNATURE }],
          },
          {
            role: 'user',
            parts: [{ functionResponse: { id: 'c', name: 'now', response: { result: '[1,2]' } } }],
          },
        ],
      },
    },
    {
      name: 'images: data URLs become inlineData, https URLs fileData with a MIME type from the extension',
      request: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?size=large' } },
              { type: 'image_url', image_url: { url: 'https://example.com/render' } },
            ],
          },
        ],
      },
      expected: {
        contents: [
          {
            role: 'user',
            parts: [
              { text: 'Compare' },
              { inlineData: { mimeType: 'image/png', data: PNG } },
              { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?size=large' } },
              { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/render' } },
            ],
          },
        ],
      },
    },
    {
      name: 'audio input and PDF files become inlineData',
      request: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
              {
                type: 'file',
                file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
              },
            ],
          },
        ],
      },
      expected: {
        contents: [
          {
            role: 'user',
            parts: [
              { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
              { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
            ],
          },
        ],
      },
    },
  ];

  it.each(cases)('$name', ({ request, expected }) => {
    expect(body(request)).toEqual(expected);
  });

  it('refuses bad tool-call JSON naming the field, and tool results for unknown calls', () => {
    const bad = refusal(() =>
      body({
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{' } }],
          },
        ],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.param).toBe('messages[0].tool_calls[0].function.arguments');
    const orphan = refusal(() => body({ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }));
    expect(orphan.param).toBe('messages[0].tool_call_id');
  });

  it('refuses http and file_id inputs unless the route drops them', () => {
    const http = {
      messages: [
        { role: 'user' as const, content: [{ type: 'image_url', image_url: { url: 'http://x/a.png' } }] },
      ],
    };
    expect(refusal(() => body(http)).message).toContain('gemini/gemini-2.5-flash');
    expect(body(http, dropping)).toEqual({ contents: [] });
    const fileId = {
      messages: [{ role: 'user' as const, content: [{ type: 'file', file: { file_id: 'file-1' } }] }],
    };
    expect(refusal(() => body(fileId)).code).toBe('unsupported_parameter');
  });
});

describe('Gemini request: tools', () => {
  const weather = {
    type: 'function' as const,
    function: {
      name: 'weather',
      description: 'Current weather',
      parameters: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
      strict: true,
    },
  };
  const declarations = {
    functionDeclarations: [
      {
        name: 'weather',
        description: 'Current weather',
        parametersJsonSchema: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
          additionalProperties: false,
        },
      },
    ],
  };

  it.each([
    [undefined, undefined],
    ['auto', { functionCallingConfig: { mode: 'AUTO' } }],
    ['none', { functionCallingConfig: { mode: 'NONE' } }],
    ['required', { functionCallingConfig: { mode: 'ANY' } }],
    [
      { type: 'function', function: { name: 'weather' } },
      { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
    ],
  ] as const)('tool_choice %j → toolConfig %j', (choice, toolConfig) => {
    const request: Partial<ChatRequest> = { tools: [weather] };
    if (choice !== undefined) request.tool_choice = choice as ChatRequest['tool_choice'];
    const expected: Record<string, unknown> = { contents: [userHi], tools: [declarations] };
    if (toolConfig) expected.toolConfig = toolConfig;
    expect(body(request)).toEqual(expected);
  });

  it('declares a function without parameters with no schema', () => {
    expect(body({ tools: [{ type: 'function', function: { name: 'now' } }] }).tools).toEqual([
      { functionDeclarations: [{ name: 'now' }] },
    ]);
  });

  it('refuses parallel_tool_calls false and non-function tools unless dropped', () => {
    expect(refusal(() => body({ tools: [weather], parallel_tool_calls: false })).param).toBe(
      'parallel_tool_calls',
    );
    expect(body({ tools: [weather], parallel_tool_calls: false }, dropping).tools).toEqual([declarations]);
    const search = { type: 'web_search' } as unknown as ChatRequest['tools'] & object;
    expect(refusal(() => body({ tools: [search] as unknown as ChatRequest['tools'] })).param).toBe(
      'tools[0]',
    );
  });
});

describe('Gemini request: generation config', () => {
  it('maps sampling, length, stop, seed, n and penalties', () => {
    expect(
      body({
        max_tokens: 100,
        max_completion_tokens: 200,
        temperature: 1.5,
        top_p: 0.9,
        top_k: 40,
        stop: ['END', ''],
        seed: 7,
        n: 2,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        logprobs: true,
        top_logprobs: 3,
      }).generationConfig,
    ).toEqual({
      maxOutputTokens: 200,
      temperature: 1.5,
      topP: 0.9,
      topK: 40,
      stopSequences: ['END'],
      seed: 7,
      candidateCount: 2,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      responseLogprobs: true,
      logprobs: 3,
    });
    expect(body({ stop: 'x', n: 1, presence_penalty: 0 }).generationConfig).toEqual({ stopSequences: ['x'] });
  });

  it.each([
    [{ type: 'text' }, undefined],
    [{ type: 'json_object' }, { responseMimeType: 'application/json' }],
    [
      {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          strict: true,
          schema: { $schema: 'x', type: 'object', properties: { a: { type: 'integer' } } },
        },
      },
      {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { a: { type: 'integer' } } },
      },
    ],
  ] as const)('response_format %j → %j', (format, config) => {
    expect(body({ response_format: format as ChatRequest['response_format'] }).generationConfig).toEqual(
      config,
    );
  });

  it.each([
    ['gemini-2.5-flash', 'low', { thinkingBudget: 1024, includeThoughts: true }],
    ['gemini-2.5-flash', 'medium', { thinkingBudget: 8192, includeThoughts: true }],
    ['gemini-2.5-flash', 'high', { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-flash', 'none', { thinkingBudget: 0, includeThoughts: false }],
    ['gemini-2.5-pro', 'none', { thinkingBudget: 128, includeThoughts: false }],
    ['gemini-flash-latest', 'minimal', { thinkingBudget: 1024, includeThoughts: true }],
    ['gemini-3-flash-preview', 'minimal', { thinkingLevel: 'minimal', includeThoughts: true }],
    ['gemini-3-flash-preview', 'medium', { thinkingLevel: 'medium', includeThoughts: true }],
    ['gemini-3.1-pro-preview', 'minimal', { thinkingLevel: 'low', includeThoughts: true }],
    ['gemini-3.1-pro-preview', 'xhigh', { thinkingLevel: 'high', includeThoughts: true }],
  ])('%s reasoning_effort %s → thinkingConfig %j', (model, effort, thinkingConfig) => {
    expect(body({ reasoning_effort: effort }, onModel(model)).generationConfig).toEqual({ thinkingConfig });
  });

  it('rejects an unknown reasoning_effort whatever the route', () => {
    expect(refusal(() => body({ reasoning_effort: 'max' }, dropping)).param).toBe('reasoning_effort');
  });

  it('reads the Gemini major version from model names', () => {
    expect(geminiMajor('gemini-2.5-flash')).toBe(2);
    expect(geminiMajor('models/gemini-3-pro-preview')).toBe(3);
    expect(geminiMajor('gemini-3.1-flash-lite')).toBe(3);
    expect(geminiMajor('gemini-flash-latest')).toBeUndefined();
  });

  it('passes safety settings sent as safety_settings or safetySettings', () => {
    const settings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }];
    expect(body({ safety_settings: settings }).safetySettings).toEqual(settings);
    expect(body({ safetySettings: settings }).safetySettings).toEqual(settings);
    expect(refusal(() => body({ safety_settings: 'none' })).param).toBe('safety_settings');
  });
});

describe('Gemini request: unsupported parameters', () => {
  it.each([
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['audio', { audio: { voice: 'alloy', format: 'wav' } }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['prediction', { prediction: { type: 'content', content: 'x' } }],
    ['web_search_options', { web_search_options: {} }],
    ['logprobs', { logprobs: true, stream: true }],
  ])('%s → 400 naming the parameter and the target, or dropped', (param, extra) => {
    const error = refusal(() => body(extra));
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toContain('gemini/gemini-2.5-flash');
    expect(body(extra, dropping)).toEqual({ contents: [userHi] });
  });

  it('lets values that change nothing pass', () => {
    expect(body({ logit_bias: {}, modalities: ['text'], parallel_tool_calls: false, user: 'u1' })).toEqual({
      contents: [userHi],
    });
  });
});

describe('Gemini request: thought signatures of replayed tool calls', () => {
  const call = (id: string, extra?: object) => ({
    id,
    type: 'function' as const,
    function: { name: 'weather', arguments: '{}' },
    ...(extra ? { extra_content: extra } : {}),
  });
  const signatures = (calls: ReturnType<typeof call>[]): (string | undefined)[] => {
    const b = body({
      messages: [
        user('Weather?'),
        { role: 'assistant', content: null, tool_calls: calls },
        ...calls.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: 'sunny' })),
      ],
    });
    const model = (b.contents as { role: string; parts: { thoughtSignature?: string }[] }[])[1]!;
    return model.parts.map((p) => p.thoughtSignature);
  };
  const own = { google: { thought_signature: 'c2ln' }, switchyard: { origin: 'gemini/gemini-2.5-flash' } };

  it("this target's own signature goes back with its call; the parallel call without one stays without", () => {
    expect(signatures([call('a', own), call('b')])).toEqual(['c2ln', undefined]);
  });

  it("another target's signature is replaced by the documented skip value", () => {
    const foreign = { ...own, switchyard: { origin: 'vertex/gemini-2.5-flash' } };
    expect(signatures([call('a', foreign), call('b')])).toEqual([SKIP_SIGNATURE, undefined]);
  });

  it("a signature without an origin (Google's own OpenAI-compatible shape) is trusted", () => {
    expect(signatures([call('a', { google: { thought_signature: 'xyz' } })])).toEqual(['xyz']);
  });
});
