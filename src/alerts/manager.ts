/**
 * Alert state: de-duplication, auto-resolution and rate limits, between the conditions (event and SLO
 * alerts) and the sinks. A condition calls `fire(key, report)` whenever it sees its problem and
 * `resolve(key)` when it clears; the manager turns that into one "firing" message when an alert starts
 * and one "resolved" message when it ends:
 *
 * - the same key firing again while it fires only counts an occurrence (de-duplication);
 * - `fire(…, { clearAfterMs })`: conditions with no "clear" event resolve after that long without a
 *   new report;
 * - per alert, at most `perAlert` messages per `perAlertWindowMs`, and at most `perMinute` messages in
 *   all: a change held back waits, and when it may go, the alert's *current* state is sent (once,
 *   with the number of changes held back), so a flapping breaker sends a few messages, not a flood,
 *   and the last word is always its real state;
 * - everything is bounded: at most MAX_ALERTS keys are tracked (keys come from the configuration's
 *   routes, targets and SLOs, so the bound is never reached in practice; past it, new alerts are
 *   counted and dropped).
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { AlertNotification, AlertReport } from './alert.js';

export const MAX_ALERTS = 1_000;

export interface RateLimits {
  perAlert: number;
  perAlertWindowMs: number;
  perMinute: number;
}

interface AlertState {
  report: AlertReport;
  status: 'firing' | 'resolved';
  since: number;
  resolvedAt?: number;
  occurrences: number;
  /** Monotonic ms after which a firing alert without new reports resolves. */
  clearAt?: number;
  /** The status last sent, and when messages about this alert were sent (monotonic, newest last). */
  sentStatus?: 'firing' | 'resolved';
  sentAt: number[];
  /** Changes since the last message (a held-back change is sent as the current state). */
  changes: number;
  pending: boolean;
}

export interface ManagerStats {
  notifications: number;
  /** Changes never sent on their own: held back by a rate limit, then superseded or undone. */
  heldBack: number;
  /** New alerts refused because MAX_ALERTS keys were tracked. */
  overflow: number;
}

export class AlertManager {
  readonly #alerts = new Map<string, AlertState>();
  readonly #clock: Clock;
  readonly #wallNow: () => number;
  readonly #limits: RateLimits;
  readonly #send: (n: AlertNotification) => void;
  readonly #statusPageUrl: string;
  /** Monotonic send times over every alert within the last minute (at most perMinute). */
  #recent: number[] = [];
  #flushTimer: { handle: TimerHandle; at: number } | undefined;
  #stopped = false;
  readonly stats: ManagerStats = { notifications: 0, heldBack: 0, overflow: 0 };

  constructor(opts: {
    clock: Clock;
    wallNow: () => number;
    limits: RateLimits;
    statusPageUrl: string;
    send: (n: AlertNotification) => void;
  }) {
    this.#clock = opts.clock;
    this.#wallNow = opts.wallNow;
    this.#limits = opts.limits;
    this.#send = opts.send;
    this.#statusPageUrl = opts.statusPageUrl;
  }

