import { describe, expect, it } from 'vitest';
import { ChatChunkEncoder } from './sse-encoder.js';

const decode = (s: string): unknown[] =>
  s
    .split('\n\n')
    .filter(Boolean)
    .map((line) => line.replace(/^data: /, ''))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));

describe('ChatChunkEncoder', () => {
  it('folds the role into the first chunk and ends with usage then [DONE]', () => {
    const e = new ChatChunkEncoder('chatcmpl-1', 'gpt-4o', 100, true);
    const out =
      e.part({ type: 'text', choice: 0, text: 'Hi' }) +
      e.part({ type: 'text', choice: 0, text: '!' }) +
      e.part({ type: 'usage', usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }) +
      e.part({ type: 'finish', choice: 0, reason: 'stop' }) +
      e.end();
    const [first, second, finish, usage, done] = decode(out) as Record<string, unknown>[];
    expect(first).toMatchObject({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      model: 'gpt-4o',
      created: 100,
    });
    expect(first!.choices).toEqual([
      { index: 0, delta: { role: 'assistant', content: 'Hi' }, logprobs: null, finish_reason: null },
    ]);
    expect(second!.choices).toEqual([
      { index: 0, delta: { content: '!' }, logprobs: null, finish_reason: null },
    ]);
    expect(finish!.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    expect(usage).toMatchObject({ choices: [], usage: { total_tokens: 5 } });
    expect(done).toBe('[DONE]');
  });

  it('writes each chunk exactly as serialising the whole chunk would, whatever the id and model hold', () => {
    const id = 'chatcmpl-"quoted"\\\u2028é';
    const model = 'org/model "x"\n\u0001😀';
    const e = new ChatChunkEncoder(id, model, 1733140000, false);
    const parts = [
      { type: 'text', choice: 0, text: 'a "b"\n' },
      { type: 'text', choice: 1, text: '\u2029' },
      { type: 'text', choice: 0, text: 'after the role: \u2028 "\\ \ud83d' },
      { type: 'text', choice: 1, text: '' },
      { type: 'text', choice: 1.5, text: 'not an index of ours' },
      { type: 'reasoning', choice: 0, text: 'r' },
      { type: 'tool-call', choice: 0, index: 0, id: 'call_1', name: 'f', arguments: '{"x":1}' },
      { type: 'finish', choice: 0, reason: 'stop' },
    ] as const;
    for (const part of parts) {
      const text = e.part(part);
      const choice = (decode(text)[0] as { choices: unknown[] }).choices[0];
      const whole = { id, object: 'chat.completion.chunk', created: 1733140000, model, choices: [choice] };
      expect(text).toBe(`data: ${JSON.stringify(whole)}\n\n`);
    }
  });

  it('omits the usage chunk unless the client asked for it', () => {
    const e = new ChatChunkEncoder('c', 'm', 1, false);
    e.part({ type: 'usage', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    expect(e.end()).toBe('data: [DONE]\n\n');
  });

  it('encodes tool-call deltas with id and name only on the first fragment', () => {
    const e = new ChatChunkEncoder('c', 'm', 1, false);
    const out =
      e.part({ type: 'tool-call', choice: 0, index: 0, id: 'call_1', name: 'get_weather', arguments: '' }) +
      e.part({ type: 'tool-call', choice: 0, index: 0, arguments: '{"city":' });
    const [a, b] = decode(out) as { choices: { delta: unknown }[] }[];
    expect(a!.choices[0]!.delta).toEqual({
      role: 'assistant',
      tool_calls: [
        { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
      ],
    });
    expect(b!.choices[0]!.delta).toEqual({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] });
  });

  it('writes errors as an OpenAI error event', () => {
    const text = new ChatChunkEncoder('c', 'm', 1, false).error({
      message: 'boom',
      type: 'api_error',
      code: 'stall_timeout',
      param: null,
    });
    expect(text).toBe(
      'data: {"error":{"message":"boom","type":"api_error","param":null,"code":"stall_timeout"}}\n\n',
    );
  });

  it('a continued answer: the last chunk says where, and its usage counts every attempt', () => {
    const summary = {
      continuations: [{ afterChars: 12, from: 'a/m', to: 'b/n', method: 'prefill', reason: 'stream_cut' }],
      usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29, estimated: true },
      costUsd: 0.5,
    };
    const withUsage = new ChatChunkEncoder('chatcmpl-1', 'gpt-4o', 100, true);
    withUsage.part({ type: 'usage', usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 } });
    const [last, done] = decode(withUsage.end(summary)) as Record<string, unknown>[];
    expect(last).toMatchObject({
      id: 'chatcmpl-1',
      model: 'gpt-4o',
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 9, total_tokens: 29 },
      switchyard: {
        continued: [{ after_chars: 12, from: 'a/m', to: 'b/n', method: 'prefill', reason: 'stream_cut' }],
        usage_estimated: true,
        cost_usd: 0.5,
      },
    });
    expect(done).toBe('[DONE]');
    // Without include_usage: the note still comes, without usage.
    const [note] = decode(new ChatChunkEncoder('c', 'm', 1, false).end(summary)) as Record<string, unknown>[];
    expect(note!.usage).toBeUndefined();
    expect(note!.switchyard).toBeDefined();
  });
});
