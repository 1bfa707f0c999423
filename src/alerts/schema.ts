/**
 * The `slos` and `alerts` sections of the config (docs/configuration.md#slos-and-alerts). Part of the
 * one config schema (src/config/schema.ts imports them); cross-references (routes, key names) are
 * checked when the config is resolved (resolve.ts).
 */
import { z } from 'zod';

const positiveMs = z.number().int().positive();
const nonNegativeMs = z.number().int().nonnegative();

/** 30 days: the SRE workbook's SLO period, which its burn-rate windows are fractions of. */
export const DEFAULT_SLO_PERIOD_MS = 30 * 24 * 60 * 60 * 1000;

const sloSchema = z
  .object({
    /** Names the SLO in alerts (letters, digits, _ . -). */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'SLO names use letters, digits, _ . -'),
    /** The public model name whose requests count. */
    route: z.string().min(1),
    /** Only this gateway key's requests (its configured name); every key's when absent. */
    key: z.string().min(1).optional(),
    /** Percent of requests that must be good, e.g. 99.9. */
    objective: z
      .number()
      .min(50, 'objective is a percentage between 50 and 100 (e.g. 99.9), not a fraction')
      .lt(100, 'objective must be below 100 (an objective of 100 % leaves no error budget)'),
    /** Present: a latency SLO (good = a successful request within thresholdMs); absent: a success SLO. */
    latency: z
      .object({
        thresholdMs: positiveMs,
        /** `ttft`: time to first token (a non-streamed request: its whole time); `total`: the whole request. */
        measure: z.enum(['ttft', 'total']).default('ttft'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const slosSchema = z
  .array(sloSchema)
  .max(100, 'at most 100 SLOs')
  .default([])
  .superRefine((slos, ctx) => {
    const seen = new Set<string>();
    slos.forEach((s, i) => {
      if (seen.has(s.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate SLO name "${s.name}"` });
      seen.add(s.name);
    });
  });

const sinkSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('slack'),
      /** Shown in logs instead of the URL (a Slack webhook URL is a secret: it grants posting). */
      name: z.string().min(1).optional(),
      url: z.url({ protocol: /^https?$/ }),
    })
    .strict(),
  z
    .object({
      type: z.literal('webhook'),
      name: z.string().min(1).optional(),
      url: z.url({ protocol: /^https?$/ }),
      /** Extra request headers (e.g. an Authorization header); their values are treated as secrets. */
      headers: z.record(z.string(), z.string()).default({}),
    })
    .strict(),
]);

const burnRateSchema = z
  .object({
    severity: z.enum(['page', 'ticket']),
    longWindowMs: positiveMs,
    shortWindowMs: positiveMs,
    /** Fires when both windows burn the error budget at least this many times faster than allowed. */
    factor: z.number().positive(),
  })
  .strict()
  .refine((b) => b.shortWindowMs < b.longWindowMs, {
    message: 'shortWindowMs must be shorter than longWindowMs',
    path: ['shortWindowMs'],
  });

const eventAlertSchema = z.enum(['page', 'ticket', 'off']);

export const alertsSchema = z
  .object({
    /** Where alerts go; without sinks nothing is evaluated or sent. */
    sinks: z.array(sinkSchema).max(10, 'at most 10 alert sinks').default([]),
    /** Linked from every alert; default: the gateway's URL + /status. */
    statusPageUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** The SLO period the default burn-rate windows are fractions of (30 days). Shorten it for drills. */
    sloPeriodMs: positiveMs.default(DEFAULT_SLO_PERIOD_MS),
    /** Replaces the SRE workbook's windows (1 h/5 m at 14.4×, 6 h/30 m at 6×, 3 d/6 h at 1×). */
    burnRates: z.array(burnRateSchema).min(1).max(6).optional(),
    /** Requests a long window needs before its burn rate counts (a single failure is not an incident). */
    minRequests: z.number().int().positive().default(10),
    /** How often the SLOs are evaluated (off the request path); default: the shortest window / 5, ≤ 30 s. */
    evaluateEveryMs: positiveMs.optional(),
    /** Severity per kind of event alert, or `off`. */
    events: z
      .object({
        breaker: eventAlertSchema.default('ticket'),
        degraded: eventAlertSchema.default('ticket'),
        budget: eventAlertSchema.default('ticket'),
        key: eventAlertSchema.default('ticket'),
        exhausted: eventAlertSchema.default('ticket'),
      })
      .strict()
      .prefault({}),
    /** An alert that has no "clear" event (failover, budget, exhausted) resolves after this long without one. */
    resolveAfterMs: positiveMs.default(300_000),
    rateLimit: z
      .object({
        /** Notifications per alert (firing and resolved) within `perAlertWindowMs`; a flapping alert waits. */
        perAlert: z.number().int().min(2).default(4),
        perAlertWindowMs: positiveMs.default(600_000),
        /** Notifications per minute over every alert. */
        perMinute: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    delivery: z
      .object({
        timeoutMs: positiveMs.default(5_000),
        /** Tries per message, the first included. */
        maxAttempts: z.number().int().min(1).max(20).default(6),
        backoffBaseMs: positiveMs.default(1_000),
        backoffCapMs: positiveMs.default(60_000),
        /** A Retry-After longer than this is cut to it. */
        maxRetryAfterMs: nonNegativeMs.default(120_000),
        /** Messages waiting per sink (besides the one being sent); past it the oldest is dropped (counted and logged). */
        maxQueued: z.number().int().positive().max(10_000).default(100),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type SloConfig = z.output<typeof sloSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;
export type SinkConfig = AlertsConfig['sinks'][number];
export type BurnRateConfig = z.output<typeof burnRateSchema>;
