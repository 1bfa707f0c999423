/**
 * One request/response on the wire: cancellable sleeps, writes that respect back-pressure, and the
 * bookkeeping that tells "the client went away" (cancelled) from "the simulator ended it".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Headers, PlainResponse } from './protocols/types.js';
import type { RequestRecord } from './stats.js';

export class Exchange {
  private readonly aborter = new AbortController();
  private endedBySimulator = false;
  /** Settles when the last written piece has been handed to the kernel. */
  private flushed: Promise<void> = Promise.resolve();

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly record: RequestRecord,
    isClosing: () => boolean,
  ) {
    res.on('close', () => {
      const cancelled = !this.endedBySimulator && !res.writableFinished && !isClosing();
      record.finish(cancelled);
      this.aborter.abort();
    });
  }

  /** False once the socket is gone (client closed, simulator destroyed it, or server closing). */
  get alive(): boolean {
    return !this.aborter.signal.aborted;
  }

  /** Waits `ms`; resolves false (early) if the exchange dies meanwhile. */
  sleep(ms: number): Promise<boolean> {
    if (!this.alive) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    const signal = this.aborter.signal;
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  send(response: PlainResponse): void {
    if (!this.alive) return;
    this.endedBySimulator = true;
    const body = Buffer.from(response.body);
    this.res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
    this.res.end(body);
  }

  /** Sends the status line and headers now (before any body byte). */
  sendHeaders(status: number, headers: Headers): void {
    if (!this.alive) return;
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
  }

  /** Writes one piece of body at once; waits for 'drain' when the socket buffer is full. */
  async write(text: string): Promise<boolean> {
    if (!this.alive) return false;
    let fits = true;
    this.flushed = new Promise((resolve) => {
      fits = this.res.write(text, () => resolve());
    });
    if (fits) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => (): void => {
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      this.res.once('drain', onDrain);
      this.res.once('close', onClose);
    });
  }

  end(text?: string): void {
    if (!this.alive) return;
    this.endedBySimulator = true;
    this.res.end(text);
  }

  /**
   * Destroys the socket (a reset or cut fault): the simulator's doing, not a cancellation. What was
   * already written goes out first, so the client sees exactly the chunks before the cut.
   */
  async destroy(): Promise<void> {
    if (!this.alive) return;
    this.endedBySimulator = true;
    const closed = new Promise<void>((resolve) =>
      this.aborter.signal.addEventListener('abort', () => resolve()),
    );
    await Promise.race([this.flushed, closed]);
    this.req.socket.destroy();
  }
}
