import type { RequestContext } from './app.js';
import { readJsonBody } from './body.js';
import { startModelCall } from './model-call.js';
import { metaHeaders, sendJson } from './respond.js';
import { ChatChunkEncoder } from './sse-encoder.js';
import { SseResponseSink } from './stream-sink.js';
import { validateChatRequest } from './validate-chat.js';

/** POST /v1/chat/completions */
export async function handleChatCompletions(ctx: RequestContext): Promise<void> {
  const { req, res, deps, requestId } = ctx;
  const key = ctx.auth.authenticate(req.headers);
  const request = validateChatRequest(await readJsonBody(req, deps.config.server));
  const stream = request.stream === true;
  const call = startModelCall(ctx, key, request.model, 'chat', stream);
  let status = 200;
  try {
    if (stream) {
      const encoder = new ChatChunkEncoder(
        `chatcmpl-${requestId}`,
        call.route.name,
        Math.floor(Date.now() / 1000),
        request.stream_options?.include_usage === true,
        ctx.scrubber,
      );
      const sink = new SseResponseSink(res, encoder, call.headers, deps.config.server.clientStallMs);
      await deps.engine.stream({ ...call.run, request }, sink);
      // Cut for not reading: the client's doing, logged as nginx's 499 (client closed request).
      if (sink.clientStalled) status = 499;
    } else {
      const { completion, meta } = await deps.engine.complete({ ...call.run, request });
      if (!res.destroyed) sendJson(res, 200, completion, { ...metaHeaders(meta), ...call.headers(meta) });
    }
    call.settle(status);
  } catch (error) {
    call.settle((error as { status?: number }).status ?? 500, error);
    throw error;
  }
}
