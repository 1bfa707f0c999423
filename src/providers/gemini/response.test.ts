import { describe, expect, it } from 'vitest';
import type { AttemptContext } from '../types.js';
import { UpstreamFailureError } from '../types.js';
import { openAIUsage, toolCallId } from './mapping.js';
import { geminiChatResponse } from './response.js';

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

const parse = (response: object) => geminiChatResponse(JSON.stringify(response), ctx);
const candidate = (parts: object[], finishReason = 'STOP', index = 0) => ({
  content: { parts, role: 'model' },
  finishReason,
  index,
});

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof UpstreamFailureError) return e.failure;
    throw e;
  }
  throw new Error('expected an UpstreamFailureError');
};

describe('Gemini response', () => {
  it('translates text, usage, id and model (the generateContent reference example shape)', () => {
    const completion = parse({
      candidates: [candidate([{ text: 'AI learns ' }, { text: 'patterns.' }])],
      usageMetadata: {
        promptTokenCount: 8,
        candidatesTokenCount: 12,
        totalTokenCount: 20,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: 8 }],
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'mAitaLmkHPPlz7IPvtfUqQ4',
    });
    expect(completion).toEqual({
      id: 'chatcmpl-mAitaLmkHPPlz7IPvtfUqQ4',
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'fast',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'AI learns patterns.' }, finish_reason: 'stop' },
      ],
      usage: {
        prompt_tokens: 8,
        completion_tokens: 12,
        total_tokens: 20,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('turns thought parts into reasoning_content and function calls into tool_calls', () => {
    const completion = parse({
      candidates: [
        candidate([
          { text: 'The user wants the weather.', thought: true },
          {
            functionCall: { id: 'fc-1', name: 'weather', args: { city: 'Paris' } },
            thoughtSignature: 'c2ln',
          },
          { functionCall: { name: 'weather', args: { city: 'Rome' } } },
        ]),
      ],
      responseId: 'r1',
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message).toEqual({
      role: 'assistant',
      content: null,
      reasoning_content: 'The user wants the weather.',
      tool_calls: [
        {
          id: 'fc-1',
          type: 'function',
          function: { name: 'weather', arguments: '{"city":"Paris"}' },
          // The thought signature goes back with the call, to this target only.
          extra_content: {
            google: { thought_signature: 'c2ln' },
            switchyard: { origin: 'gemini/gemini-2.5-flash' },
          },
        },
        {
          id: toolCallId(undefined, 'r1', 0, 1),
          type: 'function',
          function: { name: 'weather', arguments: '{"city":"Rome"}' },
        },
      ],
    });
    expect(choice.message.tool_calls![1]!.id).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it('gives stable generated ids for one response and distinct ones per position', () => {
    expect(toolCallId(undefined, 'r1', 0, 0)).toBe(toolCallId(undefined, 'r1', 0, 0));
    expect(toolCallId(undefined, 'r1', 0, 0)).not.toBe(toolCallId(undefined, 'r1', 0, 1));
    expect(toolCallId(undefined, undefined, 0, 0)).toMatch(/^call_[0-9a-f]{24}$/);
  });

  it('maps candidates to choices by index', () => {
    const completion = parse({
      candidates: [candidate([{ text: 'a' }], 'STOP', 0), candidate([{ text: 'b' }], 'MAX_TOKENS', 1)],
    });
    expect(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'a', 'stop'],
      [1, 'b', 'length'],
    ]);
  });

  it.each([
    ['STOP', 'stop'],
    ['MAX_TOKENS', 'length'],
    ['CONTINUATION', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['LANGUAGE', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['IMAGE_SAFETY', 'content_filter'],
    ['OTHER', 'content_filter'],
    ['TOO_MANY_TOOL_CALLS', 'stop'],
    ['FINISH_REASON_UNSPECIFIED', 'stop'],
    ['SOMETHING_NEW', 'stop'],
  ])('finishReason %s → %s', (reason, expected) => {
    expect(parse({ candidates: [candidate([{ text: 'x' }], reason)] }).choices[0]!.finish_reason).toBe(
      expected,
    );
  });

  it('gives a filtered candidate without content null content', () => {
    const choice = parse({ candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [] }] })
      .choices[0]!;
    expect(choice).toEqual({
      index: 0,
      message: { role: 'assistant', content: null },
      finish_reason: 'content_filter',
    });
  });

  it.each(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL'])(
    '%s is a retryable failure without breaker',
    (reason) => {
      expect(failure(() => parse({ candidates: [{ finishReason: reason, index: 0 }] }))).toMatchObject({
        class: 'retry',
        reason: 'upstream_malformed_tool_call',
        breaker: false,
      });
    },
  );

  it('answers a blocked prompt with one content_filter choice, not an error', () => {
    const completion = parse({
      promptFeedback: { blockReason: 'SAFETY', safetyRatings: [] },
      usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
    });
    expect(completion.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter' },
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 0, total_tokens: 9 });
    expect(completion.id).toBe('chatcmpl-req-1');
  });

  it('translates log probabilities', () => {
    const completion = parse({
      candidates: [
        {
          ...candidate([{ text: 'Hi' }]),
          logprobsResult: {
            topCandidates: [
              {
                candidates: [
                  { token: 'Hi', logProbability: -0.1 },
                  { token: 'Hey', logProbability: -2.5 },
                ],
              },
            ],
            chosenCandidates: [{ token: 'Hi', logProbability: -0.1 }],
          },
        },
      ],
    });
    expect(completion.choices[0]!.logprobs).toEqual({
      content: [
        {
          token: 'Hi',
          logprob: -0.1,
          bytes: [72, 105],
          top_logprobs: [
            { token: 'Hi', logprob: -0.1, bytes: [72, 105] },
            { token: 'Hey', logprob: -2.5, bytes: [72, 101, 121] },
          ],
        },
      ],
    });
  });

  it('rejects bodies that are not a response, and classifies an error object in a 2xx body', () => {
    expect(failure(() => geminiChatResponse('{"candidates": [', ctx)).reason).toBe(
      'invalid_upstream_response',
    );
    expect(failure(() => parse({})).reason).toBe('invalid_upstream_response');
    expect(
      failure(() => parse({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } })),
    ).toMatchObject({
      class: 'retry',
      reason: 'upstream_503',
      breaker: true,
    });
  });
});

describe('Gemini usage', () => {
  it('counts thoughts as completion, cached content inside the prompt, tool-use prompts as prompt', () => {
    expect(
      openAIUsage({
        promptTokenCount: 1000,
        cachedContentTokenCount: 800,
        toolUsePromptTokenCount: 50,
        candidatesTokenCount: 100,
        thoughtsTokenCount: 300,
        totalTokenCount: 1450,
      }),
    ).toEqual({
      prompt_tokens: 1050,
      completion_tokens: 400,
      total_tokens: 1450,
      prompt_tokens_details: { cached_tokens: 800 },
      completion_tokens_details: { reasoning_tokens: 300 },
    });
  });

  it('keeps total = prompt + completion when totalTokenCount disagrees', () => {
    expect(
      openAIUsage({ promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 99 }).total_tokens,
    ).toBe(15);
    expect(openAIUsage({ promptTokenCount: 10, totalTokenCount: 14 })).toMatchObject({
      completion_tokens: 4,
      total_tokens: 14,
    });
  });
});
