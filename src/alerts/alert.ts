/** What an alert says, whatever the sink: the manager keeps its state, the formatters render it. */
import type { Severity } from './settings.js';

export type AlertKind = 'slo' | 'breaker' | 'degraded' | 'budget' | 'key' | 'exhausted';

/** What a condition reports when it fires (the latest report of a firing alert wins). */
export interface AlertReport {
  kind: AlertKind;
  severity: Severity;
  /** What broke, in a few words: "Circuit breaker open: primary/gpt-4o". */
  title: string;
  /** What broke: the target, route or SLO the alert is about. */
  subject: string;
  /** One or two sentences: what is happening and what the gateway does about it. */
  summary: string;
  /** What the "resolved" message says happened (default: the condition cleared). */
  resolvedSummary?: string;
  route?: string;
  target?: string;
  /** A gateway key's configured name (never its secret). */
  gatewayKey?: string;
  /** The failure behind it, from the gateway's error catalogue (e.g. `upstream_503`). */
  errorClass?: string;
  /** Where the traffic goes instead. */
  failoverTarget?: string;
  /** Burn-rate alerts: which SLO and how fast its error budget burns. */
  slo?: {
    name: string;
    /** Percent, e.g. 99.9. */
    objectivePercent: number;
    longWindowMs: number;
    shortWindowMs: number;
    longBurnRate: number;
    shortBurnRate: number;
    factor: number;
    /** Bad share of requests over the long window, as a fraction. */
    badRatio: number;
  };
}

/** One message to the sinks: the alert's report plus its lifecycle. */
export interface AlertNotification extends AlertReport {
  /** Stable de-duplication key, e.g. `breaker:primary/gpt-4o`. */
  key: string;
  status: 'firing' | 'resolved';
  /** Wall-clock ms when the condition began. */
  since: number;
  /** Wall-clock ms when it cleared (resolved messages). */
  resolvedAt?: number;
  /** Times the condition was reported since it began. */
  occurrences: number;
  /** Firing/resolved changes held back by the rate limit since the previous message (a flapping alert). */
  suppressedChanges: number;
  statusPageUrl: string;
}
