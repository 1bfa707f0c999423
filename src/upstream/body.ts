/**
 * One upstream request as undici's dispatch handler (`Dispatcher.dispatch`, undici 7's handler API),
 * and its response body. One object per request: no node stream, no EventEmitter, no abort listener
 * inside undici. The body is read in one of three ways, once:
 *
 * - `text(maxBytes)`: the whole body, its chunks kept as they come and decoded once at the end;
 * - `excerpt(maxChars)`: the beginning of an error answer, the rest dropped;
 * - `stream(onChunk)`: chunk by chunk, with backpressure: while the promise `onChunk` answers is
 *   pending, undici stops reading from the socket.
 *
 * Chunks that arrive before a reader comes are kept (undici is paused once they reach 64 KiB, as its
 * own body stream would be). The connection slot is released exactly once, when undici is done with
 * the request: its end, or its error (which an abort also is).
 */
import type { Dispatcher } from 'undici';
import { Cancel } from '../core/cancel.js';
import type { HeaderMap } from '../providers/types.js';

type Controller = Dispatcher.DispatchController;

/**
 * Cancels one upstream request (one per attempt), at any phase: waiting for a connection slot, for
 * headers, or mid-body. The gateway's own `Cancel` (no EventTarget, no EventEmitter).
 */
export class UpstreamCancel extends Cancel {
  declare reason: Error | undefined;

  cancel(reason: Error = ATTEMPT_CANCELLED): void {
    this.abort(reason);
  }
}

/** The default reason; the attempt records its own failure before cancelling, so this is never shown. */
export const ATTEMPT_CANCELLED = Object.assign(new Error('The upstream request was cancelled.'), {
  code: 'UND_ERR_ABORTED',
});

/** The reader stopped reading before the end (a cap reached, or `stream`'s consumer said stop). */
const READ_STOPPED = Object.assign(new Error('The upstream body was closed before its end.'), {
  code: 'UND_ERR_ABORTED',
});

export interface UpstreamResponse {
  status: number;
  headers: HeaderMap;
  body: UpstreamBody;
}

/** What the client makes of an error before the response headers (classified, or shutting down). */
export interface HeadFailures {
  headFailure(error: Error, origin: string): Error;
}

/** A stream consumer's answer to a chunk: go on, pause until the promise settles, or `false`: stop. */
export type ChunkAnswer = void | false | Promise<void>;

/** Chunks kept before a reader comes; past this undici is paused (its body stream's highWaterMark). */
const UNREAD_BYTES = 64 * 1024;

// Who reads the body.
const NONE = 0;
const WHOLE = 1;
const EXCERPT = 2;
const STREAM = 3;
/** The reader was answered (or stopped): later chunks, end and errors are not its business. */
const DONE = 4;

export class UpstreamBody implements Dispatcher.DispatchHandler {
  private controller: Controller | undefined = undefined;
  private release: (() => void) | undefined;
  private resolveHead: ((response: UpstreamResponse) => void) | undefined;
  private rejectHead: ((error: Error) => void) | undefined;
  /** Received and not yet handed to a reader (a stream reader takes them from `next`). */
  private chunks: Buffer[] = [];
  private next = 0;
  private size = 0;
  private ended = false;
  private error: Error | undefined = undefined;
  private reader = NONE;
  private limit = 0;
  private resolveRead: ((value: never) => void) | undefined = undefined;
  private rejectRead: ((error: Error) => void) | undefined = undefined;
  private onChunk: ((chunk: Buffer) => ChunkAnswer) | undefined = undefined;
  /** A stream reader's promise is pending: undici is paused. */
  private waiting = false;

  constructor(
    private readonly cancel: UpstreamCancel,
    release: () => void,
    resolve: (response: UpstreamResponse) => void,
    reject: (error: Error) => void,
    private readonly origin: string,
    private readonly failures: HeadFailures,
  ) {
    this.release = release;
    this.resolveHead = resolve;
    this.rejectHead = reject;
    cancel.addEventListener('abort', this.cancelled);
  }

  /** The whole body as text, or undefined (and the request aborted) once it passes `maxBytes`. */
  text(maxBytes: number): Promise<string | undefined> {
    if (this.size > maxBytes) {
      this.destroy();
      return Promise.resolve(undefined);
    }
    if (this.ended) {
      this.reader = DONE;
      return Promise.resolve(this.decode());
    }
    return this.read(WHOLE, maxBytes);
  }

  /** The beginning of the body, at most `maxChars` characters of its first `maxChars` bytes. */
  excerpt(maxChars: number): Promise<string> {
    if (this.ended || this.size >= maxChars) {
      const text = this.decode().slice(0, maxChars);
      this.destroy();
      return Promise.resolve(text);
    }
    return this.read(EXCERPT, maxChars);
  }

