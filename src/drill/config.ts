/**
 * The gateway configuration every drill scenario runs against: one route, the primary then the
 * fallback (the same model at a second provider), with settings chosen for the best client
 * experience in a 45-60 s drill. docs/DRILL.md explains each choice; the short version:
 *
 * - `maxRetriesPerTarget: 0`: with a healthy fallback one hop away, failing over at once beats
 *   waiting to retry a provider that just failed (a retry-after of 2 s would be 2 s of dead air).
 * - `firstTokenMs: 800`: the primary's first token normally comes in 150-300 ms, so 800 ms is ~3×
 *   its p99. A request stuck on a slow primary fails over after 0.8 s, and five such timeouts in a
 *   row trip the breaker (`slow-calls`). No hedging: the first-token timeout already bounds the wait,
 *   and a hedge would add upstream requests (amplification) to save at most the difference between
 *   the hedge delay and 0.8 s on the few requests sent before the breaker trips.
 * - Breakers sized for a drill: 10 s window, open 3 s × trips (at most 12 s), one half-open probe
 *   (a failed or slow probe reopens at once), traffic ramped back over 10 s.
 */
import type { Gateway } from '../main.js';
import type { FaultWindow } from './scenarios.js';

export const DRILL_MODEL = 'drill';
/** The route used to measure the healthy fallback's own TTFT before each scenario. */
export const FALLBACK_ONLY_MODEL = 'drill-fallback';
export const UPSTREAM_MODEL = 'gpt-drill';
export const PRIMARY_TARGET = `primary/${UPSTREAM_MODEL}`;
export const FALLBACK_TARGET = `fallback/${UPSTREAM_MODEL}`;
export const PRIMARY_KEY = 'sk-drill-primary-0001';
export const FALLBACK_KEY = 'sk-drill-fallback-0002';

/** How the simulated providers answer when healthy: TTFT drawn uniformly in [min, max] ms. */
export const PROVIDER_PROFILES = {
  primary: { ttftMinMs: 150, ttftMaxMs: 300, tokensPerSecond: 50, replyTokens: 24 },
  fallback: { ttftMinMs: 200, ttftMaxMs: 350, tokensPerSecond: 50, replyTokens: 24 },
} as const;

/**
 * The gateway settings a run varies (`--first-token-ms`, `--hedge-ms`). The slow-call threshold
 * follows the first-token timeout: floor 800 ms and ceiling 1 s under the default 0.8 s timeout; the
 * 2 s default floor and the timeout as ceiling under a longer one (e.g. 3 s, issue 11's drill).
 * Hedging raises the caps so that every slow request is hedged ("if the primary has not started
 * streaming after the delay, ask the fallback too"): hedge ratio 1 and retry budget ratio 1.
 */
export interface DrillVariant {
  firstTokenMs: number;
  hedgeDelayMs?: number;
  /** `--continue`: the route continues streams cut after their first token (route `continuation`). */
  continuation?: boolean;
}

export const DEFAULT_VARIANT: Readonly<DrillVariant> = Object.freeze({ firstTokenMs: 800 });

/** The file name suffix of a variant: '' for the default, else e.g. `-ft3000-hedge800`. */
export function variantSuffix(v: DrillVariant): string {
  const ft = v.firstTokenMs === DEFAULT_VARIANT.firstTokenMs ? '' : `-ft${v.firstTokenMs}`;
  return `${ft}${v.hedgeDelayMs !== undefined ? `-hedge${v.hedgeDelayMs}` : ''}${v.continuation ? '-continue' : ''}`;
}

export function describeVariant(v: DrillVariant): string {
  const hedge = v.hedgeDelayMs !== undefined ? `, hedged after ${v.hedgeDelayMs} ms (caps raised)` : '';
  const cont = v.continuation ? ', cut streams continued (route `continuation`)' : '';
  return `first-token timeout ${v.firstTokenMs} ms${hedge}${cont}`;
}

export interface DrillTimings {
  openBaseMs: number;
  openMaxMs: number;
  slowStartWindowMs: number;
  windowMs: number;
}

export const DEFAULT_TIMINGS: Readonly<DrillTimings> = Object.freeze({
  openBaseMs: 3_000,
  openMaxMs: 12_000,
  slowStartWindowMs: 10_000,
  windowMs: 10_000,
});

