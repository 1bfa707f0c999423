import { describe, expect, it } from 'vitest';
import { SseParser } from '../../core/sse.js';
import type { StreamPart } from '../../core/stream.js';
import type { AttemptContext } from '../types.js';
import { AnthropicStreamDecoder } from './stream.js';

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

function decode(sse: string): StreamPart[] {
  const parts: StreamPart[] = [];
  const decoder = new AnthropicStreamDecoder(ctx);
  const parser = new SseParser((e) => decoder.event(e, (p) => parts.push(p)));
  parser.push(sse);
  decoder.end((p) => parts.push(p));
  return parts;
}

/** One SSE event as the API sends it: the event name repeated as the data's `type`. */
const ev = (type: string, data: object = {}): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

const messageStart = (usage: object = { input_tokens: 25, output_tokens: 1 }) =>
  ev('message_start', {
    message: {
      id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5-20250929',
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  });
const textStart = (index: number) =>
  ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
const textDelta = (index: number, text: string) =>
  ev('content_block_delta', { index, delta: { type: 'text_delta', text } });
const stop = (index: number) => ev('content_block_stop', { index });
const messageDelta = (stopReason: string, usage: object = { output_tokens: 15 }) =>
  ev('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage });
const messageStop = ev('message_stop');
const ping = ev('ping');

describe('Anthropic stream decoder', () => {
  it('decodes a text stream, ignores pings, and ends with one finish and the merged usage', () => {
    const parts = decode(
      messageStart() +
        textStart(0) +
        ping +
        textDelta(0, 'Hello') +
        textDelta(0, '!') +
        stop(0) +
        messageDelta('end_turn') +
        messageStop,
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'Hello' },
      { type: 'text', choice: 0, text: '!' },
      { type: 'finish', choice: 0, reason: 'stop' },
      {
        type: 'usage',
        usage: {
          prompt_tokens: 25,
          completion_tokens: 15,
          total_tokens: 40,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    ]);
  });

  it('decodes tool_use blocks: id and name first, then the partial_json fragments, indexed among tool calls', () => {
    const parts = decode(
      messageStart({ input_tokens: 472, output_tokens: 2 }) +
        textStart(0) +
        textDelta(0, 'Okay, let me check.') +
        stop(0) +
        ev('content_block_start', {
          index: 1,
          content_block: {
            type: 'tool_use',
            id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
            name: 'get_weather',
            input: {},
          },
        }) +
        ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }) +
        ev('content_block_delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '{"location":' },
        }) +
        ev('content_block_delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: ' "San Francisco, CA"}' },
        }) +
        stop(1) +
        ev('content_block_start', {
          index: 2,
          content_block: { type: 'tool_use', id: 'toolu_02', name: 'now', input: {} },
        }) +
        stop(2) +
        messageDelta('tool_use', { output_tokens: 89 }) +
        messageStop,
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'Okay, let me check.' },
      {
        type: 'tool-call',
        choice: 0,
        index: 0,
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        arguments: '',
      },
      { type: 'tool-call', choice: 0, index: 0, arguments: '{"location":' },
      { type: 'tool-call', choice: 0, index: 0, arguments: ' "San Francisco, CA"}' },
      { type: 'tool-call', choice: 0, index: 1, id: 'toolu_02', name: 'now', arguments: '' },
      { type: 'tool-call', choice: 0, index: 1, arguments: '{}' },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
      {
        type: 'usage',
        usage: {
          prompt_tokens: 472,
          completion_tokens: 89,
          total_tokens: 561,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
    ]);
  });

  it('decodes thinking as reasoning, then each complete thinking block with its signature', () => {
    const parts = decode(
      messageStart() +
        ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }) +
        ev('content_block_delta', {
          index: 0,
          delta: { type: 'thinking_delta', thinking: 'I need to find the GCD of 1071 and 462.' },
        }) +
        ev('content_block_delta', {
          index: 0,
          delta: { type: 'thinking_delta', thinking: '\n\n1071 = 2 × 462 + 147' },
        }) +
        ev('content_block_delta', {
          index: 0,
          delta: {
            type: 'signature_delta',
            signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...',
          },
        }) +
        stop(0) +
        ev('content_block_start', {
          index: 1,
          content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix...' },
        }) +
        stop(1) +
        textStart(2) +
        textDelta(2, 'The GCD is 21.') +
        stop(2) +
        messageDelta('end_turn') +
        messageStop,
    );
    const origin = 'anthropic/claude-sonnet-4-5-20250929';
    expect(parts.slice(0, 6)).toEqual([
      { type: 'reasoning', choice: 0, text: 'I need to find the GCD of 1071 and 462.' },
      { type: 'reasoning', choice: 0, text: '\n\n1071 = 2 × 462 + 147' },
      {
        type: 'thinking-block',
        choice: 0,
        block: {
          type: 'thinking',
          thinking: 'I need to find the GCD of 1071 and 462.\n\n1071 = 2 × 462 + 147',
          signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...',
          origin,
        },
      },
      {
        type: 'thinking-block',
        choice: 0,
        block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix...', origin },
      },
      { type: 'text', choice: 0, text: 'The GCD is 21.' },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
  });

  it('takes cumulative usage from message_delta, including cache counts when it repeats them', () => {
    const parts = decode(
      messageStart({
        input_tokens: 10,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 5,
        output_tokens: 1,
      }) +
        textStart(0) +
        textDelta(0, 'x') +
        stop(0) +
        messageDelta('max_tokens', {
          input_tokens: 10,
          cache_read_input_tokens: 100,
          cache_creation_input_tokens: 5,
          output_tokens: 20,
        }) +
        messageStop,
    );
    expect(parts.slice(-2)).toEqual([
      { type: 'finish', choice: 0, reason: 'length' },
      {
        type: 'usage',
        usage: {
          prompt_tokens: 115,
          completion_tokens: 20,
          total_tokens: 135,
          prompt_tokens_details: { cached_tokens: 100 },
        },
      },
    ]);
  });

  it('turns the gateway’s json_object tool into text and finishes with stop', () => {
    const parts = decode(
      messageStart() +
        ev('content_block_start', {
          index: 0,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'switchyard_json_response', input: {} },
        }) +
        ev('content_block_delta', {
          index: 0,
          delta: { type: 'input_json_delta', partial_json: '{"name":' },
        }) +
        ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"Ada"}' } }) +
        stop(0) +
        messageDelta('tool_use') +
        messageStop,
    );
    expect(parts.slice(0, 3)).toEqual([
      { type: 'text', choice: 0, text: '{"name":' },
      { type: 'text', choice: 0, text: '"Ada"}' },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
  });

  const overloaded = `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`;

  it('classifies an error event before any output like an HTTP 529: retry, breaker', () => {
    const parts = decode(messageStart() + ping + overloaded);
    expect(parts).toEqual([
      {
        type: 'error',
        failure: {
          class: 'retry',
          reason: 'upstream_529',
          status: 503,
          type: 'api_error',
          code: 'overloaded_error',
          param: null,
          message: 'Overloaded',
          breaker: true,
        },
      },
    ]);
  });

  it('reports an error event after text as an error, and nothing after it', () => {
    const parts = decode(
      messageStart() + textStart(0) + textDelta(0, 'Hel') + overloaded + textDelta(0, 'lo') + messageStop,
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'Hel' },
      {
        type: 'error',
        failure: expect.objectContaining({ reason: 'upstream_529', class: 'retry', breaker: true }),
      },
    ]);
  });

  it.each([
    ['api_error', 'upstream_500', 'retry'],
    ['rate_limit_error', 'upstream_429', 'retry'],
    ['invalid_request_error', 'upstream_400', 'fatal'],
    ['some_new_error', 'upstream_500', 'retry'],
  ])('classifies an in-stream %s as %s', (type, reason, cls) => {
    const parts = decode(
      messageStart() +
        `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: 'm' } })}\n\n`,
    );
    expect(parts[0]).toMatchObject({ type: 'error', failure: { reason, class: cls } });
    expect((parts[0] as { failure: object }).failure).not.toHaveProperty('upstreamStatus');
  });

  it('reports a stream that ends without message_stop as cut, even after message_delta', () => {
    const parts = decode(
      messageStart() + textStart(0) + textDelta(0, 'Hel') + stop(0) + messageDelta('end_turn'),
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'Hel' },
      {
        type: 'error',
        failure: expect.objectContaining({ reason: 'stream_cut', class: 'retry', breaker: true }),
      },
    ]);
    expect(decode('')).toEqual([
      { type: 'error', failure: expect.objectContaining({ reason: 'stream_cut' }) },
    ]);
  });

  it('reports malformed JSON as malformed_chunk and stops', () => {
    const parts = decode(
      messageStart() +
        'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0,\n\n' +
        messageStop,
    );
    expect(parts).toEqual([
      { type: 'error', failure: expect.objectContaining({ reason: 'malformed_chunk' }) },
    ]);
  });

  it('ignores unknown event and delta types', () => {
    const parts = decode(
      messageStart() +
        ev('some_future_event', { foo: 1 }) +
        textStart(0) +
        ev('content_block_delta', { index: 0, delta: { type: 'citations_delta', citation: {} } }) +
        textDelta(0, 'ok') +
        stop(0) +
        messageDelta('end_turn') +
        messageStop,
    );
    expect(parts.map((p) => p.type)).toEqual(['text', 'finish', 'usage']);
  });
});
