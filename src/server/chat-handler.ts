import type { RequestCache } from '../cache/response-cache.js';
import type { ChatRequest } from '../core/chat.js';
import type { ChatCall, ResponseMeta } from '../engine/types.js';
import type { RequestContext } from './app.js';
import { readJsonBody } from './body.js';
import { CACHE_HEADER, RecordingSink, chatEncoder, replayCachedAnswer } from './chat-cache.js';
import { startModelCall, type ModelCall } from './model-call.js';
import { metaHeaders, sendJson } from './respond.js';
import { SseResponseSink } from './stream-sink.js';
import { validateChatRequest } from './validate-chat.js';
import { estimateChatTokens } from '../keys/estimate.js';
import { CaptureSink, captureCompletion, completionText, promptText } from './capture.js';

/** POST /v1/chat/completions */
export async function handleChatCompletions(ctx: RequestContext): Promise<void> {
  const { req, res, deps } = ctx;
  const key = ctx.auth.authenticate(req.headers);
  const request = validateChatRequest(await readJsonBody(req, deps.config.server));
  const call = startModelCall(ctx, key, request.model, 'chat', request.stream === true);
  // The response cache (docs/caching.md), on routes that have one.
  const cache = deps.cache?.plan(call.route, key, request, req.headers['cache-control']);
  if (cache) call.cache = cache.outcome;
  if (call.capture?.prompts) call.captured = { prompt: promptText(request.messages, call.capture.limit) };
  let status = 200;
  try {
    // The key's limits and budget (docs/keys.md): a 429 here never reaches a provider.
    const admitting = call.admit(() => estimateChatTokens(request, deps.config.keysAdmin.defaultMaxTokens));
    if (admitting) await admitting;
    const stored = cache ? await cache.lookup() : undefined;
    if (stored) status = await replayCachedAnswer(ctx, call, request, stored);
    else if (request.stream === true) status = await relayStream(ctx, call, request, cache);
    else {
      const { completion, meta } = await deps.engine.complete(chatCall(call, request));
      // One object, completed in place (sendJson adds its own two): no spread per response.
      const headers = Object.assign(
        metaHeaders(meta),
        call.headers(meta),
        cache ? cacheHeader(cache) : undefined,
      );
      if (!res.destroyed) sendJson(res, 200, completion, headers);
      cache?.save({ completion, target: meta.target });
      if (call.capture?.completions) captureCompletion(call, completionText(completion, call.capture.limit));
    }
    call.settle(status);
  } catch (error) {
    call.settle((error as { status?: number }).status ?? 500, error);
    throw error;
  }
}

/** A live stream; its answer is recorded for the cache when the plan stores it. Returns the status to log. */
async function relayStream(
  ctx: RequestContext,
  call: ModelCall,
  request: ChatRequest,
  cache: RequestCache | undefined,
): Promise<number> {
  const { res, deps } = ctx;
  const headers = (meta: ResponseMeta, streaming: boolean): Record<string, string> => ({
    ...call.headers(meta, streaming),
    ...cacheHeader(cache),
  });
  const encoder = chatEncoder(ctx, request, call.route.name);
  const sink = new SseResponseSink(res, encoder, headers, deps.config.server.clientStallMs);
  // A stream carries no logprobs: its answer must not later answer a JSON request that asked for them.
  const recorder =
    cache?.stores && !request.logprobs ? new RecordingSink(sink, cache.maxEntryBytes) : undefined;
  const tap = call.capture?.completions ? new CaptureSink(recorder ?? sink, call.capture.limit) : undefined;
  await deps.engine.stream(chatCall(call, request), tap ?? recorder ?? sink);
  if (tap) captureCompletion(call, tap.captured);
  // Cut for not reading: the client's doing, logged as nginx's 499 (client closed request).
  if (sink.clientStalled) return 499;
  const answer = !res.destroyed && recorder?.answer(call.route.name);
  if (answer) cache?.save(answer);
  return 200;
}

const cacheHeader = (cache: RequestCache | undefined): Record<string, string> =>
  cache ? { [CACHE_HEADER]: cache.outcome } : {};

/** The engine's call: the model call's fields and the request, field by field (a spread adds a slow definition). */
function chatCall(call: ModelCall, request: ChatRequest): ChatCall {
  const { run } = call;
  return {
    request,
    route: run.route,
    requestId: run.requestId,
    cancel: run.cancel,
    timeoutMs: run.timeoutMs,
    routing: run.routing,
    onSettled: run.onSettled,
  };
}
