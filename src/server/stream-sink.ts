import type { ServerResponse } from 'node:http';
import type { UpstreamFailure } from '../core/errors.js';
import type { StreamPart } from '../core/stream.js';
import type { ResponseMeta, StreamSink, StreamSummary } from '../engine/types.js';
import { metaHeaders } from './respond.js';
import { ChatChunkEncoder } from './sse-encoder.js';

/**
 * Writes a committed stream to the client as OpenAI SSE. The chunks encoded from one read of the
 * upstream socket go out in one write, in a microtask: that runs when undici has handed over everything
 * the read brought (often dozens of events when a provider is fast), before node:http's own uncork on the
 * next tick, so it delays nothing and spares node:http's chunked framing and the socket's writev a piece
 * per token. The first token goes out at once (`flush`). Backpressure is seen one read late: what the
 * client has not taken is bounded by one read.
 */
export class SseResponseSink implements StreamSink {
  private backpressure: Promise<void> | undefined;
  /** Encoded chunks not yet written. */
  private pending = '';
  private writeQueued = false;
  /** The client did not catch up within `clientStallMs` and was cut (the request then logs as 499). */
  clientStalled = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly encoder: ChatChunkEncoder,
    private readonly extraHeaders: (meta: ResponseMeta, streaming: boolean) => Record<string, string>,
    /** A client that does not drain for this long is cut: its close cancels the upstream attempt. */
    private readonly clientStallMs: number,
  ) {}

  open(meta: ResponseMeta): void {
    this.res.writeHead(200, {
      ...this.extraHeaders(meta, true),
      ...metaHeaders(meta),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // No `connection` header of our own: node:http answers keep-alive or close from the request
      // (a `Connection: close` request gets its socket closed after the stream) and from a drain.
      'x-accel-buffering': 'no',
    });
    // Not flushed here: the first token follows at once (`flush`), and goes out with the headers in
    // one write (an answer with no output goes out whole at `end`).
  }

  part(part: StreamPart): void {
    const text = this.encoder.part(part);
    if (!text) return;
    this.pending += text;
    if (!this.writeQueued) {
      this.writeQueued = true;
      queueMicrotask(this.writePending);
    }
  }

  end(summary?: StreamSummary): void {
    this.res.end(this.takePending() + this.encoder.end(summary));
  }

  fail(failure: UpstreamFailure): void {
    this.res.end(this.takePending() + this.encoder.error(failure));
  }

  drained(): Promise<void> | undefined {
    return this.backpressure;
  }

  /**
   * node:http corks the socket on a response's first write in a tick and uncorks it on the next tick,
   * so that a burst of writes goes out in one writev. The first token must not wait for the rest of
   * its burst: uncork now (later writes in this tick cork again and go out together).
   */
  flush(): void {
    this.writePending();
    const socket = this.res.socket;
    if (socket?.writableCorked) socket.uncork();
  }

  private readonly writePending = (): void => {
    this.writeQueued = false;
    if (this.pending !== '') this.write(this.takePending());
  };

  private takePending(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  private write(text: string): void {
    if (this.res.write(text) || this.backpressure) return;
    // Resolves on drain, or on close: a client that went away must not leave the relay waiting.
    // A client that never drains is cut after clientStallMs (a timer only while backpressured).
    this.backpressure = new Promise<void>((resolve) => {
      const cut = setTimeout(() => {
        this.clientStalled = true;
        this.res.destroy();
      }, this.clientStallMs);
      const done = (): void => {
        clearTimeout(cut);
        this.res.off('drain', done);
        this.res.off('close', done);
        this.backpressure = undefined;
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }
}
