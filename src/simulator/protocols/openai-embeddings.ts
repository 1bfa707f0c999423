/** `POST /v1/embeddings`: validation and deterministic unit vectors (float or base64 float32). */
import { embed } from '../embedding.js';
import { countWords } from '../text.js';
import type { ModelBehavior } from '../types.js';
import {
  expectOneOf,
  expectRange,
  expectType,
  missing,
  readModel,
  rejectUnknown,
  type Json,
} from './openai-check.js';
import { InvalidRequest } from './openai-errors.js';
import type { Answer, Headers } from './types.js';

export interface EmbeddingsRequest {
  model: string;
  /** Each input as text (token arrays are joined with spaces), and its token count. */
  inputs: Array<{ key: string; tokens: number }>;
  base64: boolean;
  dimensions: number | null;
}

const MAX_DIMENSIONS = 3_072;
const KNOWN = new Set(['input', 'model', 'encoding_format', 'dimensions', 'user']);

const isTokenArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.length > 0 && value.every((t) => Number.isInteger(t) && (t as number) >= 0);

function invalidInput(): InvalidRequest {
  return new InvalidRequest(
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
  );
}

function readInputs(input: unknown): EmbeddingsRequest['inputs'] {
  if (input === undefined || input === null) throw missing('input');
  if (typeof input === 'string') {
    if (input === '') throw invalidInput();
    return [{ key: input, tokens: countWords(input) }];
  }
  if (!Array.isArray(input) || input.length === 0 || input.length > 2048) throw invalidInput();
  if (isTokenArray(input)) return [{ key: input.join(' '), tokens: input.length }];
  return input.map((item) => {
    if (typeof item === 'string' && item !== '') return { key: item, tokens: countWords(item) };
    if (isTokenArray(item)) return { key: item.join(' '), tokens: item.length };
    throw invalidInput();
  });
}

export function validateEmbeddingsRequest(body: Json): EmbeddingsRequest {
  const model = readModel(body);
  rejectUnknown(body, KNOWN);
  const inputs = readInputs(body.input);
  if (body.encoding_format !== undefined && body.encoding_format !== null) {
    expectOneOf(body.encoding_format, ['float', 'base64'], 'encoding_format');
  }
  if (body.dimensions !== undefined && body.dimensions !== null)
    // As the API does: a model's vectors have at most 3072 dimensions (it crashed on 1e308).
    expectRange(body.dimensions, 'dimensions', true, 1, MAX_DIMENSIONS);
  if (body.user !== undefined && body.user !== null) expectType(body.user, 'string', 'user');
  return {
    model,
    inputs,
    base64: body.encoding_format === 'base64',
    dimensions: (body.dimensions ?? null) as number | null,
  };
}

export function embeddingsAnswer(
  request: EmbeddingsRequest,
  behavior: ModelBehavior,
  headers: Headers,
): Answer {
  const dimensions = request.dimensions ?? behavior.embeddingDimensions;
  const data = request.inputs.map((input, index) => {
    const vector = embed(request.model, input.key, dimensions);
    const embedding = request.base64
      ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
      : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  const tokens = request.inputs.reduce((sum, input) => sum + input.tokens, 0);
  const body = {
    object: 'list',
    data,
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
  return { kind: 'json', headers, body: JSON.stringify(body), tokens: 1 };
}
