/**
 * Spend as the windowed counters (counters.ts) hold it, for the keys' budgets (src/keys/limiter.ts)
 * and the routing layer's shared cost caps (shared-spend.ts): micro-dollars, whole numbers that every
 * counter backend adds exactly, per UTC day and per month. Months differ in length, so a month's
 * counter carries the month in its name; its window only needs to outlast it (2^42 ms, about 139
 * years: the next boundary after the epoch's is in 2109).
 */
export const DAY_MS = 86_400_000;
const MONTH_WINDOW_MS = 2 ** 42;
const MICRO = 1_000_000;

export interface SpendCounter {
  name: string;
  windowMs: number;
}

/** The day's and the month's counters of `id` (e.g. `key:web`) at `now` (epoch ms). */
export function spendCounters(id: string, now: number): { day: SpendCounter; month: SpendCounter } {
  return {
    day: { name: `${id}:usd:day`, windowMs: DAY_MS },
    month: { name: `${id}:usd:${new Date(now).toISOString().slice(0, 7)}`, windowMs: MONTH_WINDOW_MS },
  };
}

export const toMicroUsd = (usd: number): number => Math.round(usd * MICRO);
export const fromMicroUsd = (micro: number): number => micro / MICRO;
