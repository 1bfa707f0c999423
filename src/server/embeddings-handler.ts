import type { EmbeddingsRequest } from '../core/embeddings.js';
import { invalidRequest } from '../core/errors.js';
import type { RequestContext } from './app.js';
import { readJsonBody } from './body.js';
import { startModelCall } from './model-call.js';
import { estimateEmbeddingTokens } from '../keys/estimate.js';
import { metaHeaders, sendJson } from './respond.js';
import { captureCompletion, embeddingsInputText, embeddingsSummary } from './capture.js';

const isTokenArray = (v: unknown): boolean =>
  Array.isArray(v) && v.length > 0 && v.every((n) => Number.isInteger(n));

function validateEmbeddings(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || !b.model)
    throw invalidRequest("Missing required parameter: 'model'.", 'model');
  const input = b.input;
  const ok =
    (typeof input === 'string' && input.length > 0) ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((s) => typeof s === 'string' && s.length > 0) ||
        isTokenArray(input) ||
        input.every(isTokenArray)));
  if (!ok) {
    throw invalidRequest(
      "Invalid value for 'input': expected a non-empty string, an array of non-empty strings, or token arrays.",
      'input',
    );
  }
  if (b.encoding_format !== undefined && b.encoding_format !== 'float' && b.encoding_format !== 'base64') {
    throw invalidRequest(
      "Invalid value for 'encoding_format': expected 'float' or 'base64'.",
      'encoding_format',
    );
  }
  if (b.dimensions !== undefined && !(Number.isInteger(b.dimensions) && (b.dimensions as number) > 0)) {
    throw invalidRequest("Invalid value for 'dimensions': expected a positive integer.", 'dimensions');
  }
  return b as EmbeddingsRequest;
}

/** POST /v1/embeddings */
export async function handleEmbeddings(ctx: RequestContext): Promise<void> {
  const { req, res, deps } = ctx;
  const key = ctx.auth.authenticate(req.headers);
  const request = validateEmbeddings(await readJsonBody(req, deps.config.server));
  const call = startModelCall(ctx, key, request.model, 'embeddings', false);
  // store.capture (docs/observability.md): the input's text, and what the answer was (not its vectors).
  if (call.capture?.prompts)
    call.captured = { prompt: embeddingsInputText(request.input, call.capture.limit) };
  try {
    // The key's limits and budget (docs/keys.md): a 429 here never reaches a provider.
    const admitting = call.admit(() => estimateEmbeddingTokens(request));
    if (admitting) await admitting;
    const { response, meta } = await deps.engine.embed(call.run, request);
    if (!res.destroyed) sendJson(res, 200, response, { ...metaHeaders(meta), ...call.headers(meta) });
    if (call.capture?.completions) captureCompletion(call, embeddingsSummary(response));
    call.settle(200);
  } catch (error) {
    call.settle((error as { status?: number }).status ?? 500, error);
    throw error;
  }
}