  /** The condition behind `key` holds now. */
  fire(key: string, report: AlertReport, opts: { clearAfterMs?: number } = {}): void {
    if (this.#stopped) return;
    const now = this.#clock.now();
    let state = this.#alerts.get(key);
    if (!state) {
      if (this.#alerts.size >= MAX_ALERTS && !this.#evictOne()) {
        this.stats.overflow++;
        return;
      }
      state = {
        report,
        status: 'resolved',
        since: 0,
        occurrences: 0,
        sentAt: [],
        changes: 0,
        pending: false,
      };
      this.#alerts.set(key, state);
    }
    state.report = report;
    if (opts.clearAfterMs !== undefined) state.clearAt = now + opts.clearAfterMs;
    else delete state.clearAt;
    if (state.status === 'firing') {
      state.occurrences++;
      return;
    }
    state.status = 'firing';
    state.since = this.#wallNow();
    delete state.resolvedAt;
    state.occurrences = 1;
    this.#changed(key, state);
  }

  /** The condition behind `key` has cleared. */
  resolve(key: string): void {
    const state = this.#alerts.get(key);
    if (!state || state.status !== 'firing' || this.#stopped) return;
    state.status = 'resolved';
    state.resolvedAt = this.#wallNow();
    delete state.clearAt;
    this.#changed(key, state);
  }

  /** Resolves alerts whose `clearAfterMs` has passed and sends what the rate limits held back. */
  tick(): void {
    const now = this.#clock.now();
    for (const [key, state] of this.#alerts) {
      if (state.status === 'firing' && state.clearAt !== undefined && state.clearAt <= now) this.resolve(key);
    }
    this.#flush();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#flushTimer) this.#clock.clearTimeout(this.#flushTimer.handle);
    this.#flushTimer = undefined;
  }

  #changed(key: string, state: AlertState): void {
    if (state.pending) this.stats.heldBack++; // the change before this one was never sent
    state.changes++;
    state.pending = true;
    this.#flush();
  }

  /** Sends every pending alert the limits allow now; schedules the next try for the rest. */
  #flush(): void {
    const now = this.#clock.now();
    let next = Infinity;
    for (const [key, state] of this.#alerts) {
      if (!state.pending) continue;
      if ((state.sentStatus ?? 'resolved') === state.status) {
        // Changed and changed back while held back (resolved → firing → resolved, or the reverse):
        // the last word sent is still true, so there is nothing to say.
        this.stats.heldBack++;
        state.pending = false;
        continue;
      }
      const at = this.#allowedAt(state, now);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.#deliver(key, state, now);
    }
    this.#prune(now);
    if (next < Infinity) this.#scheduleFlush(next);
  }

  /** When the next message about this alert may go (now, or later). */
  #allowedAt(state: AlertState, now: number): number {
    const { perAlert, perAlertWindowMs, perMinute } = this.#limits;
    this.#recent = this.#recent.filter((t) => t > now - 60_000);
    const windowStart = now - perAlertWindowMs;
    state.sentAt = state.sentAt.filter((t) => t > windowStart);
    let at = now;
    if (state.sentAt.length >= perAlert)
      at = Math.max(at, state.sentAt[state.sentAt.length - perAlert]! + perAlertWindowMs);
    if (this.#recent.length >= perMinute)
      at = Math.max(at, this.#recent[this.#recent.length - perMinute]! + 60_000);
    return at;
  }

  #deliver(key: string, state: AlertState, now: number): void {
    const heldBack = state.changes - 1;
    state.pending = false;
    state.changes = 0;
    state.sentStatus = state.status;
    state.sentAt.push(now);
    this.#recent.push(now);
    this.stats.notifications++;
    this.#send({
      ...state.report,
      key,
      status: state.status,
      since: state.since,
      ...(state.resolvedAt !== undefined ? { resolvedAt: state.resolvedAt } : {}),
      occurrences: state.occurrences,
      suppressedChanges: Math.max(0, heldBack),
      statusPageUrl: this.#statusPageUrl,
    });
  }

  #scheduleFlush(at: number): void {
    if (this.#stopped || (this.#flushTimer && this.#flushTimer.at <= at)) return;
    if (this.#flushTimer) this.#clock.clearTimeout(this.#flushTimer.handle);
    const handle = this.#clock.setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flush();
    }, at - this.#clock.now());
    unref(handle);
    this.#flushTimer = { handle, at };
  }

  /** Forgets resolved alerts that were sent and whose rate-limit window has passed. */
  #prune(now: number): void {
    if (this.#alerts.size < MAX_ALERTS / 2) return;
    for (const [key, state] of this.#alerts) {
      if (
        state.status === 'resolved' &&
        !state.pending &&
        state.sentAt.every((t) => t <= now - this.#limits.perAlertWindowMs)
      )
        this.#alerts.delete(key);
    }
  }

  #evictOne(): boolean {
    for (const [key, state] of this.#alerts) {
      if (state.status === 'resolved' && !state.pending) {
        this.#alerts.delete(key);
        return true;
      }
    }
    return false;
  }
}

/** A real timer must not keep the process alive for an alert (tests' manual clocks have nothing to unref). */
export function unref(handle: TimerHandle): void {
  (handle.id as { unref?: () => void } | undefined)?.unref?.();
}
