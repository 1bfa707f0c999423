/**
 * A per-attempt watchdog: one timer per kind of timeout, all on the injected Clock.
 *
 * - `connect`, `headers`, `first-token`, `total`: armed once, disarmed when the step completes.
 * - `stall`: the longest gap between two output tokens. The engine re-arms it on every content,
 *   reasoning or tool-call token (`touch('stall')` is the cheap way); SSE keep-alive comments and blank
 *   lines must never re-arm it, or a queued request that only sends keep-alives would never time out.
 *
 * `touch` does not reschedule the underlying timer on every token: it moves the due time, and when the
 * old timer fires early it schedules the remainder. One timer per stall period instead of one per token.
 */
import type { Clock, TimerHandle } from '../core/clock.js';

export type WatchdogKind = 'connect' | 'headers' | 'first-token' | 'stall' | 'total';

interface Armed {
  ms: number;
  due: number;
  onFire: (kind: WatchdogKind) => void;
  handle: TimerHandle;
  /** While paused: what was left of `ms` when it was paused. */
  left?: number;
}

/** Each kind's slot: an attempt arms at most these five, so five fields beat a Map made per attempt. */
const SLOT: Readonly<Record<WatchdogKind, number>> = {
  connect: 0,
  headers: 1,
  'first-token': 2,
  stall: 3,
  total: 4,
};

export class Watchdog {
  readonly #clock: Clock;
  readonly #armed: (Armed | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Fires `onFire(kind)` once after `ms` unless disarmed first. Re-arming a kind replaces its timer. */
  arm(kind: WatchdogKind, ms: number, onFire: (kind: WatchdogKind) => void): void {
    if (this.#closed) return;
    this.disarm(kind);
    const now = this.#clock.now();
    const due = now + Math.max(0, ms);
    const entry: Armed = { ms, due, onFire, handle: { id: undefined } };
    entry.handle = this.#schedule(kind, entry, due - now);
    this.#armed[SLOT[kind]] = entry;
  }

  /**
   * Pushes an armed timer's due time to now + its original `ms` (progress was made). Returns false if
   * `kind` is not armed. Cheap: the underlying timer is only rescheduled when it comes due.
   */
  touch(kind: WatchdogKind): boolean {
    const entry = this.#armed[SLOT[kind]];
    if (entry === undefined) return false;
    entry.due = this.#clock.now() + Math.max(0, entry.ms);
    return true;
  }

  /** Stops an armed timer's clock, keeping what it had left (time that must not count against it). */
  pause(kind: WatchdogKind): void {
    const entry = this.#armed[SLOT[kind]];
    if (entry === undefined || entry.left !== undefined) return;
    entry.left = Math.max(0, entry.due - this.#clock.now());
    this.#clock.clearTimeout(entry.handle);
  }

  /** Restarts a paused timer with what it had left. */
  resume(kind: WatchdogKind): void {
    const entry = this.#armed[SLOT[kind]];
    if (entry === undefined || entry.left === undefined) return;
    entry.due = this.#clock.now() + entry.left;
    entry.left = undefined;
    entry.handle = this.#schedule(kind, entry, entry.due - this.#clock.now());
  }

  disarm(kind: WatchdogKind): void {
    const slot = SLOT[kind];
    const entry = this.#armed[slot];
    if (entry === undefined) return;
    this.#clock.clearTimeout(entry.handle);
    this.#armed[slot] = undefined;
  }

  disarmAll(): void {
    // By slot: no lookup of each kind's slot by name.
    const armed = this.#armed;
    for (let slot = 0; slot < armed.length; slot++) {
      const entry = armed[slot];
      if (entry === undefined) continue;
      this.#clock.clearTimeout(entry.handle);
      armed[slot] = undefined;
    }
  }

  /** Disarms everything and ignores any later `arm`: for when the attempt is over. */
  close(): void {
    this.#closed = true;
    this.disarmAll();
  }

  isArmed(kind: WatchdogKind): boolean {
    return this.#armed[SLOT[kind]] !== undefined;
  }

  #schedule(kind: WatchdogKind, entry: Armed, delay: number): TimerHandle {
    return this.#clock.setTimeout(() => {
      const slot = SLOT[kind];
      if (this.#armed[slot] !== entry) return;
      const left = entry.due - this.#clock.now();
      if (left > 0) {
        entry.handle = this.#schedule(kind, entry, left);
        return;
      }
      this.#armed[slot] = undefined;
      entry.onFire(kind);
    }, delay);
  }
}
