/**
 * The one interface every wire protocol implements. A protocol translates the canonical (OpenAI-shaped)
 * request into its own HTTP request, and parses its responses, streams and errors back. It knows nothing
 * of routing, retries or the HTTP server.
 */
import type { ChatCompletion, ChatRequest } from '../core/chat.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { SseEvent } from '../core/sse.js';
import type { PartSink } from '../core/stream.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

/** A provider account as the protocol needs it, resolved from configuration. */
export interface ProviderSettings {
  /** The name the config gives the provider, e.g. `openai` or `anthropic-eu`. */
  id: string;
  protocol: ProtocolName;
  /** Base URL including any version prefix, without a trailing slash, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** The provider's secret (with a key pool: its first key). Never logged, never returned to a client. */
  apiKey: string | undefined;
  /**
   * A key pool (`apiKeys`, two or more keys): attempts take one key each, and a rate limit or an
   * exhausted quota on one key moves the request to the next key (src/engine/key-pool.ts).
   */
  keyPool?: KeyPoolSettings;
  /** Extra headers sent with every request. */
  headers: Record<string, string>;
  /** Protocol options from the preset and the config (e.g. Azure's path template and api-version). */
  options: ProtocolOptions;
}

export type ProtocolName = 'openai' | 'anthropic' | 'gemini';

/** One key of a provider's key pool: the secret, and the label logs, traces and metrics name it by. */
export interface ProviderKey {
  secret: string;
  /** The configured `name`, or `key#N` (N: its 1-based position in `apiKeys`). Never the secret. */
  label: string;
}

/** `round-robin` spreads requests over the keys; `ordered` uses the first key not cooling down. */
export type KeySelection = 'round-robin' | 'ordered';

export interface KeyPoolSettings {
  keys: readonly ProviderKey[];
  selection: KeySelection;
}

/** Options a protocol reads; presets are data that fill these in. */
export interface ProtocolOptions {
  /** Path of the chat endpoint under baseUrl; `{model}` is replaced by the upstream model. */
  chatPath?: string;
  /** Path of the embeddings endpoint under baseUrl; `{model}` is replaced by the upstream model. */
  embeddingsPath?: string;
  /** Query parameters added to every request (e.g. Azure `api-version`). */
  query?: Record<string, string>;
  /** Header that carries the key, and the prefix before it (OpenAI: `authorization`, `Bearer `). */
  authHeader?: string;
  authPrefix?: string;
  /** Anthropic: the `anthropic-version` header value; default max_tokens when the client sends none. */
  apiVersion?: string;
  defaultMaxTokens?: number;
  /** Whether the upstream accepts `stream_options.include_usage` (OpenAI-compatible servers mostly do). */
  streamUsage?: boolean;
  /**
   * DeepSeek's thinking mode: every earlier assistant turn with tool calls must carry its
   * `reasoning_content` back. A history without it (a tool loop begun on another provider) is sent
   * with `thinking: {type: "disabled"}` instead of earning a 400.
   */
  reasoningReplay?: boolean;
  /**
   * How a stream cut mid-answer is continued on this provider (route option `continuation`):
   * `prefill` (a trailing assistant message is continued natively: Anthropic), `prefix` (the last
   * assistant message carries `prefix: true`: Mistral, DeepSeek), `instruction` (the partial answer
   * plus a user turn asking to continue it: less exact), `none` (skipped for continuations).
   */
  continuation?: ContinuationMethod;
  /** Base URL for continuation requests when it differs (DeepSeek's prefix completion is a beta: `/beta`). */
  continuationBaseUrl?: string;
}

export type ContinuationMethod = 'prefill' | 'prefix' | 'instruction' | 'none';

/** Everything a protocol needs to know about one attempt. */
export interface AttemptContext {
  provider: ProviderSettings;
  /** The upstream model name. */
  model: string;
  /** The public model name the client asked for; responses carry it. */
  publicModel: string;
  /** The gateway's request id, for upstream correlation headers. */
  requestId: string;
  /**
   * When true, parameters this target cannot honour are dropped (route option `dropUnsupportedParams`);
   * when false, the protocol throws a 400 ApiError naming the parameter and the target.
   */
  dropUnsupported: boolean;
  /**
   * Records what the translation changed about the request (a parameter dropped, thinking turned off);
   * the answer carries it in `x-switchyard-warnings`.
   */
  warn?: (warning: string) => void;
}

export interface UpstreamRequestSpec {
  method: 'GET' | 'POST';
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Parses one upstream stream, event by event, into canonical parts. Stateful: one per attempt. */
export interface StreamDecoder {
  event(event: SseEvent, emit: PartSink): void;
  /**
   * The upstream closed the stream. A stream that ended without its protocol's terminator (e.g. no
   * `[DONE]`, no `message_stop`) must emit an error part: a cut stream is never a clean end.
   */
  end(emit: PartSink): void;
}

export interface ChatProtocol {
  readonly name: ProtocolName;
  /** Throws ApiError (400) for a parameter the target cannot honour. */
  chatRequest(request: ChatRequest, ctx: AttemptContext): UpstreamRequestSpec;
  /** Parses a 2xx JSON body; throws UpstreamFailureError when it is not a valid response. */
  chatResponse(body: string, ctx: AttemptContext): ChatCompletion;
  streamDecoder(ctx: AttemptContext): StreamDecoder;
  /** Classifies a non-2xx response (body already read, possibly truncated). */
  classifyError(status: number, headers: HeaderMap, body: string, ctx: AttemptContext): UpstreamFailure;
  /** Embeddings, for protocols that have them. */
  embeddingsRequest?(request: EmbeddingsRequest, ctx: AttemptContext): UpstreamRequestSpec;
  embeddingsResponse?(body: string, ctx: AttemptContext): EmbeddingsResponse;
}

/** Thrown by protocols when a response cannot be understood. */
export class UpstreamFailureError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
    this.name = 'UpstreamFailureError';
  }
}

/**
 * The `provider/model` an attempt goes to, as the route names its target. Signed reasoning state
 * (Anthropic thinking blocks, Gemini thought signatures) is tagged with it and goes back only there.
 */
export function targetId(ctx: AttemptContext): string {
  return `${ctx.provider.id}/${ctx.model}`;
}
