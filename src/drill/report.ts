/**
 * One scenario's report: the metrics of metrics.ts computed on a run, and the targets checked
 * against them (met or not, with the numbers and, when missed, by how much).
 */
import { PRIMARY_TARGET, variantSuffix, type DrillVariant } from './config.js';
import {
  attemptsPerRequest,
  detect,
  longestWait,
  pct,
  perSecond,
  recover,
  successRate,
  ttftSummary,
  type Detection,
  type Recovery,
  type SecondBucket,
  type TtftSummary,
} from './metrics.js';
import type { RunResult, Sample } from './runner.js';
import { incidentSpan, SLOW_FAULT_TARGETS, type TargetId } from './scenarios.js';

export interface TargetCheck {
  id: TargetId;
  target: string;
  actual: string;
  met: boolean;
  /** When missed: by how much. */
  miss?: string;
}

export interface ScenarioReport {
  /** The scenario's name and its variant's suffix: the name of its files (NAME.json, NAME.svg). */
  id: string;
  name: string;
  variant: DrillVariant;
  title: string;
  description: string;
  startedAt: string;
  rps: number;
  durationS: number;
  fault: { fromS: number; toS: number };
  windows: { fromS: number; toS: number }[];
  requests: number;
  successRate: number;
  failures: Record<string, number>;
  ttft: TtftSummary;
  /** Successful requests started between detection and the end of the fault. */
  ttftAfterDetection?: TtftSummary;
  /** The healthy fallback alone, measured through the gateway before the scenario. */
  fallbackBaseline: TtftSummary;
  upstream: { primary: number; fallback: number };
  amplification: number;
  /** Upstream attempts per request over the requests sent during the fault. */
  faultAmplification: number;
  /** The longest a request sent during the fault waited for its first token (or its end). */
  longestWaitMs?: number;
  detection?: Detection;
  recovery: Recovery;
  /** Times the primary's breaker went from closed or half-open to open. */
  breakerTrips: number;
  maxClientLagMs: number;
  slowStartWindowMs: number;
  checks: TargetCheck[];
  seconds: SecondBucket[];
  samples: Sample[];
}

function countTrips(samples: readonly Sample[]): number {
  let trips = 0;
  for (let i = 1; i < samples.length; i++)
    if (samples[i]!.primaryState === 'open' && samples[i - 1]!.primaryState !== 'open') trips++;
  return trips;
}

function failureReasons(run: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of run.records) {
    if (r.ok) continue;
    const reason = (r.error ?? 'unknown').replace(/\d+(\.\d+)?\s?ms/g, 'N ms').slice(0, 80);
    out[reason] = (out[reason] ?? 0) + 1;
  }
  return out;
}

const ms = (x: number | undefined): string => (x === undefined ? 'n/a' : `${Math.round(x)} ms`);

export function buildReport(run: RunResult): ScenarioReport {
  const span = incidentSpan(run.windows);
  const fault = { fromMs: span.fromS * 1_000, toMs: span.toS * 1_000 };
  const detection = detect(run.records, fault, PRIMARY_TARGET);
  const afterDetection = detection
    ? ttftSummary(run.records.filter((r) => r.startMs >= detection.atMs && r.startMs < fault.toMs))
    : undefined;
  const recovery = recover(run.records, fault, PRIMARY_TARGET, run.timings.slowStartWindowMs);
  const requests = run.records.length;
  const longest = longestWait(run.records, fault);
  const report: ScenarioReport = {
    id: `${run.scenario.name}${variantSuffix(run.variant)}`,
    name: run.scenario.name,
    variant: run.variant,
    title: run.scenario.title,
    description: run.scenario.description,
    startedAt: run.startedAt,
    rps: run.rps,
    durationS: run.durationS,
    fault: span,
    windows: run.windows.map((w) => ({ fromS: w.fromS, toS: w.toS })),
    requests,
    successRate: successRate(run.records),
    failures: failureReasons(run),
    ttft: ttftSummary(run.records),
    ...(afterDetection ? { ttftAfterDetection: afterDetection } : {}),
    fallbackBaseline: ttftSummary(run.calibration),
    upstream: run.upstream,
    amplification: (run.upstream.primary + run.upstream.fallback) / Math.max(1, requests),
    faultAmplification: attemptsPerRequest(run.records, fault),
    ...(longest !== undefined ? { longestWaitMs: longest } : {}),
    ...(detection ? { detection } : {}),
    recovery,
    breakerTrips: countTrips(run.samples),
    maxClientLagMs: Math.max(0, ...run.records.map((r) => r.lagMs)),
    slowStartWindowMs: run.timings.slowStartWindowMs,
    checks: [],
    seconds: perSecond(run.records, run.durationS, PRIMARY_TARGET),
    samples: run.samples,
  };
  const slowTargets = run.scenario.slowFault && run.variant.firstTokenMs > 2_000;
  const continued = run.variant.continuation ? run.scenario.continuationTargets : undefined;
  const targets = slowTargets ? SLOW_FAULT_TARGETS : (continued ?? run.scenario.targets);
  report.checks = targets.map((id) => check(id, report));
  return report;
}

