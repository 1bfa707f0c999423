/**
 * Graceful shutdown of the HTTP server (a restart or a deploy loses nothing):
 *   1. stop accepting connections, close the idle keep-alive ones; `/readyz` answers 503;
 *   2. the requests in flight finish normally, for up to the drain time; every response sent from
 *      now on says `connection: close`, and a connection whose stream started before the drain is
 *      closed once that stream has ended;
 *   3. when the drain time is up, the requests still running are ended by the gateway: a committed
 *      stream with an error event (`server_shutting_down`, no `[DONE]`), anything else with a 503.
 *      Their upstream attempts are cancelled without counting against any target.
 * See docs/operations.md.
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../core/clock.js';
import { SHUTTING_DOWN } from '../core/errors.js';
import type { CancelController } from '../core/cancel.js';

/** After the cut, how long the error events and 503s get to reach their clients before sockets close. */
const CUT_GRACE_MS = 1_000;

export interface DrainSummary {
  /** Requests that ended normally during the drain (including those in flight when it began). */
  finished: number;
  /** Requests the gateway ended itself when the drain time was up. */
  cut: number;
  /** Requests whose client went away during the drain. */
  abandoned: number;
  durationMs: number;
}

export class Drain {
  /** Every request in flight, with its model call's controller once it has one. */
  private readonly inFlight = new Map<ServerResponse, CancelController | undefined>();
  private readonly onClose: (this: ServerResponse) => void;
  private started: Promise<DrainSummary> | undefined;
  private cutting = false;
  private finished = 0;
  private abandoned = 0;
  private idle: (() => void) | undefined;

  constructor(private readonly clock: Clock) {
    // One listener for every response (called with the response as `this`): nothing allocated per request.
    const forget = (res: ServerResponse): void => this.forget(res);
    this.onClose = function (this: ServerResponse) {
      forget(this);
    };
  }

  /** Whether a drain has begun (`/readyz` answers 503). */
  get draining(): boolean {
    return this.started !== undefined;
  }

  /** Requests being served now. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Counts a request until its response closes; during a drain its connection closes after it. */
  track(res: ServerResponse): void {
    if (this.draining) res.setHeader('connection', 'close');
    this.inFlight.set(res, undefined);
    res.on('close', this.onClose); // 'close' comes once; `on` spares the wrapper `once` would allocate
  }

  /**
   * The model call's controller: aborted when the response closes before it has finished (the client
   * left), or with SHUTTING_DOWN if the request outlives the drain. The response's one 'close' listener
   * (the drain's) does both: a second listener would cost a closure, node's listener array and its copy
   * at every emit.
   */
  cancelWith(res: ServerResponse, controller: CancelController): void {
    if (!this.inFlight.has(res)) return;
    if (this.cutting) controller.abort(SHUTTING_DOWN);
    else this.inFlight.set(res, controller);
  }

  /** Drains `server` for up to `drainMs`, then ends what is left. Calling it again joins the same drain. */
  run(server: Server, drainMs: number): Promise<DrainSummary> {
    this.started ??= this.drain(server, drainMs);
    return this.started;
  }

  private async drain(server: Server, drainMs: number): Promise<DrainSummary> {
    const start = this.clock.now();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const res of this.inFlight.keys()) closeConnectionAfter(res);
    let cut = 0;
    if (!(await this.untilIdle(drainMs))) {
      cut = this.inFlight.size;
      this.cutting = true;
      for (const controller of this.inFlight.values()) controller?.abort(SHUTTING_DOWN);
      await this.untilIdle(CUT_GRACE_MS);
    }
    // Whatever is left (a client not reading its error event, a body still uploading) is closed now.
    server.closeAllConnections();
    await closed;
    return {
      finished: this.finished,
      cut,
      abandoned: this.abandoned,
      durationMs: Math.round(this.clock.now() - start),
    };
  }

  private forget(res: ServerResponse): void {
    const controller = this.inFlight.get(res);
    this.inFlight.delete(res);
    if (controller && !res.writableFinished) controller.abort();
    if (!this.draining) return;
    if (!this.cutting) {
      if (res.writableFinished) this.finished++;
      else this.abandoned++;
    }
    if (this.inFlight.size === 0) this.idle?.();
  }

  /** Resolves true when no request is left, false when `ms` passed first. */
  private untilIdle(ms: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.idle = undefined;
        resolve(false);
      }, ms);
      this.idle = () => {
        this.clock.clearTimeout(timer);
        this.idle = undefined;
        resolve(true);
      };
    });
  }
}

/**
 * A response in flight when the drain begins: if its headers have not gone out, they say
 * `connection: close` and node:http closes the socket after it. A stream already open said keep-alive:
 * its socket is ended once the response has been sent, unless the client already pipelined another
 * request on it (node:http then holds that next response on the socket, and it says close).
 */
function closeConnectionAfter(res: ServerResponse): void {
  if (!res.headersSent) {
    res.setHeader('connection', 'close');
    return;
  }
  const socket = res.socket as (Socket & { _httpMessage?: unknown }) | null;
  if (!socket) return;
  // node:http's own 'finish' listener (registered first) has detached the response by now.
  res.once('finish', () => {
    if (!socket.destroyed && !socket._httpMessage) socket.end();
  });
}
