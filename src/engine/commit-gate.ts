/**
 * The commit point of a streamed answer. Until the first token, nothing reaches the client: each
 * attempt's parts that come before it (usage, an empty finish) are held by that attempt's relay, and a
 * failure leaves no trace. The first attempt to produce an output part claims the gate: its held parts
 * are flushed and everything it says after goes straight through. With hedged requests several
 * attempts race; only one can claim the gate, and the others are told they lost.
 */
import type { UpstreamFailure } from '../core/errors.js';
import type { Target } from '../config/types.js';
import { isOutputPart, type StreamPart } from '../core/stream.js';
import type { ResponseMeta, StreamSink } from './types.js';

export class CommitGate {
  private owner: AttemptRelay | undefined;

  constructor(
    private readonly sink: StreamSink,
    private readonly meta: () => ResponseMeta,
    /** Called once, when an attempt claims the gate, before the response opens (e.g. to cancel the losers). */
    private readonly onCommit: (winner: Target) => void = () => undefined,
  ) {}

  get committed(): boolean {
    return this.owner !== undefined;
  }

  /** A relay for one attempt's parts. */
  relay(target: Target): AttemptRelay {
    return new AttemptRelay(this, target);
  }

  /** The winning attempt ended cleanly (possibly with no output at all, e.g. a content filter). */
  finish(relay: AttemptRelay): void {
    if (!this.owner) this.claim(relay);
    this.sink.end();
  }

  /** A failure after the commit point: the client sees an error event and no `[DONE]`. */
  fail(failure: UpstreamFailure): void {
    this.sink.fail(failure);
  }

  drained(): Promise<void> | undefined {
    return this.owner ? this.sink.drained() : undefined;
  }

  /** @internal */ isOwner(relay: AttemptRelay): boolean {
    return this.owner === relay;
  }

  /** @internal */ claim(relay: AttemptRelay): boolean {
    if (this.owner) return this.owner === relay;
    this.owner = relay;
    this.onCommit(relay.target);
    this.sink.open(this.meta());
    for (const p of relay.takeHeld()) this.sink.part(p);
    return true;
  }

  /** @internal */ forward(part: StreamPart): void {
    this.sink.part(part);
  }

  /** @internal */ flush(): void {
    this.sink.flush();
  }
}

/** One attempt's view of the gate. */
export class AttemptRelay {
  private held: StreamPart[] = [];

  constructor(
    private readonly gate: CommitGate,
    readonly target: Target,
  ) {}

  /** Whether this attempt's stream is the one the client receives. */
  get won(): boolean {
    return this.gate.isOwner(this);
  }

  /** Whether another attempt claimed the gate first. */
  get lost(): boolean {
    return this.gate.committed && !this.won;
  }

  part(part: StreamPart): void {
    if (this.won) {
      this.gate.forward(part);
    } else if (!this.lost) {
      if (!isOutputPart(part)) this.held.push(part);
      else if (this.gate.claim(this)) {
        this.gate.forward(part);
        this.gate.flush();
      }
    }
  }

  drained(): Promise<void> | undefined {
    return this.won ? this.gate.drained() : undefined;
  }

  /** @internal */ takeHeld(): StreamPart[] {
    const held = this.held;
    this.held = [];
    return held;
  }
}