/** Breaker time constants scaled with the timeline of a shortened run (never below 500 ms). */
export function scaledTimings(scale: number): DrillTimings {
  const s = (ms: number): number => Math.max(500, Math.round(ms * scale));
  return {
    openBaseMs: s(DEFAULT_TIMINGS.openBaseMs),
    openMaxMs: s(DEFAULT_TIMINGS.openMaxMs),
    slowStartWindowMs: s(DEFAULT_TIMINGS.slowStartWindowMs),
    windowMs: s(DEFAULT_TIMINGS.windowMs),
  };
}

/** The raw config (before validation), as a user would write it in switchyard.yaml. */
export function drillRawConfig(
  upstreams: { primaryUrl: string; fallbackUrl: string },
  timings: DrillTimings,
  variant: DrillVariant = DEFAULT_VARIANT,
): Record<string, unknown> {
  const { firstTokenMs, hedgeDelayMs } = variant;
  const longTimeout = firstTokenMs > 2_000;
  const hedge = hedgeDelayMs !== undefined ? { hedge: { delayMs: hedgeDelayMs, maxRatio: 1 } } : {};
  return {
    server: { port: 0, host: '127.0.0.1' },
    defaults: {
      timeouts: { connectMs: 1_000, headersMs: 5_000, firstTokenMs, stallMs: 2_000, requestMs: 15_000 },
      retry: { maxAttempts: 3, maxRetriesPerTarget: 0 },
    },
    ...(hedgeDelayMs !== undefined ? { retryBudget: { ratio: 1 } } : {}),
    breakers: {
      consecutiveFailures: 5,
      failureRateThreshold: 0.05,
      minimumCalls: 20,
      windowMs: timings.windowMs,
      slowCallMs: longTimeout ? firstTokenMs : 1_000,
      slowCallP95Multiple: 2,
      slowCallFloorMs: longTimeout ? 2_000 : 800,
      openBaseMs: timings.openBaseMs,
      openMaxMs: timings.openMaxMs,
      halfOpenProbes: 1,
      slowStartWindowMs: timings.slowStartWindowMs,
    },
    providers: {
      primary: { type: 'openai-compatible', baseUrl: `${upstreams.primaryUrl}/v1`, apiKey: PRIMARY_KEY },
      fallback: { type: 'openai-compatible', baseUrl: `${upstreams.fallbackUrl}/v1`, apiKey: FALLBACK_KEY },
    },
    routes: {
      [DRILL_MODEL]: {
        targets: [PRIMARY_TARGET, FALLBACK_TARGET],
        ...hedge,
        ...(variant.continuation ? { continuation: {} } : {}),
      },
      [FALLBACK_ONLY_MODEL]: { targets: [FALLBACK_TARGET] },
    },
  };
}

/** Where the drill's alerts go (`--slack-webhook`, `--webhook`); none: the drill sends no alerts. */
/** Hooks into a run, for what watches the gateway: none of them may throw into the drill. */
export interface DrillObserver {
  /** The load starts now (the incident's timeline counts from here); the gateway serves at `gateway.url`. */
  started?(gateway: Gateway, windows: readonly FaultWindow[]): void;
  /** The load is over and the gateway still serves; the run ends (and closes it) once this settles. */
  finished?(gateway: Gateway): Promise<void>;
}

export interface DrillAlertSinks {
  slackWebhook?: string;
  webhook?: string;
}

/**
 * The `slos` and `alerts` sections of a drill that sends alerts: the breaker, failover and exhaustion
 * alerts as configured for production, with times shrunk to the drill's timeline (a 50 s run lasts
 * less than the default 5 min quiet period and 10 min rate-limit window), and a 99.9 % success SLO on
 * the drill's route whose SLO period is 2 h, so that the page windows are 10 s and 0.8 s instead of
 * 1 h and 5 min. Deliveries retry after 0.2 s to 2 s instead of 1 s to 60 s.
 */
export function drillAlertConfig(sinks: DrillAlertSinks, scale: number): Record<string, unknown> {
  const s = (ms: number): number => Math.max(500, Math.round(ms * scale));
  return {
    slos: [{ name: 'drill-availability', route: DRILL_MODEL, objective: 99.9 }],
    alerts: {
      sinks: [
        ...(sinks.slackWebhook ? [{ type: 'slack', name: 'drill-slack', url: sinks.slackWebhook }] : []),
        ...(sinks.webhook ? [{ type: 'webhook', name: 'drill-webhook', url: sinks.webhook }] : []),
      ],
      sloPeriodMs: s(2 * 60 * 60 * 1000),
      resolveAfterMs: s(10_000),
      rateLimit: { perAlertWindowMs: s(30_000) },
      delivery: { timeoutMs: 2_000, backoffBaseMs: 200, backoffCapMs: 2_000, maxRetryAfterMs: 5_000 },
    },
  };
}
