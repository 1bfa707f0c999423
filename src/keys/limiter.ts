/**
 * Per-key limits and budgets (docs/keys.md), config keys and virtual keys alike, counted through
 * `WindowCounters` (src/state/counters.ts): in memory by default, shared when a shared backend is
 * given. Checked before a request reaches the engine, so a refused request never touches a target's
 * breaker, statistics or spend.
 *
 * - `limits.rpm`: one per request, per minute.
 * - `limits.tpm`: the estimate (prompt estimate + max_tokens or the default) is reserved up front;
 *   at the end the difference to what the providers reported is added (or given back) in the same
 *   minute. A request that ends in a later minute leaves its reservation where it was taken.
 * - `routing.cap` (the key's budget): the spend of the current UTC day / month must be below the cap
 *   to start a request; its cost is added when it ends (so one request may overshoot, never two after).
 * Each refusal is a 429 naming the limit, with `retry-after` in seconds until its window ends.
 */
import { ApiError } from '../core/errors.js';
import type { GatewayKey } from '../config/types.js';
import { MemoryCounters, type WindowCounters } from '../state/counters.js';
import { DAY_MS, fromMicroUsd, spendCounters, toMicroUsd } from '../state/spend-counters.js';

const MINUTE = 60_000;

export interface Reservation {
  key: GatewayKey;
  /** Tokens reserved, and the start of the minute they were counted in. */
  tokens: number;
  minute: number;
}

export interface LimiterOptions {
  counters?: WindowCounters;
  /** Wall-clock time, epoch ms (windows align on it). */
  wallNow?: () => number;
  failMode?: 'open' | 'closed';
  onError?: (error: Error) => void;
}

/**
 * The outcomes (request.ended, metrics, request store) of requests a key's own limits refused: the
 * client's doing, which no success SLO or failure alert counts against the providers.
 */
export const KEY_LIMIT_OUTCOMES: ReadonlySet<string> = new Set([
  'key_rate_limit_requests',
  'key_rate_limit_tokens',
  'key_budget_exceeded',
]);

const tooMany = (
  code: string,
  message: string,
  resetMs: number,
  type = 'rate_limit_error',
  reason = code,
): ApiError =>
  new ApiError({
    status: 429,
    type,
    code,
    reason,
    message,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(resetMs / 1000))) },
  });

export class KeyLimiter {
  private readonly counters: WindowCounters;
  private readonly wallNow: () => number;
  readonly failMode: 'open' | 'closed';
  /** Counter failures, by what was done about them. */
  readonly failures = { open: 0, closed: 0 };

  constructor(private readonly options: LimiterOptions = {}) {
    this.wallNow = options.wallNow ?? Date.now;
    this.counters = options.counters ?? new MemoryCounters(this.wallNow);
    this.failMode = options.failMode ?? 'open';
  }

  /** Whether `key` has anything to count (the common case without limits skips the estimate). */
  static limits(key: GatewayKey | undefined): boolean {
    return !!key && !!(key.limits?.rpm || key.limits?.tpm || key.routing?.cap);
  }

  /**
   * Admits a request of `key` or throws its 429 (503 when the counters fail and the mode is closed).
   * `estimate` is asked only under a tpm limit.
   */
  async admit(key: GatewayKey, estimate: () => number): Promise<Reservation | undefined> {
    if (!KeyLimiter.limits(key)) return undefined;
    try {
      return await this.check(key, estimate);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
      if (this.failMode === 'open') {
        this.failures.open++;
        return undefined;
      }
      this.failures.closed++;
      throw new ApiError({
        status: 503,
        type: 'server_error',
        code: 'limits_unavailable',
        message: `The limits of the key "${key.name}" cannot be checked right now; try again shortly.`,
        headers: { 'retry-after': '1' },
      });
    }
  }

