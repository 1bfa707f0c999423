import { describe, expect, it } from 'vitest';
import type { EmbeddingsRequest } from '../../core/embeddings.js';
import { ApiError } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';
import { UpstreamFailureError } from '../types.js';
import { base64Float32, geminiEmbeddingsRequest, geminiEmbeddingsResponse } from './embeddings.js';
import { geminiProtocol } from './index.js';

const attempt = (): AttemptContext => ({
  provider: {
    id: 'gemini',
    protocol: 'gemini',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    apiKey: 'AIzaSy-test-abcdefghijklmnop1234',
    headers: {},
    options: { authHeader: 'x-goog-api-key', authPrefix: '' },
  },
  model: 'gemini-embedding-001',
  publicModel: 'embed',
  requestId: 'req-1',
  dropUnsupported: false,
});

const request = (r: Partial<EmbeddingsRequest>, ctx = attempt()) =>
  geminiEmbeddingsRequest({ model: 'embed', input: 'x', ...r }, ctx);

describe('Gemini embeddings request', () => {
  it('embeds one string with :embedContent', () => {
    const spec = request({ input: 'Hello world', dimensions: 768 });
    expect(spec.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent',
    );
    expect(spec.headers['x-goog-api-key']).toBe('AIzaSy-test-abcdefghijklmnop1234');
    expect(JSON.parse(spec.body!)).toEqual({
      content: { parts: [{ text: 'Hello world' }] },
      outputDimensionality: 768,
    });
  });

  it('embeds an array with :batchEmbedContents, one request per string, with the model name', () => {
    const spec = request({ input: ['a', 'b'], task_type: 'RETRIEVAL_DOCUMENT' });
    expect(spec.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:batchEmbedContents',
    );
    expect(JSON.parse(spec.body!)).toEqual({
      requests: [
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'a' }] },
          taskType: 'RETRIEVAL_DOCUMENT',
        },
        {
          model: 'models/gemini-embedding-001',
          content: { parts: [{ text: 'b' }] },
          taskType: 'RETRIEVAL_DOCUMENT',
        },
      ],
    });
  });

  it.each([[[1, 2, 3]], [[[1, 2]]], [[]]])('refuses input %j with a 400', (input) => {
    expect(() => request({ input })).toThrowError(ApiError);
    try {
      request({ input });
    } catch (e) {
      expect((e as ApiError).status).toBe(400);
      expect((e as ApiError).param).toBe('input');
    }
  });
});

describe('Gemini embeddings response', () => {
  it('turns the single answer into an OpenAI list', () => {
    const ctx = attempt();
    request({ input: 'a' }, ctx);
    expect(geminiEmbeddingsResponse(JSON.stringify({ embedding: { values: [0.1, -0.2] } }), ctx)).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }],
      model: 'embed',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
  });

  it('keeps the batch order and encodes base64 float32 LE when the client asked for it', () => {
    const ctx = attempt();
    geminiProtocol.embeddingsRequest!({ model: 'embed', input: ['a', 'b'], encoding_format: 'base64' }, ctx);
    const body = JSON.stringify({ embeddings: [{ values: [1, 0.5] }, { values: [-2] }] });
    const response = geminiProtocol.embeddingsResponse!(body, ctx);
    expect(response.data).toEqual([
      { object: 'embedding', index: 0, embedding: base64Float32([1, 0.5]) },
      { object: 'embedding', index: 1, embedding: base64Float32([-2]) },
    ]);
    const bytes = Buffer.from(response.data[0]!.embedding as string, 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([1, 0.5]);
  });

  it('rejects a body without embeddings', () => {
    expect(() => geminiEmbeddingsResponse('{}', attempt())).toThrowError(UpstreamFailureError);
    expect(() => geminiEmbeddingsResponse('not json', attempt())).toThrowError(UpstreamFailureError);
  });
});
