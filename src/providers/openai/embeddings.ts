import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/embeddings.js';
import { transportFailure } from '../../core/errors.js';
import type { AttemptContext, UpstreamRequestSpec } from '../types.js';
import { UpstreamFailureError } from '../types.js';
import { authHeaders, upstreamUrl } from './request.js';

export function openAIEmbeddingsRequest(
  request: EmbeddingsRequest,
  ctx: AttemptContext,
): UpstreamRequestSpec {
  return {
    method: 'POST',
    url: upstreamUrl(ctx.provider, ctx.provider.options.embeddingsPath ?? '/embeddings', ctx.model),
    headers: authHeaders(ctx.provider),
    body: JSON.stringify({ ...request, model: ctx.model }),
  };
}

export function openAIEmbeddingsResponse(body: string, ctx: AttemptContext): EmbeddingsResponse {
  let parsed: Partial<EmbeddingsResponse> | undefined;
  try {
    parsed = JSON.parse(body) as Partial<EmbeddingsResponse>;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !Array.isArray(parsed.data)) {
    throw new UpstreamFailureError(
      transportFailure('invalid_upstream_response', 'The upstream returned an invalid embeddings response.'),
    );
  }
  return {
    object: 'list',
    data: parsed.data,
    model: ctx.publicModel,
    usage: parsed.usage ?? { prompt_tokens: 0, total_tokens: 0 },
  };
}
