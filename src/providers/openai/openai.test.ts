import { describe, expect, it } from 'vitest';
import { SseParser } from '../../core/sse.js';
import type { StreamPart } from '../../core/stream.js';
import type { AttemptContext } from '../types.js';
import { classifyOpenAIError } from './errors.js';
import { openAIChatRequest } from './request.js';
import { OpenAIStreamDecoder } from './stream.js';

const ctx: AttemptContext = {
  provider: {
    id: 'openai',
    protocol: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    apiKey: 'sk-test-abcdefghijklmnop1234',
    headers: {},
    options: { chatPath: '/chat/completions' },
  },
  model: 'gpt-4o-2024-08-06',
  publicModel: 'gpt-4o',
  requestId: 'req-1',
  dropUnsupported: false,
};

function decode(sse: string): StreamPart[] {
  const parts: StreamPart[] = [];
  const decoder = new OpenAIStreamDecoder(ctx);
  const parser = new SseParser((e) => decoder.event(e, (p) => parts.push(p)));
  parser.push(sse);
  decoder.end((p) => parts.push(p));
  return parts;
}

const chunk = (body: object): string => `data: ${JSON.stringify(body)}\n\n`;

describe('OpenAI request', () => {
  it('sends the upstream model, the bearer key, and always asks for stream usage', () => {
    const spec = openAIChatRequest(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true },
      ctx,
    );
    expect(spec.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(spec.headers.authorization).toBe('Bearer sk-test-abcdefghijklmnop1234');
    expect(JSON.parse(spec.body!)).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      stream_options: { include_usage: true },
    });
  });

  it('leaves out the Anthropic thinking_blocks of assistant messages, and nothing else', () => {
    const assistant = {
      role: 'assistant' as const,
      content: 'Sunny.',
      reasoning_content: 'checked',
      thinking_blocks: [{ type: 'thinking' as const, thinking: 'checked', signature: 'sig' }],
    };
    const messages = [{ role: 'user' as const, content: 'hi' }, assistant];
    const sent = JSON.parse(openAIChatRequest({ model: 'gpt-4o', messages }, ctx).body!) as {
      messages: unknown[];
    };
    expect(sent.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Sunny.', reasoning_content: 'checked' },
    ]);
    expect(assistant.thinking_blocks).toHaveLength(1);
  });

  it("keeps a tool call's Google thought signature and leaves out the gateway's origin tag", () => {
    const call = (extra: object) => ({
      id: 'c1',
      type: 'function' as const,
      function: { name: 'f', arguments: '{}' },
      extra_content: extra,
    });
    const sent = (extra: object) =>
      (
        JSON.parse(
          openAIChatRequest(
            { model: 'gpt-4o', messages: [{ role: 'assistant', content: null, tool_calls: [call(extra)] }] },
            ctx,
          ).body!,
        ) as { messages: { tool_calls: object[] }[] }
      ).messages[0]!.tool_calls[0];
    expect(sent({ google: { thought_signature: 's' }, switchyard: { origin: 'g/m' } })).toEqual({
      id: 'c1',
      type: 'function',
      function: { name: 'f', arguments: '{}' },
      extra_content: { google: { thought_signature: 's' } },
    });
    expect(sent({ switchyard: { origin: 'g/m' } })).not.toHaveProperty('extra_content');
  });

  it('fills Azure-style deployment paths, api-version and the api-key header', () => {
    const azure = {
      ...ctx,
      provider: {
        ...ctx.provider,
        baseUrl: 'https://r.openai.azure.com/openai',
        options: {
          chatPath: '/deployments/{model}/chat/completions',
          query: { 'api-version': '2024-10-21' },
          authHeader: 'api-key',
          authPrefix: '',
        },
      },
    };
    const spec = openAIChatRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, azure);
    expect(spec.url).toBe(
      'https://r.openai.azure.com/openai/deployments/gpt-4o-2024-08-06/chat/completions?api-version=2024-10-21',
    );
    expect(spec.headers['api-key']).toBe('sk-test-abcdefghijklmnop1234');
    expect(spec.headers.authorization).toBeUndefined();
  });
});

