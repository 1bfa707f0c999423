import { describe, expect, it } from 'vitest';
import type { AttemptContext } from '../types.js';
import { UpstreamFailureError } from '../types.js';
import { anthropicChatResponse } from './response.js';

const ctx: AttemptContext = {
  provider: {
    id: 'anthropic',
    protocol: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    apiKey: 'sk-ant-test-abcdefghijklmnop1234',
    headers: {},
    options: {},
  },
  model: 'claude-sonnet-4-5-20250929',
  publicModel: 'smart',
  requestId: 'req-1',
  dropUnsupported: false,
};

/** A Messages API response in the shape of the API reference's examples. */
const message = (fields: Record<string, unknown>): string =>
  JSON.stringify({
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 2095, output_tokens: 503 },
    ...fields,
  });

describe('Anthropic response', () => {
  it('turns a text message into a chat completion with a stable id and the public model', () => {
    const completion = anthropicChatResponse(message({}), ctx);
    expect(completion).toEqual({
      id: 'chatcmpl-msg_013Zva2CMHLNnXjNJJKqJ2EF',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'smart',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hi! My name is Claude.' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 2095,
        completion_tokens: 503,
        total_tokens: 2598,
        prompt_tokens_details: { cached_tokens: 0 },
      },
    });
  });

  it('joins text blocks and maps tool_use blocks to tool_calls with JSON arguments', () => {
    const completion = anthropicChatResponse(
      message({
        content: [
          { type: 'text', text: "I'll check " },
          { type: 'text', text: 'the weather.' },
          {
            type: 'tool_use',
            id: 'toolu_01A09q90qw90lq917835lq9',
            name: 'get_weather',
            input: { location: 'San Francisco, CA', unit: 'celsius' },
          },
          { type: 'tool_use', id: 'toolu_02B', name: 'now', input: {} },
        ],
        stop_reason: 'tool_use',
      }),
      ctx,
    );
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: "I'll check the weather.",
        tool_calls: [
          {
            id: 'toolu_01A09q90qw90lq917835lq9',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
          },
          { id: 'toolu_02B', type: 'function', function: { name: 'now', arguments: '{}' } },
        ],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
  });

  it('gives null content when the message is only tool calls', () => {
    const completion = anthropicChatResponse(
      message({
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }],
        stop_reason: 'tool_use',
      }),
      ctx,
    );
    expect(completion.choices[0]!.message.content).toBeNull();
  });

  it('puts thinking into reasoning_content, and every thinking block verbatim into thinking_blocks', () => {
    const completion = anthropicChatResponse(
      message({
        content: [
          {
            type: 'thinking',
            thinking: 'To approach this, let me think about ',
            signature: 'WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....',
          },
          {
            type: 'redacted_thinking',
            data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oLs9yTcMnKVf2wRpEGjH9XZaBt4UvDcPrQ...',
          },
          { type: 'thinking', thinking: 'the weather.', signature: 'x' },
          { type: 'text', text: 'Yes, there are infinitely many.' },
        ],
      }),
      ctx,
    );
    const origin = 'anthropic/claude-sonnet-4-5-20250929';
    expect(completion.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Yes, there are infinitely many.',
      reasoning_content: 'To approach this, let me think about the weather.',
      thinking_blocks: [
        {
          type: 'thinking',
          thinking: 'To approach this, let me think about ',
          signature: 'WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....',
          origin,
        },
        {
          type: 'redacted_thinking',
          data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oLs9yTcMnKVf2wRpEGjH9XZaBt4UvDcPrQ...',
          origin,
        },
        { type: 'thinking', thinking: 'the weather.', signature: 'x', origin },
      ],
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'length'],
    ['model_context_window_exceeded', 'length'],
    [null, 'stop'],
    ['some_future_reason', 'stop'],
  ])('stop_reason %s → finish_reason %s', (stopReason, finish) => {
    expect(anthropicChatResponse(message({ stop_reason: stopReason }), ctx).choices[0]!.finish_reason).toBe(
      finish,
    );
  });

  it('counts cache reads and writes in prompt_tokens and reports cache reads as cached_tokens', () => {
    const completion = anthropicChatResponse(
      message({
        usage: {
          input_tokens: 21,
          cache_creation_input_tokens: 188086,
          cache_read_input_tokens: 1000,
          output_tokens: 393,
        },
      }),
      ctx,
    );
    expect(completion.usage).toEqual({
      prompt_tokens: 21 + 188086 + 1000,
      completion_tokens: 393,
      total_tokens: 21 + 188086 + 1000 + 393,
      prompt_tokens_details: { cached_tokens: 1000 },
    });
  });

  it('turns the gateway’s json_object tool back into message text with finish stop', () => {
    const completion = anthropicChatResponse(
      message({
        content: [
          {
            type: 'tool_use',
            id: 'toolu_9',
            name: 'switchyard_json_response',
            input: { name: 'Ada', age: 36 },
          },
        ],
        stop_reason: 'tool_use',
      }),
      ctx,
    );
    expect(completion.choices[0]!.message).toEqual({ role: 'assistant', content: '{"name":"Ada","age":36}' });
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });

  it.each([
    ['not JSON', '{"id": "msg_1", "content": ['],
    ['not an object', '[]'],
    ['no content', JSON.stringify({ id: 'msg_1', type: 'message' })],
    [
      'an error body with a 2xx',
      JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'x' } }),
    ],
    ['a bad tool_use block', message({ content: [{ type: 'tool_use', input: {} }] })],
  ])('throws invalid_upstream_response for %s', (_name, body) => {
    let error: unknown;
    try {
      anthropicChatResponse(body, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpstreamFailureError);
    expect((error as UpstreamFailureError).failure).toMatchObject({
      reason: 'invalid_upstream_response',
      class: 'retry',
      status: 502,
    });
  });

  it('falls back to the gateway request id when the message has none', () => {
    expect(anthropicChatResponse(message({ id: undefined }), ctx).id).toBe('chatcmpl-req-1');
  });
});
