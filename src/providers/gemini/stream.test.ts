import { describe, expect, it } from 'vitest';
import { SseParser } from '../../core/sse.js';
import type { StreamPart } from '../../core/stream.js';
import type { AttemptContext } from '../types.js';
import { toolCallId } from './mapping.js';
import { GeminiStreamDecoder } from './stream.js';

const ctx: AttemptContext = {
  provider: {
    id: 'gemini',
    protocol: 'gemini',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    apiKey: 'AIzaSy-test-abcdefghijklmnop1234',
    headers: {},
    options: {},
  },
  model: 'gemini-2.5-flash',
  publicModel: 'fast',
  requestId: 'req-1',
  dropUnsupported: false,
};

function decode(sse: string): StreamPart[] {
  const parts: StreamPart[] = [];
  const decoder = new GeminiStreamDecoder(ctx);
  const parser = new SseParser((e) => decoder.event(e, (p) => parts.push(p)));
  parser.push(sse);
  decoder.end((p) => parts.push(p));
  return parts;
}

/** One SSE event as the API frames it (CRLF line ends). */
const chunk = (body: object): string => `data: ${JSON.stringify(body)}\r\n\r\n`;
const text = (t: string, extra: object = {}, usage?: object) =>
  chunk({
    candidates: [{ content: { parts: [{ text: t }], role: 'model' }, index: 0, ...extra }],
    ...(usage ? { usageMetadata: usage } : {}),
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-1',
  });

describe('Gemini stream decoder', () => {
  it('emits text deltas, the finish, and the last usage once at the end', () => {
    const parts = decode(
      text('The', {}, { promptTokenCount: 8, totalTokenCount: 8 }) +
        text(' answer', {}, { promptTokenCount: 8, candidatesTokenCount: 2, totalTokenCount: 10 }) +
        text(
          '.',
          { finishReason: 'STOP' },
          { promptTokenCount: 8, candidatesTokenCount: 3, totalTokenCount: 11 },
        ),
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'The' },
      { type: 'text', choice: 0, text: ' answer' },
      { type: 'text', choice: 0, text: '.' },
      { type: 'finish', choice: 0, reason: 'stop' },
      {
        type: 'usage',
        usage: {
          prompt_tokens: 8,
          completion_tokens: 3,
          total_tokens: 11,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ]);
  });

  it('emits thought parts as reasoning and skips signature-only empty parts', () => {
    const parts = decode(
      chunk({
        candidates: [
          { content: { parts: [{ text: 'Thinking about it', thought: true }], role: 'model' }, index: 0 },
        ],
      }) +
        chunk({
          candidates: [
            { content: { parts: [{ text: '', thoughtSignature: 'c2ln' }], role: 'model' }, index: 0 },
          ],
        }) +
        text('Done', { finishReason: 'STOP' }),
    );
    expect(parts).toEqual([
      { type: 'reasoning', choice: 0, text: 'Thinking about it' },
      { type: 'text', choice: 0, text: 'Done' },
      { type: 'finish', choice: 0, reason: 'stop' },
    ]);
  });

  it('emits each function call as one complete tool-call part and finishes with tool_calls', () => {
    const parts = decode(
      chunk({
        candidates: [
          {
            content: {
              parts: [
                {
                  functionCall: { id: 'fc-1', name: 'weather', args: { city: 'Paris' } },
                  thoughtSignature: 'c2ln',
                },
                { functionCall: { name: 'weather', args: { city: 'Rome' } } },
              ],
              role: 'model',
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        responseId: 'resp-2',
      }),
    );
    expect(parts).toEqual([
      {
        type: 'tool-call',
        choice: 0,
        index: 0,
        id: 'fc-1',
        name: 'weather',
        arguments: '{"city":"Paris"}',
        extra: { google: { thought_signature: 'c2ln' }, switchyard: { origin: 'gemini/gemini-2.5-flash' } },
      },
      {
        type: 'tool-call',
        choice: 0,
        index: 1,
        id: toolCallId(undefined, 'resp-2', 0, 1),
        name: 'weather',
        arguments: '{"city":"Rome"}',
      },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ]);
  });

  it('keeps several candidates apart and ends cleanly only when all have finished', () => {
    const two = (a: object, b: object) =>
      chunk({
        candidates: [
          { content: { parts: [{ text: 'a' }], role: 'model' }, index: 0, ...a },
          { content: { parts: [{ text: 'b' }], role: 'model' }, index: 1, ...b },
        ],
      });
    const done = decode(two({}, {}) + two({ finishReason: 'STOP' }, { finishReason: 'MAX_TOKENS' }));
    expect(done.filter((p) => p.type === 'finish')).toEqual([
      { type: 'finish', choice: 0, reason: 'stop' },
      { type: 'finish', choice: 1, reason: 'length' },
    ]);
    const cut = decode(two({}, {}) + two({ finishReason: 'STOP' }, {}));
    expect(cut.at(-1)).toMatchObject({ type: 'error', failure: { reason: 'stream_cut' } });
  });

  it('reports a stream that closes before the finishReason, or sends nothing, as cut', () => {
    expect(decode(text('Hel')).at(-1)).toMatchObject({
      type: 'error',
      failure: { reason: 'stream_cut', class: 'retry', breaker: true },
    });
    expect(decode('')).toEqual([
      { type: 'error', failure: expect.objectContaining({ reason: 'stream_cut' }) },
    ]);
  });

  it('finishes a blocked prompt with content_filter', () => {
    const parts = decode(
      chunk({
        promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
        usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 },
      }),
    );
    expect(parts).toEqual([
      { type: 'finish', choice: 0, reason: 'content_filter' },
      { type: 'usage', usage: expect.objectContaining({ prompt_tokens: 5, completion_tokens: 0 }) },
    ]);
  });

  it('finishes a candidate blocked mid-answer with content_filter', () => {
    const parts = decode(text('Once upon') + chunk({ candidates: [{ finishReason: 'SAFETY', index: 0 }] }));
    expect(parts.at(-1)).toEqual({ type: 'finish', choice: 0, reason: 'content_filter' });
  });

  it('reports a malformed function call as a retryable failure', () => {
    const parts = decode(chunk({ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }] }));
    expect(parts).toEqual([
      {
        type: 'error',
        failure: expect.objectContaining({
          class: 'retry',
          reason: 'upstream_malformed_tool_call',
          breaker: false,
        }),
      },
    ]);
  });

  it('classifies an error object inside the stream like the HTTP error', () => {
    const parts = decode(
      text('Hel') +
        chunk({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }) +
        text('lo'),
    );
    expect(parts).toEqual([
      { type: 'text', choice: 0, text: 'Hel' },
      {
        type: 'error',
        failure: expect.objectContaining({ class: 'retry', reason: 'upstream_503', breaker: true }),
      },
    ]);
    const quota = decode(
      chunk({ error: { code: 429, message: 'Resource exhausted.', status: 'RESOURCE_EXHAUSTED' } }),
    );
    expect(quota[0]).toMatchObject({ type: 'error', failure: { reason: 'upstream_429' } });
    expect((quota[0] as { failure: { upstreamStatus?: number } }).failure.upstreamStatus).toBeUndefined();
  });

  it('reports malformed JSON as malformed_chunk and stops', () => {
    expect(decode('data: {"candidates": [\r\n\r\n' + text('x', { finishReason: 'STOP' }))).toEqual([
      { type: 'error', failure: expect.objectContaining({ reason: 'malformed_chunk' }) },
    ]);
  });
});
