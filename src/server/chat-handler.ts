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
  const request = validateChatRequest(await readJsonBody(req, deps.config.server.bodyLimitBytes));
  const stream = request.stream === true;
  const call = startModelCall(ctx, key, request.model, 'chat', stream);
  try {
    if (stream) {
      const encoder = new ChatChunkEncoder(
        `chatcmpl-${requestId}`,
        call.route.name,
        Math.floor(Date.now() / 1000),
        request.stream_options?.include_usage === true,
        ctx.scrubber,
      );
      await deps.engine.stream({ ...call.run, request }, new SseResponseSink(res, encoder, call.headers));
    } else {
      const { completion, meta } = await deps.engine.complete({ ...call.run, request });
      if (!res.destroyed) sendJson(res, 200, completion, { ...metaHeaders(meta), ...call.headers(meta) });
    }
    call.settle(200);
  } catch (error) {
    call.settle((error as { status?: number }).status ?? 500, error);
    throw error;
  }
}