function check(id: TargetId, r: ScenarioReport): TargetCheck {
  switch (id) {
    case 'success': {
      const met = r.successRate >= 0.999;
      const failed = r.requests - Math.round(r.successRate * r.requests);
      return {
        id,
        target: 'client success ≥ 99.9 %',
        actual: `${pct(r.successRate, 2)} (${failed} of ${r.requests} failed)`,
        met,
        ...(met ? {} : { miss: `${((0.999 - r.successRate) * 100).toFixed(2)} points short` }),
      };
    }
    case 'detection': {
      const d = r.detection;
      if (!d)
        return { id, target: '≤ 5 requests or ≤ 2 s', actual: 'never detected', met: false, miss: 'never' };
      const met = d.requests <= 5 || d.seconds <= 2;
      return {
        id,
        target: 'detection within 5 requests or 2 s',
        actual: `${d.requests} requests, ${d.seconds.toFixed(2)} s`,
        met,
        ...(met ? {} : { miss: `${d.requests - 5} requests and ${(d.seconds - 2).toFixed(2)} s over` }),
      };
    }
    case 'ttft-after-detection': {
      const base = r.fallbackBaseline.p99;
      const after = r.ttftAfterDetection?.p99;
      if (base === undefined || after === undefined)
        return { id, target: 'p99 TTFT ≤ 1.5× fallback', actual: 'n/a', met: false, miss: 'not measurable' };
      const ratio = after / base;
      const met = ratio <= 1.5;
      return {
        id,
        target: `p99 TTFT after detection ≤ 1.5× healthy fallback p99 (${ms(base)} → ≤ ${ms(1.5 * base)})`,
        actual: `${ms(after)} (${ratio.toFixed(2)}×)`,
        met,
        ...(met ? {} : { miss: `${ms(after - 1.5 * base)} over (${ratio.toFixed(2)}× instead of 1.5×)` }),
      };
    }
    case 'amplification': {
      const met = r.amplification <= 1.1;
      return {
        id,
        target: 'amplification ≤ 1.1',
        actual: `${r.amplification.toFixed(3)} (${r.upstream.primary + r.upstream.fallback} upstream / ${r.requests})`,
        met,
        ...(met ? {} : { miss: `${(r.amplification - 1.1).toFixed(3)} over` }),
      };
    }
    case 'slow-detection': {
      const d = r.detection;
      if (!d) return { id, target: 'detection ≤ 2.5 s', actual: 'never detected', met: false, miss: 'never' };
      const met = d.seconds <= 2.5;
      return {
        id,
        target: 'detection within 2.5 s of the fault',
        actual: `${d.seconds.toFixed(2)} s, ${d.requests} requests`,
        met,
        ...(met ? {} : { miss: `${(d.seconds - 2.5).toFixed(2)} s over` }),
      };
    }
    case 'fault-amplification': {
      const met = r.faultAmplification <= 1.17;
      return {
        id,
        target: 'amplification ≤ 1.17 in the fault window',
        actual: `${r.faultAmplification.toFixed(3)} upstream attempts per request sent during the fault`,
        met,
        ...(met ? {} : { miss: `${(r.faultAmplification - 1.17).toFixed(3)} over` }),
      };
    }
    case 'longest-wait':
      return longestWaitCheck(r);
    case 'gradual-return':
      return {
        id,
        target: 'traffic returns gradually over the slow-start window',
        actual: r.recovery.verdict,
        met: r.recovery.gradual,
        ...(r.recovery.gradual ? {} : { miss: r.recovery.verdict }),
      };
  }
}

/** No request waits longer than the detection time (plus the fallback's own p99 TTFT once moved). */
function longestWaitCheck(r: ScenarioReport): TargetCheck {
  const id: TargetId = 'longest-wait';
  const target = 'no request waits longer than the time to detect (+ healthy fallback p99 TTFT)';
  const base = r.fallbackBaseline.p99;
  if (!r.detection || base === undefined || r.longestWaitMs === undefined)
    return { id, target, actual: 'n/a', met: false, miss: 'not measurable' };
  const bound = r.detection.seconds * 1_000 + base;
  const met = r.longestWaitMs <= bound;
  return {
    id,
    target,
    actual: `${ms(r.longestWaitMs)} (bound ${ms(bound)})`,
    met,
    ...(met ? {} : { miss: `${ms(r.longestWaitMs - bound)} over` }),
  };
}

export interface SummaryRow {
  scenario: string;
  success: string;
  ttft: string;
  ttftAfter: string;
  amplification: string;
  detection: string;
  recovery: string;
  targets: string;
}

export function summaryRow(r: ScenarioReport): SummaryRow {
  const met = r.checks.filter((c) => c.met).length;
  const after = r.ttftAfterDetection?.p99;
  const base = r.fallbackBaseline.p99;
  return {
    scenario: r.id ?? r.name,
    success: pct(r.successRate, 2),
    ttft: [r.ttft.p50, r.ttft.p95, r.ttft.p99]
      .map((x) => (x === undefined ? '-' : Math.round(x)))
      .join(' / '),
    ttftAfter:
      after === undefined || base === undefined
        ? '-'
        : `${Math.round(after)} (${(after / base).toFixed(2)}×)`,
    amplification: `${r.amplification.toFixed(3)} / ${r.faultAmplification?.toFixed(3) ?? '-'}`,
    detection: r.detection ? `${r.detection.requests} req / ${r.detection.seconds.toFixed(2)} s` : 'never',
    recovery:
      r.recovery.seconds !== undefined
        ? `${r.recovery.seconds.toFixed(1)} s${r.recovery.gradual ? ' (gradual)' : ' (not gradual)'}`
        : 'never',
    targets: r.checks.length ? `${met}/${r.checks.length}` : '-',
  };
}

export const SUMMARY_HEADERS: Record<keyof SummaryRow, string> = {
  scenario: 'scenario',
  success: 'success',
  ttft: 'TTFT p50/p95/p99 ms',
  ttftAfter: 'p99 after detect ms',
  amplification: 'amplif. run / fault',
  detection: 'detection',
  recovery: 'recovery',
  targets: 'targets met',
};
