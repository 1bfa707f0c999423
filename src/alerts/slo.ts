/**
 * Service level objectives over request events: which requests are good, which are bad and which do
 * not count, and the SRE workbook's multiwindow, multi-burn-rate evaluation.
 *
 * - Success SLO: a request the client got an answer for (status < 400) is good; one the gateway or
 *   its providers failed (5xx, or 429 when every target was rate-limited) is bad; a client's own error
 *   (other 4xx: bad request, bad key, unknown model) or a client that went away (499) does not count.
 * - Latency SLO: of the successful requests, those whose time to first token (a non-streamed request:
 *   its whole time) or total time is within the threshold are good; failed requests do not count here
 *   (the success SLO counts them).
 *
 * A burn rate is the bad share of requests divided by the error budget (1 - objective): 1× spends the
 * budget exactly over the SLO period. A window pair fires when both its long and its short window burn
 * at least `factor`× and the long one saw at least `minRequests` requests.
 */
import type { Clock } from '../core/clock.js';
import type { GatewayEvents } from '../core/events.js';
import type { BurnRateWindow, Severity, SloSettings } from './settings.js';
import { SloWindow, type WindowCounts } from './slo-window.js';
import { KEY_LIMIT_OUTCOMES } from '../keys/limiter.js';

type RequestEnded = GatewayEvents['request.ended'];

export type Verdict = 'good' | 'bad' | 'ignored';

/** Whether the provider side of the gateway failed the request (what a success SLO counts as bad). */
export const isServerFailure = (status: number): boolean => status >= 500 || status === 429;

/**
 * The failure behind a failed request: its last failed attempt's reason (e.g. `upstream_503`), read from
 * the typed trace, or the code the client got (e.g. `all_targets_failed`) when no attempt failed.
 */
export function errorClassOf(e: RequestEnded): string {
  for (let i = e.trace.length - 1; i >= 0; i--) {
    const entry = e.trace[i]!;
    if (entry.action === 'attempt' && entry.result !== 'ok') return entry.result;
  }
  return e.outcome;
}

export function classify(slo: SloSettings, e: RequestEnded): Verdict {
  if (e.route !== slo.route || (slo.key !== undefined && e.key !== slo.key)) return 'ignored';
  // A key's own limits (docs/keys.md) refused it: the client's doing, as a 400 is.
  if (KEY_LIMIT_OUTCOMES.has(e.outcome)) return 'ignored';
  if (!slo.latency) return e.status < 400 ? 'good' : isServerFailure(e.status) ? 'bad' : 'ignored';
  if (e.status >= 400) return 'ignored';
  const ms = slo.latency.measure === 'ttft' ? (e.ttftMs ?? e.totalMs) : e.totalMs;
  return ms <= slo.latency.thresholdMs ? 'good' : 'bad';
}

/**
 * `coverage`: the window's length over the part of it the gateway has run (≥ 1). A window only partly
 * covered (the gateway started 2 h ago, the window is 3 days) counts the missing part as traffic at the
 * observed rate with no failures, so that a blip just after a start is weighed against a full window
 * as it would be later, while a real outage still fires at once.
 */
export function burnRate(counts: WindowCounts, objective: number, coverage = 1): number {
  const total = (counts.good + counts.bad) * Math.max(1, coverage);
  return total === 0 ? 0 : counts.bad / total / (1 - objective);
}

/** The evaluation of one window pair. */
export interface WindowBurn {
  window: BurnRateWindow;
  long: WindowCounts;
  longBurnRate: number;
  shortBurnRate: number;
  firing: boolean;
}

/** One SLO's counts, its latest bad request, and its evaluation. */
export class SloTracker {
  readonly slo: SloSettings;
  readonly #window: SloWindow;
  readonly #burnRates: readonly BurnRateWindow[];
  readonly #minRequests: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #started: number;
  /** The latest bad request's outcome and target: the error class an alert names. */
  lastBad: { outcome: string; target?: string } | undefined;

  constructor(opts: {
    slo: SloSettings;
    clock: Pick<Clock, 'now'>;
    burnRates: readonly BurnRateWindow[];
    minRequests: number;
  }) {
    this.slo = opts.slo;
    this.#burnRates = opts.burnRates;
    this.#minRequests = opts.minRequests;
    this.#clock = opts.clock;
    this.#started = opts.clock.now();
    const shortest = Math.min(...opts.burnRates.map((b) => b.shortWindowMs));
    const longest = Math.max(...opts.burnRates.map((b) => b.longWindowMs));
    this.#window = new SloWindow(opts.clock, { resolutionMs: shortest / 5, spanMs: longest });
  }

  /** Counts a request (a few array writes: this runs on the request.ended listener). */
  record(e: RequestEnded): void {
    const verdict = classify(this.slo, e);
    if (verdict === 'ignored') return;
    this.#window.record(verdict === 'good');
    if (verdict === 'bad') {
      const outcome = this.slo.latency ? `slower_than_${this.slo.latency.thresholdMs}ms` : errorClassOf(e);
      this.lastBad = { outcome, ...(e.target ? { target: e.target } : {}) };
    }
  }

  /** Every window pair's burn rates (on the evaluation timer). */
  evaluate(): WindowBurn[] {
    const objective = this.slo.objective;
    const ranMs = Math.max(this.#window.bucketMs, this.#clock.now() - this.#started);
    return this.#burnRates.map((window) => {
      const long = this.#window.counts(window.longWindowMs);
      const short = this.#window.counts(window.shortWindowMs);
      const longBurnRate = burnRate(
        long,
        objective,
        window.longWindowMs / Math.min(ranMs, window.longWindowMs),
      );
      const shortBurnRate = burnRate(
        short,
        objective,
        window.shortWindowMs / Math.min(ranMs, window.shortWindowMs),
      );
      const firing =
        long.good + long.bad >= this.#minRequests &&
        longBurnRate >= window.factor &&
        shortBurnRate >= window.factor;
      return { window, long, longBurnRate, shortBurnRate, firing };
    });
  }
}

/** Per severity: the firing window pair that burns fastest, or undefined when none fires. */
export function firingBySeverity(burns: WindowBurn[]): Map<Severity, WindowBurn | undefined> {
  const out = new Map<Severity, WindowBurn | undefined>();
  for (const b of burns) {
    const worst = out.get(b.window.severity);
    if (!out.has(b.window.severity)) out.set(b.window.severity, undefined);
    if (b.firing && (!worst || b.longBurnRate / b.window.factor > worst.longBurnRate / worst.window.factor))
      out.set(b.window.severity, b);
  }
  return out;
}
