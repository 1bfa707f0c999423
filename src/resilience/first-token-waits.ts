/**
 * The attempts on one target still waiting for their first token, oldest first, so that their age is
 * evidence before they end (outlier detection on in-flight age): when a wait passes the slow-call
 * threshold it is reported once (`onOverdue`), at that moment, not when its first-token timeout fires
 * later. A wait ends with its first token (`answered` says so when asked), when the attempt ends
 * (`end`), or when it is reported.
 *
 * Cheap: waits are queued in start order, so only the oldest can be due next; one timer on the
 * injected clock per target (for the oldest wait), none while nothing waits. Each wait leaves the
 * queue by its due time at the latest, so the queue holds at most the waits begun within one threshold.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export interface FirstTokenWait {
  /** When the wait began (`clock.now()`); waits are added in this order. */
  readonly since: number;
  /** False once the wait has ended, been reported or been dropped. */
  waiting: boolean;
}

export interface FirstTokenWaitsDeps<W extends FirstTokenWait> {
  clock: Clock;
  /** The wait (ms) past which an attempt without a first token is slow; read at every check. */
  thresholdMs: () => number;
  /** Whether the attempt has had its first token by now (then its wait is over, not overdue). */
  answered: (wait: W) => boolean;
  /** Called once per wait that passed the threshold unanswered. */
  onOverdue: (wait: W) => void;
}

export class FirstTokenWaits<W extends FirstTokenWait> {
  readonly #deps: FirstTokenWaitsDeps<W>;
  #queue: W[] = [];
  #head = 0;
  #live = 0;
  #timer: TimerHandle | undefined;

  constructor(deps: FirstTokenWaitsDeps<W>) {
    this.#deps = deps;
  }

  /** Starts watching a wait that began now. */
  add(wait: W): void {
    this.#queue.push(wait);
    this.#live++;
    if (this.#timer === undefined) this.#arm();
  }

  /** The attempt ended (answered, failed or cancelled): its wait is over. */
  end(wait: W): void {
    if (!wait.waiting) return;
    wait.waiting = false;
    if (--this.#live === 0) this.#reset();
  }

  /** Reports every wait that has passed the threshold unanswered, oldest first; re-arms the timer. */
  check(): void {
    const { clock, answered, onOverdue } = this.#deps;
    const now = clock.now();
    const threshold = this.#deps.thresholdMs();
    while (this.#head < this.#queue.length) {
      const wait = this.#queue[this.#head]!;
      const overdue = wait.waiting && !answered(wait);
      if (overdue && now - wait.since < threshold) break;
      this.#head++;
      this.#drop(wait);
      if (overdue) onOverdue(wait);
    }
    if (this.#live === 0) return this.#reset();
    this.#compact();
    if (this.#timer === undefined) this.#arm();
  }

  /** The waits not over yet (neither answered, ended nor reported), oldest first. */
  *waiting(): IterableIterator<W> {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const wait = this.#queue[i]!;
      if (wait.waiting && !this.#deps.answered(wait)) yield wait;
    }
  }

  /** Waits being watched (including answered ones not yet dropped). */
  get size(): number {
    return this.#live;
  }

  #drop(wait: W): void {
    if (!wait.waiting) return;
    wait.waiting = false;
    this.#live--;
  }

  #arm(): void {
    const oldest = this.#queue[this.#head];
    if (!oldest) return;
    const { clock } = this.#deps;
    const delay = Math.max(0, oldest.since + this.#deps.thresholdMs() - clock.now());
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.check();
    }, delay);
  }

  #reset(): void {
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#head = 0;
  }

  /** Drops the consumed head of the queue once it is most of it. */
  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
