import { forbidden, invalidRequest, modelNotFound } from '../core/errors.js';
import type { ChatCall } from '../engine/types.js';
import { CLIENT_TIMEOUT_HEADER, parseClientTimeout } from '../resilience/deadline.js';
import type { RequestContext } from './app.js';
import { readJsonBody } from './body.js';
import { metaHeaders, sendJson } from './respond.js';
import { ChatChunkEncoder } from './sse-encoder.js';
import { SseResponseSink } from './stream-sink.js';
import { validateChatRequest } from './validate-chat.js';

/** POST /v1/chat/completions */
export async function handleChatCompletions(ctx: RequestContext): Promise<void> {
  const { req, res, deps, requestId } = ctx;
  const key = ctx.auth.authenticate(req.headers);
  const request = validateChatRequest(await readJsonBody(req, deps.config.server.bodyLimitBytes));
  const route = deps.config.routes.get(request.model);
  if (!route) throw modelNotFound(request.model);
  if (key?.models && !key.models.has(route.name)) {
    throw forbidden(`The key "${key.name}" may not use the model \`${route.name}\`.`);
  }
  const timeout = parseClientTimeout(req.headers[CLIENT_TIMEOUT_HEADER], route.timeouts.requestMs);
  if (!timeout.ok) throw invalidRequest(timeout.message, CLIENT_TIMEOUT_HEADER);
  const { timeoutMs } = timeout;

  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const call: ChatCall = { request, route, requestId, signal: abort.signal, timeoutMs };

  if (request.stream) {
    const id = `chatcmpl-${requestId}`;
    const encoder = new ChatChunkEncoder(
      id,
      route.name,
      Math.floor(Date.now() / 1000),
      request.stream_options?.include_usage === true,
    );
    await deps.engine.stream(call, new SseResponseSink(res, encoder, {}));
    return;
  }
  const { completion, meta } = await deps.engine.complete(call);
  if (res.destroyed) return;
  sendJson(res, 200, completion, metaHeaders(meta));
}
