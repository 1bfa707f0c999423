import type { EmbeddingsRequest } from '../core/embeddings.js';
import { forbidden, invalidRequest, modelNotFound } from '../core/errors.js';
import { CLIENT_TIMEOUT_HEADER, parseClientTimeout } from '../resilience/deadline.js';
import type { RequestContext } from './app.js';
import { readJsonBody } from './body.js';
import { metaHeaders, sendJson } from './respond.js';

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
  const { req, res, deps, requestId } = ctx;
  const key = ctx.auth.authenticate(req.headers);
  const request = validateEmbeddings(await readJsonBody(req, deps.config.server.bodyLimitBytes));
  const route = deps.config.routes.get(request.model);
  if (!route) throw modelNotFound(request.model);
  if (key?.models && !key.models.has(route.name)) {
    throw forbidden(`The key "${key.name}" may not use the model \`${route.name}\`.`);
  }
  const timeout = parseClientTimeout(req.headers[CLIENT_TIMEOUT_HEADER], route.timeouts.requestMs);
  if (!timeout.ok) throw invalidRequest(timeout.message, CLIENT_TIMEOUT_HEADER);
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const { response, meta } = await deps.engine.embed(
    { route, requestId, signal: abort.signal, timeoutMs: timeout.timeoutMs },
    request,
  );
  if (!res.destroyed) sendJson(res, 200, response, metaHeaders(meta));
}
