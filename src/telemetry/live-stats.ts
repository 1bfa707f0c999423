/**
 * The status page's memory (GET /status, /status.json): a subscriber of the gateway's events that keeps,
 * per route (requests) and per target (attempts), a rolling window of what happened (live-series.ts), each
 * route's traffic share per target, and two bounded rings: recent incidents (breaker transitions,
 * cooldowns) and recent failovers. A repeat of an entry still in the ring (same kind, target, route,
 * reason) is folded into it with a count, so an outage of a thousand failovers is a line per route, not
 * a flood that pushes the breaker's trip out of the ring.
 *
 * Bounded: series exist only for the configured routes and targets (events naming anything else are
 * ignored), the rings keep their last `maxIncidents` / `maxFailovers` entries. Cheap: each event is a
 * few increments, done in the listener (cheaper than queueing it for later; the cost is measured by
 * bench/events-cost.mjs and written in docs/observability.md). Times are wall-clock Unix ms, from an
 * injected clock.
 */
import type { EventBus, GatewayEvents } from '../core/events.js';
import type { ResolvedConfig } from '../config/types.js';
import { TimeBuckets } from '../resilience/time-buckets.js';
import { LiveSeries, type SeriesPoints, type SeriesSummary } from './live-series.js';

/** Failed attempts, by the class the engine gave them (src/core/events.ts). */
export const ATTEMPT_ERRORS = ['retry', 'failover', 'context', 'fatal'] as const;
/** Failed requests, by what the client saw. */
export const REQUEST_ERRORS = [
  'rate_limited',
  'client_error',
  'client_closed',
  'upstream_error',
  'timeout',
] as const;

export interface LiveStatsOptions {
  config: ResolvedConfig;
  events: EventBus;
  clock: { wallNow(): number };
  /** History kept (default 15 min) in `buckets` steps (default 90: 10 s each). */
  windowMs?: number;
  buckets?: number;
  maxIncidents?: number;
  maxFailovers?: number;
}

export interface Incident {
  kind: 'breaker' | 'cooldown';
  target: string;
  /** Breaker transitions. */
  from?: string;
  to?: string;
  /** Why it opened (breakers), what asked for the pause (cooldowns). */
  reason: string | null;
  /** Cooldowns: for how long. */
  ms?: number;
  firstAt: number;
  lastAt: number;
  count: number;
}

export interface FailoverEntry {
  route: string;
  from: string;
  to: string;
  reason: string;
  firstAt: number;
  lastAt: number;
  count: number;
}

export interface TargetView {
  id: string;
  tier: number;
  /** Share of the route's requests (in the window) answered by — or last tried on — this target. */
  share: number | null;
  /** This target's attempts, from every route it serves (its health is shared, as its breaker is). */
  window: SeriesSummary;
  points: SeriesPoints;
}

export interface RouteView {
  name: string;
  window: SeriesSummary;
  points: SeriesPoints;
  targets: TargetView[];
}

export interface LiveSnapshot {
  now: number;
  windowMs: number;
  bucketMs: number;
  routes: RouteView[];
  incidents: Incident[];
  failovers: FailoverEntry[];
}

interface RouteStats {
  series: LiveSeries;
  targets: { id: string; tier: number }[];
  index: Map<string, number>;
  /** Per bucket, requests per target (by index): the traffic share. */
  answered: TimeBuckets<Uint32Array>;
}

function requestErrorClass(status: number, outcome: string): number {
  if (status === 429) return 0;
  if (status === 499 || outcome === 'client_closed_request') return 2;
  if (status === 504 || outcome.includes('timeout')) return 4;
  if (status < 500) return 1;
  return 3;
}

