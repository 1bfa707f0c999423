/**
 * The commit point of a streamed answer. Until the first token, nothing reaches the client: parts that
 * come before it (usage, an empty finish) are held, and a failure leaves no trace. The first output
 * part opens the response; after that, parts go straight through.
 */
import type { UpstreamFailure } from '../core/errors.js';
import { isOutputPart, type StreamPart } from '../core/stream.js';
import type { ResponseMeta, StreamSink } from './types.js';

export class CommitGate {
  private held: StreamPart[] = [];
  private open = false;

  constructor(
    private readonly sink: StreamSink,
    private readonly meta: () => ResponseMeta,
  ) {}

  get committed(): boolean {
    return this.open;
  }

  /** Feeds one part of the current attempt. */
  part(part: StreamPart): void {
    if (this.open) {
      this.sink.part(part);
      return;
    }
    if (!isOutputPart(part)) {
      this.held.push(part);
      return;
    }
    this.commit();
    this.sink.part(part);
  }

  /** The current attempt failed before committing: forget what it said. */
  discard(): void {
    this.held = [];
  }

  /** The winning attempt ended cleanly (possibly with no output at all, e.g. a content filter). */
  finish(): void {
    if (!this.open) this.commit();
    this.sink.end();
  }

  /** A failure after the commit point: the client sees an error event and no `[DONE]`. */
  fail(failure: UpstreamFailure): void {
    this.sink.fail(failure);
  }

  drained(): Promise<void> | undefined {
    return this.open ? this.sink.drained() : undefined;
  }

  private commit(): void {
    this.open = true;
    this.sink.open(this.meta());
    for (const p of this.held) this.sink.part(p);
    this.held = [];
  }
}