describe('OpenAI stream decoder', () => {
  it('turns chunks into parts and keeps usage sent on the last content chunk', () => {
    const parts = decode(
      chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }) +
        chunk({ choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] }) +
        chunk({
          choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        }) +
        'data: [DONE]\n\n',
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'Hel' },
      { type: 'text', choice: 0, text: 'lo' },
      { type: 'finish', choice: 0, reason: 'stop' },
      { type: 'usage', usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } },
    ]);
  });

  it('reports a stream that ends without [DONE] as cut, never as a clean end', () => {
    const parts = decode(chunk({ choices: [{ index: 0, delta: { content: 'Hel' } }] }));
    expect(parts.at(-1)).toMatchObject({ type: 'error', failure: { reason: 'stream_cut', class: 'retry' } });
  });

  it('reports a malformed chunk and an in-stream error object as errors', () => {
    expect(decode('data: {"choices": [\n\n')[0]).toMatchObject({
      type: 'error',
      failure: { reason: 'malformed_chunk' },
    });
    const inStream = decode(chunk({ error: { message: 'The server had an error', type: 'server_error' } }));
    expect(inStream[0]).toMatchObject({ type: 'error', failure: { class: 'retry', breaker: true } });
  });

  it('decodes tool-call deltas and reasoning', () => {
    const parts = decode(
      chunk({ choices: [{ index: 0, delta: { reasoning_content: 'think' } }] }) +
        chunk({
          choices: [
            {
              index: 0,
              delta: {
                tool_calls: [
                  { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } },
                ],
              },
            },
          ],
        }) +
        chunk({
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
              finish_reason: 'tool_calls',
            },
          ],
        }) +
        'data: [DONE]\n\n',
    );
    expect(parts).toEqual([
      { type: 'reasoning', choice: 0, text: 'think' },
      { type: 'tool-call', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '' },
      { type: 'tool-call', choice: 0, index: 0, arguments: '{}' },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
  });
});

describe('OpenAI error classification', () => {
  const body = (error: object): string => JSON.stringify({ error });

  it.each([
    [
      429,
      {
        type: 'requests',
        code: 'rate_limit_exceeded',
        message: 'Rate limit reached. Please try again in 1.5s.',
      },
      'retry',
      'upstream_429',
    ],
    [
      429,
      { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota' },
      'failover',
      'upstream_quota',
    ],
    [
      503,
      { type: 'service_unavailable_error', code: 'server_is_overloaded', message: 'overloaded' },
      'retry',
      'upstream_503',
    ],
    [500, { type: 'server_error', message: 'The server had an error' }, 'retry', 'upstream_500'],
    [
      400,
      {
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        message: "This model's maximum context length is 128000 tokens.",
      },
      'context',
      'context_length',
    ],
    [
      400,
      { type: 'invalid_request_error', param: 'temperature', message: 'Invalid temperature' },
      'fatal',
      'upstream_400',
    ],
    [
      401,
      { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided' },
      'failover',
      'upstream_auth_401',
    ],
    [
      404,
      { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist' },
      'failover',
      'upstream_model_not_found',
    ],
  ])('HTTP %i %j → %s', (status, error, cls, reason) => {
    const failure = classifyOpenAIError(status, {}, body(error), ctx);
    expect(failure.class).toBe(cls);
    expect(failure.reason).toBe(reason);
  });

  it.each([
    [
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens. Please reduce the length of the messages.",
      8227,
    ],
    [
      "This model's maximum context length is 65536 tokens. However, you requested 70000 tokens (69000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
      70000,
    ],
    [
      'Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length',
      40000,
    ],
    ['Please reduce the length of the messages or completion.', undefined],
  ])('a context-length error states the size it needs: %s', (message, promptTokens) => {
    const failure = classifyOpenAIError(400, {}, body({ type: 'invalid_request_error', message }), ctx);
    expect(failure).toMatchObject({ class: 'context', code: 'context_length_exceeded', param: 'messages' });
    expect(failure.promptTokens).toBe(promptTokens);
  });

  it('reads the retry hint from headers first, then from the message', () => {
    const fromHeader = classifyOpenAIError(
      429,
      { 'retry-after-ms': '250' },
      body({ message: 'slow down', code: 'rate_limit_exceeded' }),
      ctx,
    );
    expect(fromHeader.retryAfterMs).toBe(250);
    const fromMessage = classifyOpenAIError(
      429,
      {},
      body({ message: 'Please try again in 1.5s.', code: 'rate_limit_exceeded' }),
      ctx,
    );
    expect(fromMessage.retryAfterMs).toBe(1500);
  });

  it('keeps an upstream 400 status and message for the client', () => {
    const failure = classifyOpenAIError(
      400,
      {},
      body({ message: 'Invalid temperature', type: 'invalid_request_error', param: 'temperature' }),
      ctx,
    );
    expect(failure).toMatchObject({
      status: 400,
      message: 'Invalid temperature',
      param: 'temperature',
      breaker: false,
    });
  });

  it('answers our own rejected key as a 502 (the key is scrubbed at the edge: test/secrets.test.ts)', () => {
    const echoed =
      'Incorrect API key provided: sk-te**********************1234. You can find your API key at …';
    const failure = classifyOpenAIError(401, {}, body({ message: echoed }), ctx);
    expect(failure.status).toBe(502);
  });
});
