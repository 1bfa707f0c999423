/**
 * One attempt: one upstream call to one target, with its timeouts. Reports parts as they arrive and
 * returns a classified outcome. Knows nothing of other attempts, retries or the client.
 */
import type { Usage } from '../core/chat.js';
import type { Clock } from '../core/clock.js';
import {
  ApiError,
  invalidRequest,
  SHUTTING_DOWN,
  shuttingDownFailure,
  timeoutFailure,
  transportFailure,
  type UpstreamFailure,
} from '../core/errors.js';
import { SseParser } from '../core/sse.js';
import { isOutputPart, type StreamPart } from '../core/stream.js';
import type { Target, Timeouts } from '../config/types.js';
import type { HeaderMap, StreamDecoder, UpstreamRequestSpec } from '../providers/types.js';
import { UpstreamFailureError } from '../providers/types.js';
import { Watchdog } from '../resilience/timers.js';
import { UpstreamCancel, UpstreamError, type UpstreamClient } from '../upstream/client.js';
import { eventTooLarge, readCapped, readErrorExcerpt, responseTooLarge } from '../upstream/read-body.js';
import { EJECTED, ejectedFailure } from './ejection.js';
import type { CancelSignal } from '../core/cancel.js';

/** The abort reason when an attempt is cancelled because another attempt of the request won. */
export const LOST_RACE: unique symbol = Symbol('lost-race');

/** An attempt cancelled before its answer (streams: before the first token). */
export interface Cancellation {
  /** Another attempt of the same request (a hedge, or the hedged one) won. */
  lostRace: boolean;
  /** Streams: how long it had waited for a first token, a lower bound on its TTFT. */
  noFirstTokenAfterMs?: number;
}

export interface AttemptDeps {
  client: UpstreamClient;
  clock: Clock;
}

/** How one kind of request (chat, embeddings) is sent and read; built by the protocol for one target. */
export interface AttemptExchange<T> {
  /** Throws ApiError when the target cannot take the request as it is (e.g. an unsupported parameter). */
  request(): UpstreamRequestSpec;
  classifyError(status: number, headers: HeaderMap, body: string): UpstreamFailure;
  /** Non-streaming: parses a 2xx body; throws UpstreamFailureError when it is not a valid answer. */
  parse?(body: string): T;
  /** Streaming: a fresh decoder for this attempt. */
  decoder?(): StreamDecoder;
}

export interface AttemptInput<T> {
  target: Target;
  exchange: AttemptExchange<T>;
  timeouts: Timeouts;
  /** Aborted when the client leaves or the request deadline passes. */
  signal: CancelSignal;
  /** Stream parts, in order; the first output part is the first token. Errors are not reported here. */
  onPart?: (part: StreamPart) => void;
  /** The request reached the provider (after any wait in the gateway's own connection queue). */
  onDispatch?: () => void;
  /** Backpressure from whoever consumes the parts. */
  drained?: () => Promise<void> | undefined;
}

export type AttemptResult<T> =
  | { ok: true; value?: T; usage?: Usage; ttftMs?: number; durationMs: number; outputParts: number }
  | {
      ok: false;
      failure: UpstreamFailure;
      usage?: Usage;
      ttftMs?: number;
      cancelled?: Cancellation;
      durationMs: number;
      outputParts: number;
    };

export function runAttempt<T>(deps: AttemptDeps, input: AttemptInput<T>): Promise<AttemptResult<T>> {
  return new Attempt(deps, input).run();
}

class Attempt<T> {
  private readonly upstream = new UpstreamCancel();
  private readonly watchdog: Watchdog;
  private failure: UpstreamFailure | undefined;
  private readonly start: number;
  /** When the request left the gateway's own queue for the provider: first-token time counts from here. */
  private dispatchedAt: number | undefined;
  private firstTokenAt: number | undefined;
  private usage: Usage | undefined;
  /** Output parts received: a lower bound on the tokens an abandoned stream was billed for. */
  private outputParts = 0;
  /** Set when the request's signal aborted this attempt: whether it lost the race to another. */
  private cancelled: boolean | undefined;

  constructor(
    private readonly deps: AttemptDeps,
    private readonly input: AttemptInput<T>,
  ) {
    this.start = deps.clock.now();
    this.watchdog = new Watchdog(deps.clock);
  }

