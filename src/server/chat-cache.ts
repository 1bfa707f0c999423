/**
 * The response cache on the chat path (docs/caching.md): a hit is replayed, as JSON or as a stream
 * through the one SSE encoder (byte for byte what a live stream writes); a miss's answer is recorded
 * on its way to the client and stored once it is complete.
 */
import type { ChatRequest } from '../core/chat.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { StreamPart } from '../core/stream.js';
import { AnswerRecorder, answerParts, type CachedAnswer } from '../cache/answer.js';
import type { StoredValue } from '../cache/store.js';
import type { ResponseMeta, StreamSink, StreamSummary } from '../engine/types.js';
import type { RequestContext } from './app.js';
import { CaptureSink, captureCompletion, completionText } from './capture.js';
import type { ModelCall } from './model-call.js';
import { metaHeaders, sendJson } from './respond.js';
import { ChatChunkEncoder } from './sse-encoder.js';
import { SseResponseSink } from './stream-sink.js';

export const CACHE_HEADER = 'x-switchyard-cache';

/** The encoder of a chat stream, live or replayed: same id, model and `created` as the client expects. */
export function chatEncoder(ctx: RequestContext, request: ChatRequest, model: string): ChatChunkEncoder {
  return new ChatChunkEncoder(
    `chatcmpl-${ctx.requestId}`,
    model,
    Math.floor(Date.now() / 1000),
    request.stream_options?.include_usage === true,
    ctx.scrubber,
  );
}

/**
 * Answers from the cache, as JSON or as a stream (whichever the request asks for). A hit gets its own
 * id and `created`; `x-switchyard-target` names the target that originally answered, `age` the
 * entry's age in seconds. With store.capture, the replayed answer is captured as a live one is (a
 * stream's: the text its client was sent). Returns the status to log (499 when a streaming client left
 * or was cut).
 */
export async function replayCachedAnswer(
  ctx: RequestContext,
  call: ModelCall,
  request: ChatRequest,
  stored: StoredValue<CachedAnswer>,
): Promise<number> {
  const { res, deps } = ctx;
  const { completion, target } = stored.value;
  const meta = call.answeredFromCache(target, stored.ageMs);
  const hit = { [CACHE_HEADER]: 'hit', age: String(Math.floor(stored.ageMs / 1000)) };
  if (request.stream !== true) {
    const body = { ...completion, id: `chatcmpl-${ctx.requestId}`, created: Math.floor(Date.now() / 1000) };
    if (res.destroyed) return 499;
    sendJson(res, 200, body, { ...metaHeaders(meta), ...call.headers(meta), ...hit });
    if (call.capture?.completions) captureCompletion(call, completionText(completion, call.capture.limit));
    return 200;
  }
  const encoder = chatEncoder(ctx, request, call.route.name);
  const headers = (m: ResponseMeta, streaming: boolean): Record<string, string> => ({
    ...call.headers(m, streaming),
    ...hit,
  });
  const client = new SseResponseSink(res, encoder, headers, deps.config.server.clientStallMs);
  const tap = call.capture?.completions ? new CaptureSink(client, call.capture.limit) : undefined;
  const sink: StreamSink = tap ?? client;
  try {
    sink.open(meta);
    for (const part of answerParts(completion)) {
      sink.part(part);
      const drained = sink.drained();
      if (drained) await drained;
      // The client left or was cut for not reading: nginx's 499 (client closed request).
      if (res.destroyed) return 499;
    }
    sink.end();
    return 200;
  } finally {
    if (tap) captureCompletion(call, tap.captured);
  }
}

/**
 * Relays a live stream to the client's sink and records the answer on the way. `answer()` is the
 * complete answer once the stream ended cleanly; nothing after an error event, a failure, a stream
 * continued after a cut (stitched from two targets), or an answer past `maxBytes`.
 */
export class RecordingSink implements StreamSink {
  private readonly recorder: AnswerRecorder;
  private target: string | undefined;
  private ended = false;

  constructor(
    private readonly inner: StreamSink,
    maxBytes: number,
  ) {
    this.recorder = new AnswerRecorder(maxBytes);
  }

  open(meta: ResponseMeta): void {
    this.target = meta.target;
    this.inner.open(meta);
  }

  part(part: StreamPart): void {
    this.recorder.add(part);
    this.inner.part(part);
  }

  flush(): void {
    this.inner.flush();
  }

  end(summary?: StreamSummary): void {
    if (summary?.continuations.length) this.recorder.abandon();
    else this.ended = true;
    this.inner.end(summary);
  }

  fail(failure: UpstreamFailure): void {
    this.recorder.abandon();
    this.inner.fail(failure);
  }

  drained(): Promise<void> | undefined {
    return this.inner.drained();
  }

  /** The recorded answer, when the stream ended cleanly. */
  answer(model: string): CachedAnswer | undefined {
    if (!this.ended || this.target === undefined) return undefined;
    const completion = this.recorder.completion(model);
    return completion && { completion, target: this.target };
  }
}
