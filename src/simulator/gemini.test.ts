/** The Gemini protocol, judged by the official `@google/genai` SDK (which targets `${baseUrl}/v1beta`). */
import { ApiError, FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Fault, type Simulator } from './index.js';

let sim: Simulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  sim = await startSimulator({ apiKey: 'AIza-test', defaultBehavior: { replyTokens: 6 } });
  ai = new GoogleGenAI({ apiKey: 'AIza-test', httpOptions: { baseUrl: sim.url } });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const model = 'gemini-2.5-flash';
const weather = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: {
    type: Type.OBJECT,
    properties: { city: { type: Type.STRING }, days: { type: Type.INTEGER } },
  },
};

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as ApiError,
  );
}

async function raw(path: string, body: unknown, key = 'AIza-test'): Promise<Response> {
  return fetch(`${sim.url}/v1beta/models/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
    body: JSON.stringify(body),
  });
}

function withFault(fault: Fault): void {
  sim.setBehavior('*', { fault });
}

const hi = 'hi';

describe('answers', () => {
  it('generateContent: candidates, usageMetadata, modelVersion, responseId', async () => {
    const response = await ai.models.generateContent({
      model,
      contents: hi,
      config: { systemInstruction: 'be brief', temperature: 0.5 },
    });
    expect(response.text).toBe('switchyard routes every request to a');
    expect(response.candidates?.[0]).toMatchObject({
      finishReason: 'STOP',
      index: 0,
      content: { role: 'model' },
    });
    expect(response.usageMetadata).toMatchObject({ candidatesTokenCount: 6 });
    expect(response.modelVersion).toBe(model);
    expect(response.responseId).toBeTruthy();
    expect(sim.stats(model).outcomes.ok).toBe(1);
  });

  it('maxOutputTokens gives MAX_TOKENS; candidateCount gives several candidates', async () => {
    const short = await ai.models.generateContent({ model, contents: hi, config: { maxOutputTokens: 2 } });
    expect(short.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    const many = await ai.models.generateContent({ model, contents: hi, config: { candidateCount: 2 } });
    expect(many.candidates).toHaveLength(2);
  });

  it('generateContentStream (alt=sse): text deltas, the last chunk with finishReason and usage', async () => {
    const chunks = [];
    for await (const chunk of await ai.models.generateContentStream({ model, contents: hi }))
      chunks.push(chunk);
    expect(chunks.map((c) => c.text ?? '').join('')).toBe('switchyard routes every request to a');
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(chunks.at(-1)?.usageMetadata?.candidatesTokenCount).toBe(6);
    const text = await (
      await raw(`${model}:streamGenerateContent?alt=sse`, { contents: [{ parts: [{ text: hi }] }] })
    ).text();
    expect(text.startsWith('data: {')).toBe(true);
    expect(text).not.toContain('[DONE]');
  });

  it('function calling: functionCall parts with args built from the schema', async () => {
    const response = await ai.models.generateContent({
      model,
      contents: hi,
      config: { tools: [{ functionDeclarations: [weather] }] },
    });
    expect(response.functionCalls).toEqual([
      { name: 'get_weather', args: { city: 'switchyard routes every', days: 1 } },
    ]);
    const none = await ai.models.generateContent({
      model,
      contents: hi,
      config: {
        tools: [{ functionDeclarations: [weather] }],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } },
      },
    });
    expect(none.functionCalls).toBeUndefined();
    const followUp = await ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ text: hi }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'x' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'clear' } } }] },
      ],
    });
    expect(followUp.text).toBeTruthy();
  });

  describe('thought signatures on function calls (Gemini 3 enforces them)', () => {
    const gemini3 = 'gemini-3-pro-preview';
    const config = { tools: [{ functionDeclarations: [weather] }] };
    const answer = {
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'clear' } } }],
    };
    const loop = async () => {
      const first = await ai.models.generateContent({ model: gemini3, contents: hi, config });
      return first.candidates![0]!.content!;
    };
    const followUp = (modelTurn: object) =>
      ai.models.generateContent({
        model: gemini3,
        contents: [{ role: 'user', parts: [{ text: hi }] }, modelTurn, answer],
        config,
      });

    it('the step as returned (with its signature) is accepted', async () => {
      const turn = await loop();
      expect(turn.parts![0]!.thoughtSignature).toMatch(/^Cs/);
      // Accepted: the function response is answered with text.
      expect((await followUp(turn)).text).toBeTruthy();
    });

    it('without its signature: 400 missing thought_signature; the skip value is accepted', async () => {
      const turn = await loop();
      const call = turn.parts![0]!.functionCall!;
      const e = await failure(followUp({ role: 'model', parts: [{ functionCall: call }] }));
      expect(e.status).toBe(400);
      expect(e.message).toContain('Function call is missing a thought_signature in functionCall parts');
      const skipped = { functionCall: call, thoughtSignature: 'skip_thought_signature_validator' };
      expect((await followUp({ role: 'model', parts: [skipped] })).text).toBeTruthy();
    });

    it('a signature it did not issue is refused', async () => {
      const turn = await loop();
      const forged = { functionCall: turn.parts![0]!.functionCall, thoughtSignature: 'Csforged' };
      const e = await failure(followUp({ role: 'model', parts: [forged] }));
      expect(e.status).toBe(400);
      expect(e.message).toContain('Thought signature is not valid');
    });
  });

  it('thinking: thought parts and thoughtsTokenCount with includeThoughts', async () => {
    const response = await ai.models.generateContent({
      model,
      contents: hi,
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const parts = response.candidates?.[0]?.content?.parts ?? [];
    expect(parts[0]?.thought).toBe(true);
    expect(response.usageMetadata?.thoughtsTokenCount).toBeGreaterThan(0);
    expect(response.text).toBe('switchyard routes every request to a');
  });

  it('embedContent (batchEmbedContents on the wire) and embedContent itself', async () => {
    const response = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['a', 'b'],
      config: { outputDimensionality: 8 },
    });
    expect(response.embeddings).toHaveLength(2);
    expect(response.embeddings?.[0]?.values).toHaveLength(8);
    const single = (await (
      await raw('gemini-embedding-001:embedContent', {
        content: { parts: [{ text: 'a' }] },
        outputDimensionality: 8,
      })
    ).json()) as {
      embedding: { values: number[] };
    };
    expect(single.embedding.values).toEqual(response.embeddings?.[0]?.values);
  });

  it('GET models', async () => {
    const pager = await ai.models.list();
    const names = [];
    for await (const m of pager) names.push(m.name);
    expect(names).toContain('models/gemini-2.5-flash');
  });
});

describe('auth and validation', () => {
  it('a wrong key is 400 API_KEY_INVALID, a missing one 403', async () => {
    const bad = new GoogleGenAI({ apiKey: 'wrong', httpOptions: { baseUrl: sim.url } });
    const e = await failure(bad.models.generateContent({ model, contents: hi }));
    expect(e.status).toBe(400);
    expect(e.message).toContain('API_KEY_INVALID');
    const missing = await raw(`${model}:generateContent`, { contents: [{ parts: [{ text: hi }] }] }, '');
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: { status: string } }).error.status).toBe('PERMISSION_DENIED');
  });

  const cases: Array<[string, unknown, string]> = [
    [
      'unknown top-level field',
      { contents: [{ parts: [{ text: hi }] }], stream: true },
      'Unknown name \\"stream\\": Cannot find field.',
    ],
    [
      'unknown nested field',
      { contents: [{ parts: [{ text: hi, role: 'user' }] }] },
      'Unknown name \\"role\\" at \'contents[0].parts[0]\'',
    ],
    ['empty contents', { contents: [] }, 'contents is not specified'],
    [
      'bad role',
      { contents: [{ role: 'assistant', parts: [{ text: hi }] }] },
      'Please use a valid role: user, model.',
    ],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, 'contents.parts must not be empty'],
    [
      'schema keyword',
      {
        contents: [{ parts: [{ text: hi }] }],
        tools: [
          {
            functionDeclarations: [
              { name: 'f', parameters: { type: 'OBJECT', additionalProperties: false } },
            ],
          },
        ],
      },
      'Unknown name \\"additionalProperties\\" at \'tools[0].function_declarations[0].parameters\'',
    ],
    [
      'function name',
      { contents: [{ parts: [{ text: hi }] }], tools: [{ functionDeclarations: [{ name: '1 bad' }] }] },
      'Invalid function name',
    ],
    [
      'temperature type',
      { contents: [{ parts: [{ text: hi }] }], generationConfig: { temperature: 'hot' } },
      "Invalid value at 'generation_config.temperature' (TYPE_FLOAT)",
    ],
    [
      'temperature range',
      { contents: [{ parts: [{ text: hi }] }], generationConfig: { temperature: 3 } },
      'generation_config.temperature',
    ],
    [
      'stop sequences',
      {
        contents: [{ parts: [{ text: hi }] }],
        generationConfig: { stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'] },
      },
      'stop_sequences',
    ],
    [
      'allowedFunctionNames without ANY',
      {
        contents: [{ parts: [{ text: hi }] }],
        toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['f'] } },
      },
      'allowed_function_names',
    ],
    [
      'orphan function response',
      { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] },
      'function response turn comes immediately after a function call turn',
    ],
  ];
  it.each(cases)('400 INVALID_ARGUMENT: %s', async (_name, body, message) => {
    const response = await raw(`${model}:generateContent`, body);
    const text = await response.text();
    expect(response.status).toBe(400);
    expect(text).toContain('"status": "INVALID_ARGUMENT"');
    expect(text).toContain(message);
  });

  it('a prompt over the context window: 400 INVALID_ARGUMENT with both token counts', async () => {
    sim.setBehavior(model, { contextWindow: 3 });
    const e = await failure(ai.models.generateContent({ model, contents: 'one two three four five' }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(400);
    expect(e.message).toContain(
      'The input token count (5) exceeds the maximum number of tokens allowed (3).',
    );
  });

  it('the SDK surfaces a 400 as ApiError', async () => {
    const e = await failure(ai.models.generateContent({ model, contents: hi, config: { temperature: 5 } }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(400);
  });
});

describe('faults', () => {
  it('429 RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo; per-day variant', async () => {
    withFault({ kind: 'status', status: 429 });
    const e = await failure(ai.models.generateContent({ model, contents: hi }));
    expect(e.status).toBe(429);
    const body = JSON.parse(e.message) as {
      error: { status: string; details: Array<Record<string, unknown>> };
    };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(body.error.details).toContainEqual({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: '7s',
    });
    expect(JSON.stringify(body)).toContain('PerMinute');
    withFault({ kind: 'status', status: 429, code: 'per-day' });
    const daily = await failure(ai.models.generateContent({ model, contents: hi }));
    expect(daily.message).toContain('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
  });

  it.each([
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'],
    [500, 'INTERNAL', 'An internal error has occurred'],
    [403, 'PERMISSION_DENIED', 'permission'],
    [404, 'NOT_FOUND', 'is not found for API version v1beta'],
    [400, 'INVALID_ARGUMENT', 'invalid argument'],
  ])('%i %s', async (status, name, message) => {
    withFault({ kind: 'status', status });
    const e = await failure(ai.models.generateContentStream({ model, contents: hi }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(status);
    expect(e.message).toContain(name);
    expect(e.message).toContain(message);
  });

  it('error-event: a data: {"error":…} chunk inside the 200 stream makes the SDK throw', async () => {
    withFault({ kind: 'error-event', afterChunks: 2, errorType: 'UNAVAILABLE' });
    const chunks: unknown[] = [];
    const e = await failure(
      (async () => {
        for await (const chunk of await ai.models.generateContentStream({ model, contents: hi }))
          chunks.push(chunk);
      })(),
    );
    expect(chunks).toHaveLength(2);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(503);
  });

  it('cut past the end: every text chunk, no finishReason, then the socket closes', async () => {
    withFault({ kind: 'cut', afterChunks: 1000 });
    const chunks: Array<{ candidates?: Array<{ finishReason?: string }> }> = [];
    const e = await failure(
      (async () => {
        for await (const chunk of await ai.models.generateContentStream({ model, contents: hi }))
          chunks.push(chunk);
      })(),
    );
    expect(e).toBeInstanceOf(Error);
    expect(chunks).toHaveLength(6);
    expect(chunks.some((c) => c.candidates?.[0]?.finishReason !== undefined)).toBe(false);
  });

  it('malformed, keepalive and stall', async () => {
    withFault({ kind: 'malformed', afterChunks: 1 });
    const malformed = await failure(
      (async () => {
        for await (const chunk of await ai.models.generateContentStream({ model, contents: hi })) void chunk;
      })(),
    );
    expect(malformed.message).toContain('JSON');
    withFault({ kind: 'keepalive', intervalMs: 10, durationMs: 40 });
    const text = await (
      await raw(`${model}:streamGenerateContent?alt=sse`, { contents: [{ parts: [{ text: hi }] }] })
    ).text();
    expect(text.startsWith(': keep-alive\n\n')).toBe(true);
    const kept = await ai.models.generateContent({ model, contents: hi });
    expect(kept.text).toBeTruthy();
    withFault({ kind: 'stall', afterChunks: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 60);
    const stalled = await failure(
      ai.models.generateContent({ model, contents: hi, config: { abortSignal: controller.signal } }),
    );
    expect(stalled).toBeInstanceOf(Error);
  });
});
