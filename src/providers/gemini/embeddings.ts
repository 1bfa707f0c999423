/**
 * OpenAI `/v1/embeddings` ↔ Gemini embeddings (ai.google.dev/api/embeddings):
 * - one input string → `POST models/{model}:embedContent` `{content: {parts: [{text}]}, outputDimensionality}`,
 *   answered by `{embedding: {values}}`;
 * - an array of strings → `POST models/{model}:batchEmbedContents` `{requests: [{model: 'models/{model}',
 *   content, outputDimensionality}]}`, answered by `{embeddings: [{values}]}` in request order;
 * - `dimensions` → outputDimensionality; the non-OpenAI extras `task_type` (or `taskType`) and `title`
 *   pass through; token-array inputs are refused (Gemini embeds text only).
 * The Gemini API reports no token usage for embeddings, so usage is 0 unless a `usageMetadata` with a
 * promptTokenCount appears; the gateway's own accounting must not treat 0 as a measured count.
 */
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/embeddings.js';
import { invalidRequest, transportFailure } from '../../core/errors.js';
import type { AttemptContext, UpstreamRequestSpec } from '../types.js';
import { UpstreamFailureError } from '../types.js';
import { geminiHeaders, modelName, modelUrl } from './request.js';
import type { ContentEmbedding, EmbedContentRequest } from './wire.js';

export function geminiEmbeddingsRequest(
  request: EmbeddingsRequest,
  ctx: AttemptContext,
): UpstreamRequestSpec {
  const input = request.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : [];
  if (texts.length === 0 || !texts.every((t): t is string => typeof t === 'string')) {
    throw invalidRequest(
      `\`input\` must be a string or a non-empty array of strings: ${ctx.provider.id}/${ctx.model} (Gemini API) embeds text, not token arrays.`,
      'input',
    );
  }
  const one = (text: string): EmbedContentRequest => {
    const req: EmbedContentRequest = { content: { parts: [{ text }] } };
    if (typeof request.dimensions === 'number') req.outputDimensionality = request.dimensions;
    const taskType = request.task_type ?? request.taskType;
    if (typeof taskType === 'string') req.taskType = taskType;
    if (typeof request.title === 'string') req.title = request.title;
    return req;
  };
  if (request.encoding_format === 'base64') BASE64_ATTEMPTS.add(ctx);
  else BASE64_ATTEMPTS.delete(ctx);
  const single = typeof input === 'string';
  const body = single
    ? one(input)
    : { requests: texts.map((text) => ({ model: modelName(ctx.model), ...one(text) })) };
  return {
    method: 'POST',
    url: modelUrl(ctx, single ? 'embedContent' : 'batchEmbedContents', {}),
    headers: geminiHeaders(ctx.provider),
    body: JSON.stringify(body),
  };
}

interface EmbedBody {
  embedding?: ContentEmbedding;
  embeddings?: ContentEmbedding[];
  usageMetadata?: { promptTokenCount?: number };
}

const invalid = (): UpstreamFailureError =>
  new UpstreamFailureError(
    transportFailure('invalid_upstream_response', 'The upstream returned an invalid embeddings response.'),
  );

/**
 * Attempts whose client asked for `encoding_format: base64`. Gemini always answers with floats, and
 * `embeddingsResponse` sees only the body and the attempt's context, not the request; the engine passes
 * the same context object to both calls of one attempt, so the request side marks it here. (Passing the
 * request to `embeddingsResponse` would make this unnecessary: see the module's report.)
 */
const BASE64_ATTEMPTS = new WeakSet<AttemptContext>();

/** The embeddings as OpenAI's list: floats, or base64 float32 LE when the attempt's client asked for it. */
export function geminiEmbeddingsResponse(body: string, ctx: AttemptContext): EmbeddingsResponse {
  let parsed: EmbedBody;
  try {
    parsed = JSON.parse(body) as EmbedBody;
  } catch {
    throw invalid();
  }
  const list = parsed?.embeddings ?? (parsed?.embedding ? [parsed.embedding] : undefined);
  if (!Array.isArray(list) || !list.every((e) => Array.isArray(e?.values))) throw invalid();
  const tokens = parsed.usageMetadata?.promptTokenCount;
  const used = typeof tokens === 'number' && tokens >= 0 ? tokens : 0;
  const base64 = BASE64_ATTEMPTS.has(ctx);
  return {
    object: 'list',
    data: list.map((e, index) => ({
      object: 'embedding',
      index,
      embedding: base64 ? base64Float32(e.values as number[]) : (e.values as number[]),
    })),
    model: ctx.publicModel,
    usage: { prompt_tokens: used, total_tokens: used },
  };
}

/** Floats → base64 of little-endian float32, OpenAI's `encoding_format: base64`. */
export function base64Float32(values: readonly number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString('base64');
}
