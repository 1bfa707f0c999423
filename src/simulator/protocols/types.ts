/**
 * The contract between the protocol-independent core (server, behaviour, faults, timing, stats)
 * and one provider wire protocol. A protocol parses and validates its requests, spells its errors
 * and faults, and builds its answers; the core decides faults and timing and writes the bytes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Random } from '../random.js';
import type { ErrorEventFault, ModelBehavior, StatusFault } from '../types.js';

export type Headers = Record<string, string>;

/** A complete response: status, headers, body. */
export interface PlainResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** One stream event, already framed by the protocol. */
export interface StreamFrame {
  text: string;
  /** A token (content or tool-call fragment): paced by `tokensPerSecond`, the first one waits `ttftMs`. */
  token: boolean;
  /** The terminator (`data: [DONE]`): not counted as a chunk by the `afterChunks` faults. */
  terminal?: boolean;
}

/** A healthy answer, before the core applies timing and faults, or the model's refusal of the request. */
export type Answer =
  | { kind: 'json'; headers: Headers; body: string; tokens: number }
  | { kind: 'stream'; headers: Headers; frames: StreamFrame[] }
  /** The model cannot take this request (a prompt over its context window): sent as it is. */
  | { kind: 'error'; response: PlainResponse };

/** How the protocol spells each fault on the wire. */
export interface FaultRenderer {
  status(fault: StatusFault, model: string): PlainResponse;
  /** The in-stream error event (a complete frame). */
  streamError(fault: ErrorEventFault): string;
  /** A frame whose data is not JSON. */
  malformedFrame(): string;
  /** A keep-alive comment for streams. */
  keepaliveComment: string;
  /** The `echo-key` fault: an error of `status` with the received key in every field. */
  keyEcho(key: string, status: number): PlainResponse;
  /** The `echo-key` fault inside a stream: the in-stream error event with the key in every field. */
  keyEchoEvent(key: string): string;
}

export interface ProtocolRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ProtocolContext {
  /** The keys requests must carry (any one of them), or undefined: no auth. */
  apiKeys: readonly string[] | undefined;
  strictModels: boolean;
  /** Models named in the options (the list served by `strictModels` and listed by `/models`). */
  models(): string[];
  /** Randomness for ids (not the fault RNG). */
  random: Random;
  /** Unix time in seconds, for `created` fields. */
  unixSeconds(): number;
}

/** What a protocol route decided. */
export type RouteResult =
  /** Answer now: a rejection (auth, validation, unknown model) or metadata (model list). */
  | { type: 'respond'; response: PlainResponse; outcome: 'ok' | 'rejected'; model?: string }
  /** A generation for `model`: the core draws the fault, waits, and calls `answer` if needed. */
  | { type: 'generate'; model: string; answer: (behavior: ModelBehavior) => Answer };

export interface ProtocolModule {
  name: string;
  faults: FaultRenderer;
  /** Routes and handles a request, or returns undefined when the path is not this protocol's. */
  handle(request: ProtocolRequest, context: ProtocolContext): RouteResult | undefined;
  /** The protocol's answer to an unknown path (used by the first protocol that has one). */
  notFound?(method: string, path: string): PlainResponse;
}
