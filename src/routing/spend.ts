/**
 * Spend per target, route and key, per UTC day and month, against the configured caps. Fed by the
 * `attempt.ended` events (targets and routes: every attempt's cost, lost and failed ones included) and
 * `request.ended` (keys: the request's total), so it costs nothing on the request path; asked by the
 * router before each plan. In memory; with `state.driver: redis`, src/state/shared-spend.ts raises the
 * totals to what every instance spent (counted in the shared counters), off the request path.
 */
import type { CostCap } from './schema.js';

export interface CapHit {
  period: 'day' | 'month';
  spentUsd: number;
  capUsd: number;
}

interface Spend {
  day: string;
  dayUsd: number;
  month: string;
  monthUsd: number;
}

/** Most scopes tracked (targets, routes and keys come from the config; a guard, not a working limit). */
const MAX_SCOPES = 10_000;

export class SpendLedger {
  private readonly spend = new Map<string, Spend>();

  constructor(private readonly wallNow: () => number) {}

  add(scope: string, usd: number): void {
    if (!(usd > 0) || !Number.isFinite(usd)) return;
    const s = this.current(scope, true)!;
    s.dayUsd += usd;
    s.monthUsd += usd;
  }

  /**
   * Shared state (src/state/shared-spend.ts): raises `scope`'s totals to what every instance spent
   * (the shared counters' totals), never lowers them.
   */
  raise(scope: string, dayUsd: number, monthUsd: number): void {
    const s = this.current(scope, true)!;
    if (dayUsd > s.dayUsd) s.dayUsd = dayUsd;
    if (monthUsd > s.monthUsd) s.monthUsd = monthUsd;
  }

  /** The first cap `scope` has reached, if any. */
  reached(scope: string, cap: CostCap | undefined): CapHit | undefined {
    if (!cap) return undefined;
    const s = this.current(scope, false);
    if (!s) return undefined;
    if (cap.dailyUsd !== undefined && s.dayUsd >= cap.dailyUsd)
      return { period: 'day', spentUsd: s.dayUsd, capUsd: cap.dailyUsd };
    if (cap.monthlyUsd !== undefined && s.monthUsd >= cap.monthlyUsd)
      return { period: 'month', spentUsd: s.monthUsd, capUsd: cap.monthlyUsd };
    return undefined;
  }

  /** Spent today and this month (UTC). */
  spent(scope: string): { dayUsd: number; monthUsd: number } {
    const s = this.current(scope, false);
    return { dayUsd: s?.dayUsd ?? 0, monthUsd: s?.monthUsd ?? 0 };
  }

  private current(scope: string, create: boolean): Spend | undefined {
    const iso = new Date(this.wallNow()).toISOString();
    const day = iso.slice(0, 10);
    const month = iso.slice(0, 7);
    let s = this.spend.get(scope);
    if (!s) {
      if (!create) return undefined;
      if (this.spend.size >= MAX_SCOPES) this.spend.clear();
      s = { day, dayUsd: 0, month, monthUsd: 0 };
      this.spend.set(scope, s);
    }
    if (s.month !== month) Object.assign(s, { month, monthUsd: 0 });
    if (s.day !== day) Object.assign(s, { day, dayUsd: 0 });
    return s;
  }
}

export const targetScope = (id: string): string => `target:${id}`;
export const routeScope = (name: string): string => `route:${name}`;
export const keyScope = (name: string): string => `key:${name}`;

export function describeHit(scope: string, hit: CapHit): string {
  return `cost-cap:${scope}:${hit.period}:${hit.spentUsd.toFixed(4)}>=${hit.capUsd}`;
}
