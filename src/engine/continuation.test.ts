import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/chat.js';
import type { StreamPart } from '../core/stream.js';
import {
  CONTINUE_INSTRUCTION,
  ContinuableSink,
  continuationRequest,
  OverlapTrimmer,
} from './continuation.js';
import type { StreamSink } from './types.js';

const request: ChatRequest = {
  model: 'm',
  messages: [{ role: 'user', content: 'Hi' }],
  stream: true,
  reasoning_effort: 'high',
};

describe('continuationRequest', () => {
  it('prefill: a trailing assistant message without its trailing whitespace, no reasoning', () => {
    const out = continuationRequest(request, { text: 'Hello world \n', tokensAtLeast: 2 }, 'prefill');
    expect(out.messages.at(-1)).toEqual({ role: 'assistant', content: 'Hello world' });
    expect(out.reasoning_effort).toBeUndefined();
    expect(out.stream).toBe(true);
  });

  it('prefill of whitespace only: no assistant message (nothing to prefill)', () => {
    expect(continuationRequest(request, { text: '  ', tokensAtLeast: 1 }, 'prefill').messages).toEqual(
      request.messages,
    );
  });

  it('prefix: the last assistant message carries prefix: true, the text exactly as sent', () => {
    const out = continuationRequest(request, { text: 'Hello ', tokensAtLeast: 1 }, 'prefix');
    expect(out.messages.at(-1)).toEqual({ role: 'assistant', content: 'Hello ', prefix: true });
  });

  it('instruction: the partial answer, then a user turn asking to continue', () => {
    const out = continuationRequest(request, { text: 'Hello', tokensAtLeast: 1 }, 'instruction');
    expect(out.messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });
});

describe("continuationRequest: the client's token cap", () => {
  it('counts what the client already got (at least a token a part), never below 1', () => {
    const capped = { ...request, max_tokens: 100, max_completion_tokens: 50 };
    const out = continuationRequest(capped, { text: 'a b c', tokensAtLeast: 3 }, 'instruction');
    expect([out.max_tokens, out.max_completion_tokens]).toEqual([97, 47]);
    const spent = continuationRequest(capped, { text: 'x', tokensAtLeast: 80 }, 'instruction');
    expect(spent.max_completion_tokens).toBe(1);
    expect(
      continuationRequest(request, { text: 'x', tokensAtLeast: 3 }, 'prefix').max_tokens,
    ).toBeUndefined();
  });
});

describe('OverlapTrimmer', () => {
  it('drops a repeated partial answer (a provider echoing the prefix), even in pieces', () => {
    const t = new OverlapTrimmer(['Hello wor', '']);
    expect(t.push('Hel')).toBe('');
    expect(t.push('lo wor')).toBe('');
    expect(t.push('ld')).toBe('ld');
    expect(t.push('!')).toBe('!');
  });

  it('drops the whitespace a prefill left out', () => {
    const t = new OverlapTrimmer(['Hello ', ' ']);
    expect(t.push(' world')).toBe('world');
  });

  it('lets through a continuation that repeats nothing, at once when it cannot be a repeat', () => {
    const t = new OverlapTrimmer(['Hello', '']);
    expect(t.push('world')).toBe('world');
  });

  it('flushes what it held when the continuation ends while still looking like a repeat', () => {
    const t = new OverlapTrimmer(['Hello', '']);
    expect(t.push('He')).toBe('');
    expect(t.flush()).toBe('He');
  });
});

class Recorder implements StreamSink {
  parts: StreamPart[] = [];
  ended: unknown[] = [];
  open(): void {}
  part(p: StreamPart): void {
    this.parts.push(p);
  }
  flush(): void {}
  end(summary?: unknown): void {
    this.ended.push(summary);
  }
  fail(): void {}
  drained(): undefined {
    return undefined;
  }
  text(): string {
    return this.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
  }
}

describe('ContinuableSink', () => {
  it('stitches a prefill continuation: no repeated whitespace, no second finish, reasoning dropped', () => {
    const out = new Recorder();
    const sink = new ContinuableSink(out);
    sink.part({ type: 'text', choice: 0, text: 'Hello ' });
    expect(sink.unresumable).toBeUndefined();
    sink.startSegment();
    sink.beginSegment('prefill');
    sink.part({ type: 'reasoning', choice: 0, text: 'hmm' });
    sink.part({ type: 'text', choice: 0, text: ' world' });
    sink.part({ type: 'finish', choice: 0, reason: 'stop' });
    sink.end();
    expect(out.text()).toBe('Hello world');
    expect(out.parts.filter((p) => p.type === 'finish')).toHaveLength(1);
    expect(out.parts.some((p) => p.type === 'reasoning')).toBe(false);
  });

  it('a cut after a tool call, in reasoning or in a refusal cannot be continued', () => {
    const tool = new ContinuableSink(new Recorder());
    tool.part({ type: 'text', choice: 0, text: 'Let me look' });
    tool.part({ type: 'tool-call', choice: 0, index: 0, id: 'c1', name: 'f', arguments: '{"q":' });
    expect(tool.unresumable).toBe('tool-call');
    const reasoning = new ContinuableSink(new Recorder());
    reasoning.part({ type: 'reasoning', choice: 0, text: 'thinking' });
    expect(reasoning.unresumable).toBe('reasoning');
    const refusal = new ContinuableSink(new Recorder());
    refusal.part({ type: 'refusal', choice: 0, text: 'I cannot' });
    expect(refusal.unresumable).toBe('refusal');
    const two = new ContinuableSink(new Recorder());
    two.part({ type: 'text', choice: 1, text: 'b' });
    expect(two.unresumable).toBe('choices');
  });

  it('a cut after the finish reason is complete: nothing to continue', () => {
    const sink = new ContinuableSink(new Recorder());
    sink.part({ type: 'text', choice: 0, text: 'Done.' });
    expect(sink.complete).toBe(false);
    sink.part({ type: 'finish', choice: 0, reason: 'stop' });
    expect(sink.complete).toBe(true);
  });
});
