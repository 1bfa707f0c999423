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
import type { ResolvedConfig } from '../config/types.js';
import type { EventBus, GatewayEvents } from '../core/events.js';
import { formatDuration } from './format.js';
import type { AlertManager } from './manager.js';
import type { AlertSettings, Severity } from './settings.js';
import { errorClassOf, isServerFailure } from './slo.js';
import { KEY_LIMIT_OUTCOMES } from '../keys/limiter.js';

/** Cooldown reasons that mean the provider's key itself is out of service, not just busy. */
const KEY_OUT = /^upstream_(quota|billing|auth)/;

/** What the listeners share: the manager, and what was last seen of each configured target. */
interface Context {
  config: ResolvedConfig;
  manager: AlertManager;
  clearAfterMs: number;
  tierOf: Map<string, number>;
  /** Each target's latest failure reason and where its traffic went last (bounded: configured targets). */
  lastFailure: Map<string, string>;
  lastFailover: Map<string, string>;
}

type Listener<K extends keyof GatewayEvents> = (e: GatewayEvents[K]) => void;

export function subscribeEventAlerts(opts: {
  config: ResolvedConfig;
  settings: AlertSettings;
  events: EventBus;
  manager: AlertManager;
}): () => void {
  const { config, settings, events, manager } = opts;
  const ctx: Context = {
    config,
    manager,
    clearAfterMs: settings.resolveAfterMs,
    tierOf: new Map(),
    lastFailure: new Map(),
    lastFailover: new Map(),
  };
  for (const route of config.routes.values()) for (const t of route.targets) ctx.tierOf.set(t.id, t.tier);
  const severity = settings.events;
  const on = (s: Severity | 'off'): s is Severity => s !== 'off';
  const stops = [
    events.subscribe('attempt.ended', (e) => {
      if (e.outcome !== 'ok' && e.outcome !== 'cancelled' && ctx.tierOf.has(e.target))
        ctx.lastFailure.set(e.target, e.reason);
    }),
  ];
  const degraded = on(severity.degraded) ? onDegraded(ctx, severity.degraded) : undefined;
  stops.push(
    events.subscribe('failover', (e) => {
      if (ctx.tierOf.has(e.from)) ctx.lastFailover.set(e.from, e.to);
      degraded?.(e);
    }),
  );
  if (on(severity.breaker))
    stops.push(events.subscribe('breaker.transition', onBreaker(ctx, severity.breaker)));
  if (on(severity.budget)) stops.push(events.subscribe('budget.exhausted', onBudget(ctx, severity.budget)));
  if (on(severity.key)) stops.push(events.subscribe('cooldown.set', onKeyOut(ctx, severity.key)));
  if (on(severity.exhausted))
    stops.push(events.subscribe('request.ended', onExhausted(ctx, severity.exhausted)));
  return () => {
    for (const stop of stops) stop();
  };
}

function onDegraded(ctx: Context, severity: Severity): Listener<'failover'> {
  return (e) => {
    const first = ctx.config.routes.get(e.route)?.targets[0];
    const tier = ctx.tierOf.get(e.to) ?? 1;
    if (!first || tier <= first.tier) return;
    ctx.manager.fire(
      `degraded:${e.route}`,
      {
        kind: 'degraded',
        severity,
        title: `Route ${e.route} degraded to tier ${tier}`,
        subject: `route ${e.route}`,
        summary: `Requests on ${e.route} fail over from ${e.from} to ${e.to}, a lower tier (${tier}) than the route's first target (tier ${first.tier}).`,
        route: e.route,
        target: e.from,
        errorClass: e.reason,
        failoverTarget: e.to,
        resolvedSummary: `No failover to a lower tier on ${e.route} for ${formatDuration(ctx.clearAfterMs)}.`,
      },
      { clearAfterMs: ctx.clearAfterMs },
    );
  };
}

function onBreaker(ctx: Context, severity: Severity): Listener<'breaker.transition'> {
  return (e) => {
    const key = `breaker:${e.target}`;
    if (e.to === 'closed') return ctx.manager.resolve(key);
    if (e.to !== 'open') return;
    const failover = failoverOf(ctx, e.target);
    ctx.manager.fire(key, {
      kind: 'breaker',
      severity,
      title: `Circuit breaker open: ${e.target}`,
      subject: e.target,
      summary:
        `${e.target} stopped taking traffic (tripped by ${e.reason ?? 'failures'}); ` +
        (failover ? `requests go to ${failover} instead.` : 'it has no failover target.'),
      resolvedSummary: `The breaker closed: ${e.target} takes traffic again.`,
      target: e.target,
      errorClass: ctx.lastFailure.get(e.target) ?? e.reason ?? 'unknown',
      ...(failover ? { failoverTarget: failover } : {}),
    });
  };
}

function onBudget(ctx: Context, severity: Severity): Listener<'budget.exhausted'> {
  return (e) => {
    const failover = ctx.lastFailover.get(e.target);
    ctx.manager.fire(
      `budget:${e.target}:${e.kind}`,
      {
        kind: 'budget',
        severity,
        title: `${e.kind === 'retry' ? 'Retry' : 'Hedge'} budget exhausted: ${e.target}`,
        subject: e.target,
        summary: `The shared retry budget refused ${e.kind === 'retry' ? 'retries' : 'hedges'} on ${e.target}: failures are too frequent to retry them all.`,
        target: e.target,
        errorClass: ctx.lastFailure.get(e.target) ?? 'budget_exhausted',
        ...(failover ? { failoverTarget: failover } : {}),
        resolvedSummary: `No ${e.kind} refused on ${e.target} for ${formatDuration(ctx.clearAfterMs)}.`,
      },
      { clearAfterMs: ctx.clearAfterMs },
    );
  };
}

function onKeyOut(ctx: Context, severity: Severity): Listener<'cooldown.set'> {
  return (e) => {
    if (!KEY_OUT.test(e.reason)) return;
    const failover = failoverOf(ctx, e.target);
    // A key pool's key is named by its label (`key#2` or its configured name), never by its secret.
    const who = e.key === undefined ? e.target : `${e.target} ${e.key}`;
    ctx.manager.fire(
      `key:${who}`,
      {
        kind: 'key',
        severity,
        title: `Provider key out of service: ${who}`,
        subject: e.target,
        summary: `${who} answered ${e.reason}; it is kept out of rotation for ${formatDuration(e.ms)}.`,
        target: e.target,
        errorClass: e.reason,
        ...(failover ? { failoverTarget: failover } : {}),
        resolvedSummary: `The cooldown of ${who} has ended: it is tried again.`,
      },
      { clearAfterMs: e.ms },
    );
  };
}

function onExhausted(ctx: Context, severity: Severity): Listener<'request.ended'> {
  return (e) => {
    if (!isServerFailure(e.status) || e.outcome === 'server_shutting_down') return;
    if (KEY_LIMIT_OUTCOMES.has(e.outcome)) return; // a key's own limits (docs/keys.md)
    ctx.manager.fire(
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
        resolvedSummary: `No request on ${e.route} failed for ${formatDuration(ctx.clearAfterMs)}.`,
      },
      { clearAfterMs: ctx.clearAfterMs },
    );
  };
}

/** Where a target's traffic goes: the last failover seen from it, else the next target of its first route. */
function failoverOf(ctx: Context, target: string): string | undefined {
  const seen = ctx.lastFailover.get(target);
  if (seen) return seen;
  for (const route of ctx.config.routes.values()) {
    const i = route.targets.findIndex((t) => t.id === target);
    if (i !== -1 && i + 1 < route.targets.length) return route.targets[i + 1]!.id;
  }
  return undefined;
}
