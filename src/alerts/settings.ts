/**
 * The resolved `slos` and `alerts` sections: SLO objectives as fractions, the burn-rate windows filled
 * in from the SLO period (the SRE workbook's, by default), cross-references checked.
 */
import type { AlertsConfig, BurnRateConfig, SinkConfig, SloConfig } from './schema.js';

export type Severity = 'page' | 'ticket';

export interface SloSettings {
  name: string;
  route: string;
  /** Only this gateway key's requests (by its configured name). */
  key?: string;
  /** The share of requests that must be good, as a fraction (99.9 % → 0.999). */
  objective: number;
  /** Present: a latency SLO; absent: a success SLO. */
  latency?: { thresholdMs: number; measure: 'ttft' | 'total' };
}

export type BurnRateWindow = BurnRateConfig;

export interface AlertSettings extends Omit<AlertsConfig, 'burnRates' | 'evaluateEveryMs'> {
  sinks: SinkConfig[];
  burnRates: BurnRateWindow[];
  evaluateEveryMs: number;
}

/**
 * The SRE workbook's multiwindow, multi-burn-rate alerts (chapter 5, table 5-8), as fractions of a
 * 30-day period: page when 2 % of the budget burns in 1 h (14.4×) or 5 % in 6 h (6×), ticket when
 * 10 % burns in 3 days (1×); each long window is checked with a short one (1/12 of it) so that the
 * alert stops soon after the burning does.
 */
export function workbookWindows(periodMs: number): BurnRateWindow[] {
  const at = (fraction: number): number => Math.max(1, Math.round(periodMs * fraction));
  return [
    { severity: 'page', longWindowMs: at(1 / 720), shortWindowMs: at(1 / 8640), factor: 14.4 },
    { severity: 'page', longWindowMs: at(1 / 120), shortWindowMs: at(1 / 1440), factor: 6 },
    { severity: 'ticket', longWindowMs: at(1 / 10), shortWindowMs: at(1 / 120), factor: 1 },
  ];
}

/** What logs and stats call a sink: its `name`, else its type and position (`slack#1`); never its URL. */
export function sinkName(sink: SinkConfig, index: number): string {
  return sink.name ?? `${sink.type}#${index + 1}`;
}

export function resolveSlos(
  slos: SloConfig[],
  known: { routes: ReadonlySet<string>; keys: ReadonlySet<string> },
  problems: string[],
): SloSettings[] {
  return slos.map((s, i) => {
    if (!known.routes.has(s.route)) problems.push(`slos[${i}].route: unknown route "${s.route}"`);
    if (s.key !== undefined && !known.keys.has(s.key)) {
      problems.push(
        known.keys.size
          ? `slos[${i}].key: unknown key name "${s.key}"`
          : `slos[${i}].key: "${s.key}" names a gateway key, but no keys are configured`,
      );
    }
    return {
      name: s.name,
      route: s.route,
      ...(s.key !== undefined ? { key: s.key } : {}),
      objective: Math.round(s.objective * 1e6) / 1e8, // 99.9 → 0.999, not 0.9990000000000001
      ...(s.latency ? { latency: s.latency } : {}),
    };
  });
}

export function resolveAlerts(alerts: AlertsConfig, slos: SloSettings[], problems: string[]): AlertSettings {
  const { burnRates: custom, evaluateEveryMs, ...rest } = alerts;
  const burnRates = custom ?? workbookWindows(alerts.sloPeriodMs);
  const shortest = Math.min(...burnRates.map((b) => b.shortWindowMs));
  if (slos.length && !alerts.sinks.length)
    problems.push('alerts.sinks: SLOs are configured but there is no sink to send their alerts to');
  const names = new Set<string>();
  alerts.sinks.forEach((sink, i) => {
    const name = sinkName(sink, i);
    if (names.has(name)) problems.push(`alerts.sinks[${i}].name: duplicate sink name "${name}"`);
    names.add(name);
  });
  if (alerts.delivery.backoffBaseMs > alerts.delivery.backoffCapMs)
    problems.push('alerts.delivery.backoffBaseMs: longer than alerts.delivery.backoffCapMs');
  return {
    ...rest,
    burnRates,
    evaluateEveryMs: evaluateEveryMs ?? Math.max(1, Math.min(30_000, Math.floor(shortest / 5))),
  };
}
