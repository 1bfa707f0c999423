/**
 * Public types of the provider simulator. The simulator is written from the providers' API
 * references and shares no type with the gateway: if both used one parser, passing tests would
 * prove nothing.
 */

/** A fault answered with an HTTP error status, in the protocol's real error shape. */
export interface StatusFault {
  kind: 'status';
  /** Any HTTP status, in the protocol's real error shape (Anthropic: 529 overloaded_error; Gemini: google.rpc.Status). */
  status: number;
  /**
   * Error code. For a 429 on the OpenAI protocol: `rate_limit_exceeded` (default) or
   * `insufficient_quota` (out of credits: a 429 that must not be retried). Anthropic: put in
   * `error.details.error_code` (e.g. `enforced_spend_limit_reached`, no retry-after). Gemini:
   * `per-day` for the daily quota (QuotaFailure `GenerateRequestsPerDayPerProjectPerModel-FreeTier`).
   */
  code?: string;
  /** Replaces the realistic default message. */
  message?: string;
  /** `retry-after` header, in seconds (Gemini: also the RetryInfo `retryDelay`, default 7 s). */
  retryAfterSeconds?: number;
  /** `retry-after-ms` header (OpenAI), in milliseconds. */
  retryAfterMs?: number;
  /** For a rate-limit 429: which limit was hit; decides the error `type` and the headers at 0. */
  limit?: 'requests' | 'tokens';
}

/** Accept the request and never answer: no headers, no body, the socket stays open. */
export interface HangFault {
  kind: 'hang';
}

/** Destroy the socket after `latencyMs`, before any response header. */
export interface ResetFault {
  kind: 'reset';
}

/** Destroy the socket after N stream chunks (no terminator). Non-streaming: body cut mid-JSON. */
export interface CutFault {
  kind: 'cut';
  afterChunks: number;
}

/** After N chunks, the protocol's in-stream error event inside the 200 stream, then the end. */
export interface ErrorEventFault {
  kind: 'error-event';
  afterChunks: number;
  message?: string;
  /**
   * Error type in the event: OpenAI `server_error` (default); Anthropic `overloaded_error` (default);
   * Gemini a status name, `INTERNAL` (default) or e.g. `UNAVAILABLE`.
   */
  errorType?: string;
  code?: string | null;
}

/**
 * A hostile upstream that echoes the API key it received (whole, masked two ways, cut) in every field
 * of its error. `json`: an error of `status` (default 400) in the protocol's shape, the key in each
 * field the protocol has (OpenAI message, type, code, param; Anthropic type, message,
 * details.error_code; Gemini message, status, ErrorInfo reason). `text`: a 1000-character text/plain
 * body of `status` with the key starting at character `at` (default 490). `event`: after `afterChunks`
 * chunks of a 200 stream, the protocol's in-stream error event carrying the key in the same fields
 * (non-streaming requests get the `json` form, as a 500).
 */
export interface EchoKeyFault {
  kind: 'echo-key';
  form: 'json' | 'text' | 'event';
  status?: number;
  at?: number;
  afterChunks?: number;
}

/** After N chunks, an event whose data is not JSON, then the stream goes on and ends normally. */
export interface MalformedFault {
  kind: 'malformed';
  afterChunks: number;
}

/**
 * 200 headers, then only keep-alive comments (`: keep-alive`; Anthropic: `event: ping` frames, its
 * own keep-alive) every `intervalMs` — blank lines for
 * non-streaming requests, as DeepSeek does — for `durationMs` (then the normal answer follows) or
 * forever when `durationMs` is absent.
 */
export interface KeepaliveFault {
  kind: 'keepalive';
  intervalMs: number;
  durationMs?: number;
}

/** After N chunks, stop sending and keep the socket open. Non-streaming: half the body, then silence. */
export interface StallFault {
  kind: 'stall';
  afterChunks: number;
}

/**
 * A 200 answer that does not stop where it should: what a broken or hostile upstream can send.
 * - `json` (non-streaming): a JSON body padded with whitespace after its opening `{`. With `bytes`, a
 *   complete, valid answer of about that size (a huge answer); without, the padding never ends.
 * - `line` (streaming): `data: {"` and then one line that never ends (no newline, ever).
 * - `data` (streaming): `data:` lines of filler, never the blank line that would end the event.
 * A streaming request given `json` gets `line`; a non-streaming one given `line` or `data` gets `json`.
 * `bytes` bounds the filler (then a stream just ends); absent, it goes on until the client leaves.
 * The simulator writes at the pace the client reads (back-pressure), so it never buffers the flood.
 */
export interface FloodFault {
  kind: 'flood';
  shape: 'json' | 'line' | 'data';
  bytes?: number;
}

export type Fault =
  | FloodFault
  | StatusFault
  | HangFault
  | ResetFault
  | CutFault
  | ErrorEventFault
  | MalformedFault
  | KeepaliveFault
  | StallFault
  | EchoKeyFault;

export type FaultKind = Fault['kind'];