  /**
   * Hands each chunk to `onChunk`, in order, and settles at the body's end (rejects on its error,
   * an abort included). While the promise `onChunk` answers is pending, no chunk comes and undici
   * reads nothing; `false` stops reading (the request is aborted) and settles at once. What
   * `onChunk` throws aborts the request and rejects.
   */
  stream(onChunk: (chunk: Buffer) => ChunkAnswer): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    this.onChunk = onChunk;
    const done = this.read<void>(STREAM, 0);
    this.pump();
    return done;
  }

  // undici's handler

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.cancel.aborted) controller.abort(this.cancel.reason ?? ATTEMPT_CANCELLED);
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: HeaderMap): void {
    if (statusCode < 200) return; // informational (1xx): the answer follows
    const resolve = this.resolveHead;
    this.resolveHead = this.rejectHead = undefined;
    resolve?.({ status: statusCode, headers, body: this });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    switch (this.reader) {
      case STREAM:
        if (this.waiting) this.chunks.push(chunk);
        else this.deliver(chunk);
        return;
      case NONE:
        this.chunks.push(chunk);
        this.size += chunk.length;
        if (this.size >= UNREAD_BYTES) controller.pause();
        return;
      case WHOLE:
        this.chunks.push(chunk);
        this.size += chunk.length;
        if (this.size > this.limit) {
          this.answer(undefined as never);
          this.destroy();
        }
        return;
      case EXCERPT:
        this.chunks.push(chunk);
        this.size += chunk.length;
        if (this.size >= this.limit) {
          this.answer(this.decode().slice(0, this.limit) as never);
          this.destroy();
        }
        return;
      default: // DONE: dropped
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    this.finish();
    switch (this.reader) {
      case WHOLE:
        this.answer(this.decode() as never);
        return;
      case EXCERPT:
        this.answer(this.decode().slice(0, this.limit) as never);
        return;
      case STREAM:
        if (!this.waiting) this.pump();
        return;
      default:
    }
  }

  onResponseError(_controller: Controller | undefined, error: Error): void {
    if (this.ended || this.error) return;
    this.error = error;
    this.finish();
    const reject = this.rejectHead;
    if (reject) {
      this.resolveHead = this.rejectHead = undefined;
      reject(this.failures.headFailure(error, this.origin));
      return;
    }
    const rejectRead = this.rejectRead;
    if (rejectRead) {
      this.reader = DONE;
      this.resolveRead = this.rejectRead = this.onChunk = undefined;
      this.chunks = [];
      rejectRead(error);
    }
  }

  /** The attempt was cancelled: abort at once, or as soon as undici starts the request. */
  private readonly cancelled = (): void => {
    this.controller?.abort(this.cancel.reason ?? ATTEMPT_CANCELLED);
  };

  // internals

  private read<T>(reader: number, limit: number): Promise<T> {
    if (this.error) return Promise.reject(this.error);
    this.reader = reader;
    this.limit = limit;
    const promise = new Promise<T>((resolve, reject) => {
      this.resolveRead = resolve as (value: never) => void;
      this.rejectRead = reject;
    });
    // Paused while nobody read (for a stream reader, `pump` resumes once it has taken the chunks).
    if (reader !== STREAM && this.controller?.paused) this.controller.resume();
    return promise;
  }

  private answer(value: never): void {
    const resolve = this.resolveRead;
    this.reader = DONE;
    this.resolveRead = this.rejectRead = this.onChunk = undefined;
    resolve?.(value);
  }

  /** Stops reading: the request is aborted unless undici is done with it already. */
  destroy(): void {
    this.reader = DONE;
    this.chunks = [];
    if (!this.ended && !this.error) this.controller?.abort(READ_STOPPED);
  }

  /** undici is done with the request: the connection slot is free again. Once. */
  private finish(): void {
    const release = this.release;
    if (!release) return;
    this.release = undefined;
    this.cancel.removeEventListener('abort', this.cancelled);
    release();
  }

  private decode(): string {
    const { chunks, size } = this;
    this.chunks = [];
    if (chunks.length === 1) return chunks[0]!.toString('utf8');
    return Buffer.concat(chunks, size).toString('utf8');
  }

  /** A stream reader takes the chunks kept so far; then undici goes on, or the reader is answered. */
  private pump(): void {
    const { chunks } = this;
    while (this.next < chunks.length) {
      const chunk = chunks[this.next]!;
      this.next++;
      if (!this.deliver(chunk)) return;
    }
    this.chunks = [];
    this.next = 0;
    if (this.reader !== STREAM) return;
    if (this.ended) this.answer(undefined as never);
    else if (this.controller?.paused) this.controller.resume();
  }

  /** One chunk to the stream reader; false when it may take no more now (waiting, stopped, failed). */
  private deliver(chunk: Buffer): boolean {
    let answer: ChunkAnswer;
    try {
      answer = this.onChunk!(chunk);
    } catch (error) {
      this.fail(error as Error);
      return false;
    }
    if (this.reader !== STREAM) return false; // aborted from within (the attempt failed)
    if (answer === false) {
      this.answer(undefined as never);
      this.destroy();
      return false;
    }
    if (!answer) return true;
    this.waiting = true;
    this.controller?.pause();
    answer.then(
      () => {
        this.waiting = false;
        if (this.reader === STREAM) this.pump();
      },
      (error: unknown) => {
        this.waiting = false;
        this.fail(error as Error);
      },
    );
    return false;
  }

  /** The reader threw: the request is aborted and the reader rejected with what it threw. */
  private fail(error: Error): void {
    if (this.ended || this.error) {
      const reject = this.rejectRead;
      this.reader = DONE;
      this.resolveRead = this.rejectRead = this.onChunk = undefined;
      reject?.(error);
      return;
    }
    if (this.controller) this.controller.abort(error);
    else this.onResponseError(undefined, error);
  }
}