export class LiveStats {
  readonly windowMs: number;
  private readonly buckets: number;
  private readonly routes = new Map<string, RouteStats>();
  private readonly targets = new Map<string, LiveSeries>();
  private readonly incidents: Incident[] = [];
  private readonly failovers: FailoverEntry[] = [];
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: LiveStatsOptions) {
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.buckets = options.buckets ?? 90;
    const window = { windowMs: this.windowMs, buckets: this.buckets };
    const wall = { now: () => options.clock.wallNow() };
    for (const route of options.config.routes.values()) {
      const targets = route.targets.map((t) => ({ id: t.id, tier: t.tier }));
      const n = targets.length;
      this.routes.set(route.name, {
        series: new LiveSeries(options.clock, window, REQUEST_ERRORS),
        targets,
        index: new Map(targets.map((t, i) => [t.id, i])),
        answered: new TimeBuckets<Uint32Array>(
          wall,
          window,
          () => new Uint32Array(n),
          (slot) => slot.fill(0),
        ),
      });
      for (const t of route.targets) {
        if (!this.targets.has(t.id))
          this.targets.set(t.id, new LiveSeries(options.clock, window, ATTEMPT_ERRORS));
      }
    }
    this.subscribe();
  }

  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** What the routes `visible` lets through did, with their targets and the incidents touching them. */
  snapshot(visible: (route: string) => boolean = () => true): LiveSnapshot {
    const routes: RouteView[] = [];
    // A target serving several routes is summed up once.
    const targetViews = new Map<string, { window: SeriesSummary; points: SeriesPoints }>();
    const targetView = (id: string) => {
      let view = targetViews.get(id);
      if (!view) {
        const series = this.targets.get(id)!;
        view = { window: series.summary(), points: series.points() };
        targetViews.set(id, view);
      }
      return view;
    };
    for (const [name, r] of this.routes) {
      if (!visible(name)) continue;
      const totals = new Uint32Array(r.targets.length);
      for (const { slot } of r.answered.entries()) {
        for (let i = 0; i < totals.length; i++) totals[i] = (totals[i] as number) + (slot[i] as number);
      }
      const all = totals.reduce((a, b) => a + b, 0);
      routes.push({
        name,
        window: r.series.summary(),
        points: r.series.points(),
        targets: r.targets.map((t, i) => ({
          ...t,
          share: all ? (totals[i] as number) / all : null,
          ...targetView(t.id),
        })),
      });
    }
    return {
      now: this.options.clock.wallNow(),
      windowMs: this.windowMs,
      bucketMs: this.windowMs / this.buckets,
      routes,
      incidents: this.incidents.filter((i) => targetViews.has(i.target)).map((i) => ({ ...i })),
      failovers: this.failovers.filter((f) => visible(f.route)).map((f) => ({ ...f })),
    };
  }

  private subscribe(): void {
    const on = <K extends keyof GatewayEvents>(name: K, fn: (e: GatewayEvents[K]) => void): void => {
      this.unsubscribe.push(this.options.events.subscribe(name, fn));
    };
    on('request.ended', (e) => this.requestEnded(e));
    on('attempt.ended', (e) => this.attemptEnded(e));
    on('failover', (e) => {
      const route = this.routes.get(e.route);
      if (!route || !route.index.has(e.from)) return;
      route.series.failover();
      this.targets.get(e.from)?.failover();
      this.remember(
        this.failovers,
        this.options.maxFailovers ?? 50,
        (f) => f.route === e.route && f.from === e.from && f.to === e.to && f.reason === e.reason,
        (at) => ({
          route: e.route,
          from: e.from,
          to: e.to,
          reason: e.reason,
          firstAt: at,
          lastAt: at,
          count: 1,
        }),
      );
    });
    on('target.skipped', (e) => this.targets.get(e.target)?.skipped());
    on('breaker.transition', (e) => {
      if (!this.targets.has(e.target)) return;
      this.remember(
        this.incidents,
        this.options.maxIncidents ?? 50,
        (i) =>
          i.kind === 'breaker' &&
          i.target === e.target &&
          i.from === e.from &&
          i.to === e.to &&
          i.reason === e.reason,
        (at): Incident => ({
          kind: 'breaker',
          target: e.target,
          from: e.from,
          to: e.to,
          reason: e.reason,
          firstAt: at,
          lastAt: at,
          count: 1,
        }),
      );
    });
    on('cooldown.set', (e) => {
      if (!this.targets.has(e.target)) return;
      // A key pool's key (by label): the target itself stays in while another key works.
      const reason = e.key === undefined ? e.reason : `${e.reason} on ${e.key}`;
      this.remember(
        this.incidents,
        this.options.maxIncidents ?? 50,
        (i) => i.kind === 'cooldown' && i.target === e.target && i.reason === reason,
        (at): Incident => ({
          kind: 'cooldown',
          target: e.target,
          reason,
          ms: e.ms,
          firstAt: at,
          lastAt: at,
          count: 1,
        }),
      );
    });
  }

  private requestEnded(e: GatewayEvents['request.ended']): void {
    const route = this.routes.get(e.route);
    if (!route) return;
    const ok = e.status < 400;
    route.series.record({
      ok,
      errorClass: ok ? undefined : requestErrorClass(e.status, e.outcome),
      latencyMs: e.totalMs,
      ttftMs: e.ttftMs,
      tokensIn: e.tokens?.prompt,
      tokensOut: e.tokens?.completion,
      costUsd: e.costUsd,
    });
    const i = e.target !== undefined ? route.index.get(e.target) : undefined;
    if (i !== undefined) {
      const slot = route.answered.current();
      slot[i] = (slot[i] as number) + 1;
    }
  }

  private attemptEnded(e: GatewayEvents['attempt.ended']): void {
    // A lost race or a client that left says nothing about the target.
    if (e.outcome === 'cancelled') return;
    const series = this.targets.get(e.target);
    if (!series) return;
    const ok = e.outcome === 'ok';
    if (!ok) this.routes.get(e.route)?.series.attemptFailed();
    series.record({
      ok,
      errorClass: ok ? undefined : (ATTEMPT_ERRORS as readonly string[]).indexOf(e.outcome),
      latencyMs: e.durationMs,
      ttftMs: e.ttftMs,
      tokensIn: e.tokens?.prompt,
      tokensOut: e.tokens?.completion,
      costUsd: e.costUsd,
    });
  }

  /**
   * Folds a repeat of an entry still in the ring into it (counted, and moved to the newest place, so the
   * ring stays in order of last occurrence); otherwise appends, keeping the ring at `max`. A scan of at
   * most `max` entries, on failovers and incidents only (never on every request).
   */
  private remember<T extends { lastAt: number; count: number }>(
    ring: T[],
    max: number,
    same: (entry: T) => boolean,
    make: (at: number) => T,
  ): void {
    const at = this.options.clock.wallNow();
    for (let i = ring.length - 1; i >= 0; i--) {
      const entry = ring[i]!;
      if (!same(entry)) continue;
      entry.lastAt = at;
      entry.count++;
      if (i !== ring.length - 1) ring.push(...ring.splice(i, 1));
      return;
    }
    ring.push(make(at));
    if (ring.length > max) ring.splice(0, ring.length - max);
  }
}