/** How a simulated model answers. Every field has a default; configure with `Partial<ModelBehavior>`. */
export interface ModelBehavior {
  /** Delay before the response headers, in ms (applies to errors and faults too). Default 0. */
  latencyMs: number;
  /**
   * Time to first token in ms, after the headers of a stream (the first chunk, which carries the
   * role, goes out with the first token). Non-streaming answers add it before the headers. Default 0.
   */
  ttftMs: number;
  /**
   * Pacing between token chunks (and, for non-streaming answers, the generation time added before
   * the headers). 0 = as fast as possible. Default 0.
   */
  tokensPerSecond: number;
  /** Reply length in tokens; one word of the fixed word list is one token. Default 12. */
  replyTokens: number;
  /** Fixed reply text instead of the word list (split on spaces, one word = one token). */
  replyText: string | null;
  /**
   * How many tool calls to answer with when the request has `tools` (and `tool_choice` is not
   * `none`): 0 = answer with text, 1 = one call, N = N parallel calls (capped to 1 when
   * `parallel_tool_calls` is false). Arguments are valid JSON objects built from the tool's JSON
   * schema `properties` (strings "x", numbers 1, booleans true, first enum value). Default 1.
   */
  toolCalls: number;
  /** The fault to inject, or null for a healthy model. Default null. */
  fault: Fault | null;
  /** Probability (0..1) that `fault` applies to a request, drawn from the seeded RNG. Default 1. */
  faultRate: number;
  /** Length of embedding vectors when the request sets no `dimensions`. Default 1536. */
  embeddingDimensions: number;
  /**
   * Input tokens the model accepts, counted as in the answer's usage (one word one token). A longer
   * chat prompt gets the provider's own context-length error (a 400 naming both numbers). null = no
   * limit. Default null.
   */
  contextWindow: number | null;
}

/**
 * One phase of a fault schedule. Phases run in order from the moment `schedule` is called; a
 * phase without `durationMs` lasts forever. After the last phase the model is back to its behaviour.
 */
export interface FaultPhase {
  durationMs?: number;
  /** The fault during this phase; null = healthy; absent = the behaviour's own fault. */
  fault?: Fault | null;
  faultRate?: number;
  /** Behaviour merged over the model's behaviour during this phase. */
  behavior?: Partial<ModelBehavior>;
}

/** What the simulator decided for a request (faults by kind), or `ok`, or `rejected` (auth/validation). */
export type Outcome = 'ok' | 'rejected' | FaultKind;

export interface ModelStats {
  /** Requests received. */
  requests: number;
  /** Requests whose response is not finished yet (hung and stalled ones included). */
  inFlight: number;
  /** Requests whose client closed the socket before the simulator finished the response. */
  cancelled: number;
  /** Requests by what the simulator decided to do with them. */
  outcomes: Record<Outcome, number>;
}

export interface SimulatorStats extends ModelStats {
  /** Per upstream model name (requests whose model could be read). */
  models: Record<string, ModelStats>;
}

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /**
   * If set, requests must carry it (OpenAI: `Authorization: Bearer KEY`; Anthropic: `x-api-key` or
   * Bearer; Gemini: `x-goog-api-key` or `?key=`), else the provider's real 401/400/403.
   */
  apiKey?: string;
  /** More keys accepted besides `apiKey` (a provider account with a key pool); any one of them will do. */
  apiKeys?: string[];
  defaultBehavior?: Partial<ModelBehavior>;
  /** Per upstream model name. With `strictModels`, the only models served. */
  models?: Record<string, Partial<ModelBehavior>>;
  /** Unknown models get the provider's real 404 (`model_not_found`). Default false: any name is served. */
  strictModels?: boolean;
  /** ms, for schedules; default performance.now. */
  clock?: () => number;
  /** Seed of the RNG that decides `faultRate`; default 1. */
  seed?: number;
}

export interface Simulator {
  /**
   * e.g. http://127.0.0.1:PORT. Base URLs: OpenAI `${url}/v1`; Anthropic SDK `${url}` (paths under
   * `/v1/messages`); Gemini `${url}/v1beta` (the `@google/genai` SDK takes `${url}` and adds `v1beta`).
   */
  url: string;
  port: number;
  /** Merges over the current behaviour; '*' = all models (a model's own settings still win). */
  setBehavior(model: string, behavior: Partial<ModelBehavior>): void;
  /** Starts now; phases run in order; after the last, healthy. '*' = all models. */
  schedule(model: string, phases: FaultPhase[]): void;
  /**
   * A fault for every request made with `key` (after auth and validation), whatever the model's
   * behaviour: e.g. one key of a pool rate-limited or out of quota. `null` lifts it. Reset clears it.
   */
  setKeyFault(key: string, fault: Fault | null): void;
  /** Requests that passed auth and validation with `key` (configured keys and keys given a fault). */
  keyRequests(key: string): number;
  /** Behaviours, schedules, stats, key faults and the RNG back to start. */
  reset(): void;
  stats(model?: string): SimulatorStats;
  /** The last 32 provider requests as they arrived (admin calls excluded), oldest first. */
  requests(): RecordedRequest[];
  /** Closes the server and destroys open sockets (hung requests included) promptly. */
  close(): Promise<void>;
}

/** One provider request as the simulator received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: string;
}
