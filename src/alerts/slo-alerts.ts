/**
 * Burn-rate alerts: every SLO counts the requests of its route (and key) as they end, and a timer
 * evaluates the window pairs. Per SLO and severity, one alert `slo:NAME:SEVERITY` fires while a window
 * pair of that severity burns too fast, and resolves when none does.
 */
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { formatDuration } from './format.js';
import type { AlertManager } from './manager.js';
import type { AlertSettings, SloSettings } from './settings.js';
import { firingBySeverity, SloTracker, type WindowBurn } from './slo.js';

export class SloAlerts {
  readonly trackers: SloTracker[];
  readonly #manager: AlertManager;
  readonly #unsubscribe: () => void;

  constructor(opts: {
    slos: SloSettings[];
    settings: AlertSettings;
    clock: Clock;
    events: EventBus;
    manager: AlertManager;
  }) {
    const { settings } = opts;
    this.#manager = opts.manager;
    this.trackers = opts.slos.map(
      (slo) =>
        new SloTracker({
          slo,
          clock: opts.clock,
          burnRates: settings.burnRates,
          minRequests: settings.minRequests,
        }),
    );
    const byRoute = new Map<string, SloTracker[]>();
    for (const t of this.trackers) byRoute.set(t.slo.route, [...(byRoute.get(t.slo.route) ?? []), t]);
    this.#unsubscribe = byRoute.size
      ? opts.events.subscribe('request.ended', (e) => {
          const trackers = byRoute.get(e.route);
          if (trackers) for (const t of trackers) t.record(e);
        })
      : () => undefined;
  }

  /** Evaluates every SLO (on the timer). */
  evaluate(): void {
    for (const tracker of this.trackers) {
      for (const [severity, burn] of firingBySeverity(tracker.evaluate())) {
        const key = `slo:${tracker.slo.name}:${severity}`;
        if (burn) this.#manager.fire(key, report(tracker, burn));
        else this.#manager.resolve(key);
      }
    }
  }

  stop(): void {
    this.#unsubscribe();
  }
}

function report(tracker: SloTracker, burn: WindowBurn): Parameters<AlertManager['fire']>[1] {
  const { slo } = tracker;
  const percent = +(slo.objective * 100).toFixed(6);
  const what = slo.latency
    ? `${percent} % of requests with ${slo.latency.measure === 'ttft' ? 'time to first token' : 'latency'} ≤ ${slo.latency.thresholdMs} ms`
    : `${percent} % of requests succeed`;
  const scope = `route ${slo.route}${slo.key !== undefined ? `, key ${slo.key}` : ''}`;
  const total = burn.long.good + burn.long.bad;
  const badRatio = total ? burn.long.bad / total : 0;
  const long = formatDuration(burn.window.longWindowMs);
  const bad = slo.latency ? 'were too slow' : 'failed';
  return {
    kind: 'slo',
    severity: burn.window.severity,
    title: `SLO ${slo.name} burning its error budget (${scope})`,
    subject: `SLO ${slo.name} (${scope})`,
    summary:
      `Objective: ${what} (${scope}). Over the last ${long}, ${(badRatio * 100).toFixed(2)} % of requests ${bad} ` +
      `(${burn.long.bad} of ${total}): the error budget burns ${burn.longBurnRate.toFixed(1)}× faster than the objective allows.`,
    resolvedSummary: `The error budget of ${slo.name} no longer burns ${burn.window.factor}× too fast.`,
    route: slo.route,
    ...(slo.key !== undefined ? { gatewayKey: slo.key } : {}),
    ...(tracker.lastBad?.target ? { target: tracker.lastBad.target } : {}),
    ...(tracker.lastBad ? { errorClass: tracker.lastBad.outcome } : {}),
    slo: {
      name: slo.name,
      objectivePercent: percent,
      longWindowMs: burn.window.longWindowMs,
      shortWindowMs: burn.window.shortWindowMs,
      longBurnRate: burn.longBurnRate,
      shortBurnRate: burn.shortBurnRate,
      factor: burn.window.factor,
      badRatio,
    },
  };
}