  private async check(key: GatewayKey, estimate: () => number): Promise<Reservation | undefined> {
    const id = `key:${key.name}`;
    const now = this.wallNow();
    const cap = key.routing?.cap;
    if (cap) await this.checkBudget(id, key.name, cap, now);
    const { rpm, tpm } = key.limits ?? {};
    if (rpm) {
      const r = await this.counters.take(`${id}:rpm`, 1, rpm, MINUTE);
      if (!r.allowed) {
        throw tooMany(
          'key_rate_limit_requests',
          `Rate limit reached for the key "${key.name}": ${rpm} requests per minute. Try again in ${Math.ceil(r.resetMs / 1000)} s.`,
          r.resetMs,
        );
      }
    }
    if (!tpm) return undefined;
    const tokens = Math.max(1, Math.ceil(estimate()));
    const t = await this.counters.take(`${id}:tpm`, tokens, tpm, MINUTE);
    if (!t.allowed) {
      // The request is not made: its request no longer counts either.
      if (rpm) await this.counters.add(`${id}:rpm`, -1, MINUTE);
      const tooLarge = tokens > tpm;
      throw tooMany(
        'key_rate_limit_tokens',
        tooLarge
          ? `Request too large for the key "${key.name}": about ${tokens} tokens (prompt estimate and max_tokens) against a limit of ${tpm} tokens per minute. Ask for fewer max_tokens or send less.`
          : `Rate limit reached for the key "${key.name}": ${tpm} tokens per minute (used ${t.total}, this request needs about ${tokens}). Try again in ${Math.ceil(t.resetMs / 1000)} s.`,
        t.resetMs,
      );
    }
    return { key, tokens, minute: now - (now % MINUTE) };
  }

  private async checkBudget(
    id: string,
    name: string,
    cap: { dailyUsd?: number | undefined; monthlyUsd?: number | undefined },
    now: number,
  ): Promise<void> {
    const { day, month } = spendCounters(id, now);
    const periods = [
      { period: 'day', capUsd: cap.dailyUsd, counter: day },
      { period: 'month', capUsd: cap.monthlyUsd, counter: month },
    ] as const;
    for (const p of periods) {
      if (p.capUsd === undefined) continue;
      const spent = fromMicroUsd(await this.counters.peek(p.counter.name, p.counter.windowMs));
      if (spent < p.capUsd) continue;
      const resetMs = p.period === 'day' ? DAY_MS - (now % DAY_MS) : nextMonth(now) - now;
      // OpenAI's "You exceeded your current quota": insufficient_quota; the code keeps the routing
      // layer's name for a key's spend cap (docs/routing.md), which this is.
      throw tooMany(
        'cost_cap_reached',
        `The ${p.period === 'day' ? 'daily' : 'monthly'} spend cap of the key "${name}" is reached ($${spent.toFixed(4)} of $${p.capUsd}); it resets at the start of the next UTC ${p.period}.`,
        resetMs,
        'insufficient_quota',
        'key_budget_exceeded',
      );
    }
  }

  /**
   * At the end of a request: the tokens the providers reported replace the estimate (same minute
   * only), and the cost counts against the key's budget. Never throws; runs off the request path.
   */
  settle(
    key: GatewayKey,
    reservation: Reservation | undefined,
    used: { tokens: number; costUsd: number },
  ): void {
    const work: Promise<unknown>[] = [];
    const id = `key:${key.name}`;
    const now = this.wallNow();
    if (reservation && now - (now % MINUTE) === reservation.minute) {
      const delta = Math.round(used.tokens) - reservation.tokens;
      if (delta !== 0) work.push(this.counters.add(`${id}:tpm`, delta, MINUTE));
    }
    const cap = key.routing?.cap;
    const micro = toMicroUsd(used.costUsd);
    if (cap && micro > 0) {
      const { day, month } = spendCounters(id, now);
      if (cap.dailyUsd !== undefined) work.push(this.counters.add(day.name, micro, day.windowMs));
      if (cap.monthlyUsd !== undefined) work.push(this.counters.add(month.name, micro, month.windowMs));
    }
    for (const w of work) {
      w.catch((error: unknown) =>
        this.options.onError?.(error instanceof Error ? error : new Error(String(error))),
      );
    }
  }

  /** What the key used in the current windows (the admin API shows it). */
  async usage(key: GatewayKey): Promise<{
    requestsThisMinute: number;
    tokensThisMinute: number;
    usdToday: number;
    usdThisMonth: number;
  }> {
    const id = `key:${key.name}`;
    const now = this.wallNow();
    const { day, month } = spendCounters(id, now);
    const [r, t, d, m] = await Promise.all([
      this.counters.peek(`${id}:rpm`, MINUTE),
      this.counters.peek(`${id}:tpm`, MINUTE),
      this.counters.peek(day.name, day.windowMs),
      this.counters.peek(month.name, month.windowMs),
    ]);
    return {
      requestsThisMinute: r,
      tokensThisMinute: t,
      usdToday: fromMicroUsd(d),
      usdThisMonth: fromMicroUsd(m),
    };
  }
}

function nextMonth(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
