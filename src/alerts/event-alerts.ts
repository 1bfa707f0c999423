/**
 * Alerts on what the gateway announces (src/core/events.ts), each with a stable key:
 *
 * - `breaker:TARGET`: a circuit breaker opened; resolved when it closes again (half-open and
 *   re-opening in between change nothing: one alert per outage, not one per probe);
 * - `degraded:ROUTE`: a failover to a lower tier than the route's first target;
 * - `budget:TARGET:KIND`: the shared retry budget refused a retry or a hedge;
 * - `key:TARGET`: a provider's key is out of service (quota or billing exhausted, key refused): its
 *   cooldown; resolved when the cooldown ends;
 * - `exhausted:ROUTE`: a request failed with every target tried or out of service (the client got a
 *   5xx or a 429).
 *
 * Those without a "clear" event resolve after `resolveAfterMs` without a new occurrence. Listeners
 * only update small maps and call the manager: no I/O, nothing that could slow a request.
 */
import type { ResolvedConfig, Route } from '../config/types.js';
import type { EventBus } from '../core/events.js';
import { formatDuration } from './format.js';
import type { AlertManager } from './manager.js';
import type { AlertSettings, Severity } from './settings.js';
import { errorClassOf, isServerFailure } from './slo.js';

/** Cooldown reasons that mean the provider's key itself is out of service, not just busy. */
const KEY_OUT = /^upstream_(quota|billing|auth)/;

export function subscribeEventAlerts(opts: {
  config: ResolvedConfig;
  settings: AlertSettings;
  events: EventBus;
  manager: AlertManager;
}): () => void {
  const { config, settings, events, manager } = opts;
  const severities = settings.events;
  const on = (s: Severity | 'off'): s is Severity => s !== 'off';
  const clearAfterMs = settings.resolveAfterMs;
  const tierOf = new Map<string, number>();
  for (const route of config.routes.values()) for (const t of route.targets) tierOf.set(t.id, t.tier);
  const known = (target: string): boolean => tierOf.has(target);
  /** Each target's latest failure reason and where its traffic went last (bounded: configured targets). */
  const lastFailure = new Map<string, string>();
  const lastFailover = new Map<string, string>();
  const stops: (() => void)[] = [];

  stops.push(
    events.subscribe('attempt.ended', (e) => {
      if (e.outcome !== 'ok' && e.outcome !== 'cancelled' && known(e.target))
        lastFailure.set(e.target, e.reason);
    }),
    events.subscribe('failover', (e) => {
      if (known(e.from)) lastFailover.set(e.from, e.to);
      const route = config.routes.get(e.route);
      const first = route?.targets[0];
      if (!route || !first || !on(severities.degraded)) return;
      const tier = tierOf.get(e.to) ?? 1;
      if (tier <= first.tier) return;
      manager.fire(
        `degraded:${route.name}`,
        {
          kind: 'degraded',
          severity: severities.degraded,
          title: `Route ${route.name} degraded to tier ${tier}`,
          subject: `route ${route.name}`,
          summary: `Requests on ${route.name} fail over from ${e.from} to ${e.to}, a lower tier (${tier}) than the route's first target (tier ${first.tier}).`,
          route: route.name,
          target: e.from,
          errorClass: e.reason,
          failoverTarget: e.to,
          resolvedSummary: `No failover to a lower tier on ${route.name} for ${formatDuration(clearAfterMs)}.`,
        },
        { clearAfterMs },
      );
    }),
  );

  if (on(severities.breaker)) {
    const severity = severities.breaker;
    stops.push(
      events.subscribe('breaker.transition', (e) => {
        const key = `breaker:${e.target}`;
        if (e.to === 'closed') return manager.resolve(key);
        if (e.to !== 'open') return;
        const failover = lastFailover.get(e.target) ?? nextTarget(config, e.target);
        manager.fire(key, {
          kind: 'breaker',
          severity,
          title: `Circuit breaker open: ${e.target}`,
          subject: e.target,
          summary:
            `${e.target} stopped taking traffic (tripped by ${e.reason ?? 'failures'}); ` +
            (failover ? `requests go to ${failover} instead.` : 'it has no failover target.'),
          resolvedSummary: `The breaker closed: ${e.target} takes traffic again.`,
          target: e.target,
          errorClass: lastFailure.get(e.target) ?? e.reason ?? 'unknown',
          ...(failover ? { failoverTarget: failover } : {}),
        });
      }),
    );
  }

  if (on(severities.budget)) {
    const severity = severities.budget;
    stops.push(
      events.subscribe('budget.exhausted', (e) => {
        manager.fire(
          `budget:${e.target}:${e.kind}`,
          {
            kind: 'budget',
            severity,
            title: `${e.kind === 'retry' ? 'Retry' : 'Hedge'} budget exhausted: ${e.target}`,
            subject: e.target,
            summary: `The shared retry budget refused ${e.kind === 'retry' ? 'retries' : 'hedges'} on ${e.target}: failures are too frequent to retry them all.`,
            target: e.target,
            errorClass: lastFailure.get(e.target) ?? 'budget_exhausted',
            resolvedSummary: `No ${e.kind} refused on ${e.target} for ${formatDuration(clearAfterMs)}.`,
            ...(lastFailover.has(e.target) ? { failoverTarget: lastFailover.get(e.target)! } : {}),
          },
          { clearAfterMs },
        );
      }),
    );
  }

  if (on(severities.key)) {
    const severity = severities.key;
    stops.push(
      events.subscribe('cooldown.set', (e) => {
        if (!KEY_OUT.test(e.reason)) return;
        const failover = lastFailover.get(e.target) ?? nextTarget(config, e.target);
        manager.fire(
          `key:${e.target}`,
          {
            kind: 'key',
            severity,
            title: `Provider key out of service: ${e.target}`,
            subject: e.target,
            summary: `${e.target} answered ${e.reason}; it is kept out of rotation for ${Math.round(e.ms / 1000)} s.`,
            target: e.target,
            errorClass: e.reason,
            ...(failover ? { failoverTarget: failover } : {}),
            resolvedSummary: `The cooldown of ${e.target} has ended: it is tried again.`,
          },
          { clearAfterMs: e.ms },
        );
      }),
    );
  }

  if (on(severities.exhausted)) {
    const severity = severities.exhausted;
    stops.push(
      events.subscribe('request.ended', (e) => {
        if (!isServerFailure(e.status) || e.outcome === 'server_shutting_down') return;
        manager.fire(
          `exhausted:${e.route}`,
          {
            kind: 'exhausted',
            severity,
            title: `Every target failed: route ${e.route}`,
            subject: `route ${e.route}`,
            summary: `Requests on ${e.route} fail: no target could answer (${e.attempts} attempt${e.attempts === 1 ? '' : 's'}); clients get ${e.status} ${e.outcome}.`,
            route: e.route,
            ...(e.target ? { target: e.target } : {}),
            errorClass: errorClassOf(e),
            resolvedSummary: `No request on ${e.route} failed for ${formatDuration(clearAfterMs)}.`,
          },
          { clearAfterMs },
        );
      }),
    );
  }

  return () => {
    for (const stop of stops) stop();
  };
}

/** The target after `target` in the first route that lists it (where its traffic goes by default). */
function nextTarget(config: ResolvedConfig, target: string): string | undefined {
  for (const route of config.routes.values() as Iterable<Route>) {
    const i = route.targets.findIndex((t) => t.id === target);
    if (i !== -1 && i + 1 < route.targets.length) return route.targets[i + 1]!.id;
  }
  return undefined;
}
