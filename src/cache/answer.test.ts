import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../core/stream.js';
import { AnswerRecorder, answerParts, isCompleteAnswer } from './answer.js';

const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };

describe('recording a stream', () => {
  it('assembles text, reasoning, tool calls, finish and usage per choice, and replays the same parts', () => {
    const parts: StreamPart[] = [
      { type: 'reasoning', choice: 0, text: 'think' },
      { type: 'text', choice: 0, text: 'Hel' },
      { type: 'text', choice: 1, text: 'B' },
      { type: 'text', choice: 0, text: 'lo' },
      { type: 'tool-call', choice: 0, index: 0, id: 'c1', name: 'f', arguments: '{"a"' },
      { type: 'tool-call', choice: 0, index: 0, arguments: ':1}' },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
      { type: 'finish', choice: 1, reason: 'stop' },
      { type: 'usage', usage },
    ];
    const recorder = new AnswerRecorder(1_000);
    for (const p of parts) recorder.add(p);
    const completion = recorder.completion('m')!;
    expect(completion.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Hello',
          reasoning_content: 'think',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        finish_reason: 'tool_calls',
      },
      { index: 1, message: { role: 'assistant', content: 'B' }, finish_reason: 'stop' },
    ]);
    expect(completion.usage).toEqual(usage);
    expect(isCompleteAnswer(completion)).toBe(true);
    expect(answerParts(completion)).toEqual([
      { type: 'reasoning', choice: 0, text: 'think' },
      { type: 'text', choice: 0, text: 'Hello' },
      { type: 'tool-call', choice: 0, index: 0, id: 'c1', name: 'f', arguments: '{"a":1}' },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
      { type: 'text', choice: 1, text: 'B' },
      { type: 'finish', choice: 1, reason: 'stop' },
      { type: 'usage', usage },
    ]);
  });

  it('gives up past maxBytes and after an error part', () => {
    const big = new AnswerRecorder(4);
    big.add({ type: 'text', choice: 0, text: 'hello' });
    big.add({ type: 'finish', choice: 0, reason: 'stop' });
    expect(big.completion('m')).toBeUndefined();
    const failed = new AnswerRecorder(100);
    failed.add({ type: 'text', choice: 0, text: 'hi' });
    failed.add({ type: 'error', failure: { message: 'x' } as never });
    expect(failed.completion('m')).toBeUndefined();
  });

  it('calls an answer complete only when every choice stopped or called tools', () => {
    const answer = (reasons: (string | null)[]) => ({
      id: '',
      object: 'chat.completion' as const,
      created: 0,
      model: 'm',
      choices: reasons.map((r, index) => ({
        index,
        message: { role: 'assistant' as const, content: 'x' },
        finish_reason: r as never,
      })),
    });
    expect(isCompleteAnswer(answer(['stop', 'tool_calls']))).toBe(true);
    expect(isCompleteAnswer(answer(['stop', 'length']))).toBe(false);
    expect(isCompleteAnswer(answer(['content_filter']))).toBe(false);
    expect(isCompleteAnswer(answer([null]))).toBe(false);
    expect(isCompleteAnswer(answer([]))).toBe(false);
  });
});
