import type { ChatCompletion, ChatRequest } from '../core/chat.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { StreamPart } from '../core/stream.js';
import type { Route } from '../config/types.js';
import type { TraceEntry } from '../core/trace.js';
import type { RequestRouting } from '../routing/router.js';
import type { CancelController } from '../core/cancel.js';

export type { TraceEntry };

/** What happened, told to the client in x-switchyard-* headers. */
export interface ResponseMeta {
  /** `provider/model` that answered (or last tried). */
  target: string;
  attempts: number;
  /** Why the answer did not come from the first target, when it did not. */
  fallbackReason?: string;
  /** The answering target's degradation tier, when it is not the first (premium) tier. */
  degradedTier?: number;
  /** What the answering target's translation changed about the request (x-switchyard-warnings). */
  warnings?: string[];
  /** Consensus routes: `<agreeing>/<answered>` votes behind the answer (x-switchyard-consensus). */
  consensus?: string;
  trace: readonly TraceEntry[];
}

export interface ChatCall {
  request: ChatRequest;
  route: Route;
  requestId: string;
  /**
   * The request's one controller: the caller aborts it when the client goes away, the engine when
   * the request's deadline passes (reason: DeadlineExceededError). One per request, not one per layer.
   */
  cancel: CancelController;
  /** The client's own deadline (x-switchyard-timeout-ms), already validated. */
  timeoutMs?: number;
  /** What the request and its key ask of routing: tier floor, region, pin/skip (docs/routing.md). */
  routing?: RequestRouting;
  /** Told what happened once the request is over, successful or not (request log, debug header). */
  onSettled?: (meta: ResponseMeta) => void;
}

/** Where a streamed answer goes once committed. Implemented by the HTTP layer. */
export interface StreamSink {
  /** The commit point: headers go out, with what happened so far. */
  open(meta: ResponseMeta): void;
  part(part: StreamPart): void;
  /**
   * Sends what was written so far now, not at the end of the current tick (the first token must not
   * wait while the rest of the upstream buffer it came in is relayed).
   */
  flush(): void;
  /** A clean end (`[DONE]`); `summary` when the answer was continued after a cut. */
  end(summary?: StreamSummary): void;
  /** A failure after the commit point: an error event and no `[DONE]`. */
  fail(failure: UpstreamFailure): void;
  /** A promise while the client is not reading fast enough; undefined when writes can go on. */
  drained(): Promise<void> | undefined;
}

/** Where a cut answer was continued (route option `continuation`). */
export interface ContinuationNote {
  /** Characters of choice 0's text the client had when the stream was cut. */
  afterChars: number;
  /** The target whose stream was cut, and the one that continued it. */
  from: string;
  to: string;
  method: string;
  /** Why `from`'s stream ended. */
  reason: string;
}

/** Said in the final chunk of a continued answer. */
export interface StreamSummary {
  continuations: ContinuationNote[];
  /** Every attempt's tokens together (the usage chunk of a continued answer). */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; estimated: boolean };
  /** Every attempt's cost together, USD, when a target has a price. */
  costUsd?: number;
}

export interface CompletionResult {
  completion: ChatCompletion;
  meta: ResponseMeta;
}