  async run(): Promise<AttemptResult<T>> {
    const spec = buildRequest(this.input);
    const { signal } = this.input;
    const onAbort = (): void => {
      // The gateway's own shutdown: no cancellation evidence (slow or not) against the target.
      if (signal.reason === SHUTTING_DOWN) return this.fail(shuttingDownFailure());
      const lost = signal.reason === LOST_RACE;
      this.fail(
        signal.reason === EJECTED
          ? ejectedFailure(this.input.target.id)
          : {
              ...transportFailure(
                lost ? 'lost_race' : 'aborted',
                lost ? 'Cancelled: another attempt answered first.' : 'The request was cancelled.',
              ),
              breaker: false,
            },
      );
      this.cancelled = lost;
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // A normal return has consumed the upstream body (or failed, which cancels): only an exception
    // can leave a request behind.
    let returned = false;
    try {
      const result = await this.call(spec);
      returned = true;
      return result;
    } catch (error) {
      if (error instanceof ApiError) throw error;
      // A body cut because the gateway is closing its connections is the gateway's doing, not the provider's.
      const failure = this.deps.client.closing ? shuttingDownFailure() : failureOf(error);
      return this.result(this.failure ?? failure);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.watchdog.close();
      if (!returned) this.upstream.cancel();
    }
  }

  private async call(spec: UpstreamRequestSpec): Promise<AttemptResult<T>> {
    const { exchange, timeouts } = this.input;
    const id = this.input.target.id;
    this.watchdog.arm('total', timeouts.attemptMs, () =>
      this.fail({
        ...timeoutFailure('attempt_timeout', `${id} did not finish within ${timeouts.attemptMs} ms.`),
        // Still in the gateway's own queue: the provider has not seen the request.
        ...(this.dispatchedAt === undefined ? { breaker: false } : {}),
      }),
    );
    const response = await this.deps.client.send(spec, {
      signal: this.upstream,
      headersTimeoutMs: timeouts.headersMs,
      connectTimeoutMs: timeouts.connectMs,
      onDispatch: () => this.dispatched(),
    });
    if (response.status < 200 || response.status >= 300) {
      const body = await readErrorExcerpt(response.body);
      return this.result(exchange.classifyError(response.status, response.headers, body));
    }
    const { maxResponseBytes, maxEventBytes } = this.deps.client.limits;
    if (!exchange.decoder) {
      const body = await readCapped(response, maxResponseBytes);
      if (this.failure) return this.result(this.failure);
      if (body === undefined) return this.result(responseTooLarge(id, maxResponseBytes));
      const value = exchange.parse!(body);
      // Built field by field (a conditional spread takes V8's slow clone path): one per attempt.
      const ok: AttemptResult<T> = {
        ok: true,
        value,
        durationMs: this.deps.clock.now() - this.start,
        outputParts: 0,
      };
      const usage = (value as { usage?: Usage }).usage;
      if (usage) ok.usage = usage;
      return ok;
    }
    const decoder = exchange.decoder();
    const emit = (part: StreamPart): void => this.part(part);
    const parser = new SseParser(
      (event) => {
        if (!this.failure) decoder.event(event, emit);
      },
      {
        maxEventChars: maxEventBytes,
        onOverflow: (kind) => this.fail(eventTooLarge(id, kind, maxEventBytes)),
      },
    );
    // Chunk by chunk as undici reads them; while the client is not reading, neither is undici.
    await response.body.stream((chunk) => {
      parser.push(chunk);
      if (this.failure) return false;
      const wait = this.input.drained?.();
      return wait ? this.waitForClient(wait) : undefined;
    });
    if (!this.failure) decoder.end(emit);
    return this.failure ? this.result(this.failure) : this.success();
  }

  /** The request got a connection and went to the provider: the first-token clock starts now. */
  private dispatched(): void {
    this.dispatchedAt = this.deps.clock.now();
    this.input.onDispatch?.();
    if (!this.input.exchange.decoder) return;
    const { firstTokenMs } = this.input.timeouts;
    this.watchdog.arm('first-token', firstTokenMs, () =>
      this.fail(
        timeoutFailure(
          'first_token_timeout',
          `${this.input.target.id} sent no first token within ${firstTokenMs} ms.`,
        ),
      ),
    );
  }

  /**
   * The client is not reading (backpressure): the upstream read is paused, and the time is the
   * client's, not the upstream's. The total and stall timers stop meanwhile; the stall window starts
   * afresh once the client has caught up. (A client too slow for too long is cut by the server.)
   */
  private async waitForClient(wait: Promise<void>): Promise<void> {
    this.watchdog.pause('total');
    this.watchdog.pause('stall');
    await wait;
    this.watchdog.resume('total');
    this.watchdog.resume('stall');
    this.watchdog.touch('stall');
  }

  private part(part: StreamPart): void {
    if (this.failure) return;
    if (part.type === 'error') {
      this.fail(part.failure);
      return;
    }
    if (part.type === 'usage') this.usage = part.usage;
    if (isOutputPart(part)) {
      this.outputParts++;
      if (this.firstTokenAt === undefined) {
        this.firstTokenAt = this.deps.clock.now();
        this.watchdog.disarm('first-token');
        const { stallMs } = this.input.timeouts;
        this.watchdog.arm('stall', stallMs, () =>
          this.fail(
            timeoutFailure(
              'stall_timeout',
              `${this.input.target.id} stalled for ${stallMs} ms between tokens.`,
            ),
          ),
        );
      } else {
        this.watchdog.touch('stall');
      }
    }
    this.input.onPart?.(part);
  }

  private fail(failure: UpstreamFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.upstream.cancel();
  }

  private success(): AttemptResult<T> {
    const ok: AttemptResult<T> = {
      ok: true,
      durationMs: this.deps.clock.now() - this.start,
      outputParts: this.outputParts,
    };
    if (this.usage) ok.usage = this.usage;
    if (this.firstTokenAt !== undefined) ok.ttftMs = this.firstTokenAt - this.dispatchedAt!;
    return ok;
  }

  private result(failure: UpstreamFailure): AttemptResult<T> {
    const durationMs = this.deps.clock.now() - this.start;
    const waitedMs = this.dispatchedAt === undefined ? 0 : this.deps.clock.now() - this.dispatchedAt;
    const failed: AttemptResult<T> = {
      ok: false,
      failure,
      durationMs,
      outputParts: this.outputParts,
    };
    const cancelled = failure === this.failure ? this.cancellation(waitedMs).cancelled : undefined;
    if (cancelled) failed.cancelled = cancelled;
    if (this.usage) failed.usage = this.usage;
    if (this.firstTokenAt !== undefined) failed.ttftMs = this.firstTokenAt - this.dispatchedAt!;
    return failed;
  }

  /** Set only for a cancellation that came before the answer (streams: before the first token). */
  private cancellation(waitedMs: number): { cancelled?: Cancellation } {
    // Cancelled while still in the gateway's own queue: the provider never saw it, no verdict.
    if (this.cancelled === undefined || this.firstTokenAt !== undefined || this.dispatchedAt === undefined)
      return {};
    const stream = this.input.exchange.decoder !== undefined;
    return {
      cancelled: { lostRace: this.cancelled, ...(stream ? { noFirstTokenAfterMs: waitedMs } : {}) },
    };
  }
}

/**
 * The upstream request, built before anything is armed or sent. Whatever building it throws is the
 * request's or the gateway's doing, never the provider's, so it must not become a failed attempt (which
 * would count against the target): the target's own refusals are ApiErrors already; a RangeError (a
 * body too deep or too large to serialise) is the client's 400; anything else is a gateway bug and
 * leaves as such (a 500, reported as an internal error).
 */
function buildRequest<T>(input: AttemptInput<T>): UpstreamRequestSpec {
  try {
    return input.exchange.request();
  } catch (error) {
    if (error instanceof RangeError) {
      throw invalidRequest(
        `The gateway could not build the request for ${input.target.id}: ${error.message}.`,
        null,
        'request_not_serializable',
      );
    }
    throw error;
  }
}

function failureOf(error: unknown): UpstreamFailure {
  if (error instanceof UpstreamError || error instanceof UpstreamFailureError) return error.failure;
  const code = (error as { code?: string }).code ?? (error as Error).name;
  return transportFailure('connection_error', `The upstream connection failed (${code}).`);
}
