/**
 * The drill scenarios: each is a scripted incident on the primary provider, written as windows of
 * time (seconds from the start of the load) during which the primary misbehaves. Outside those
 * windows it is healthy. The fallback provider is healthy throughout. Every scenario runs against the
 * same gateway configuration (config.ts): an operator does not know in advance which incident comes.
 */
import type { Fault, FaultPhase, ModelBehavior } from '../simulator/index.js';

export const SCENARIO_NAMES = [
  'outage',
  'rate-limit-storm',
  'slow-ttft',
  'hang',
  'mid-stream-cuts',
  'flapping',
  'recovery',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** One window of misbehaviour on the primary, in seconds from the start of the load. */
export interface FaultWindow {
  fromS: number;
  toS: number;
  fault?: Fault;
  /** Probability that `fault` applies to a request (seeded). Default 1. */
  faultRate?: number;
  behavior?: Partial<ModelBehavior>;
}

/** Which of the targets a scenario is held to (the others are reported, not judged). */
export type TargetId =
  | 'success'
  | 'detection'
  | 'ttft-after-detection'
  | 'amplification'
  | 'gradual-return'
  | 'slow-detection'
  | 'fault-amplification'
  | 'longest-wait';

export interface Scenario {
  name: ScenarioName;
  title: string;
  description: string;
  /** Seconds of load at the default settings; `--duration` rescales the whole timeline. */
  durationS: number;
  windows: FaultWindow[];
  targets: TargetId[];
  /**
   * A slow primary (first tokens late or never): with a first-token timeout above the 2 s slow-call
   * floor, it is held to issue 11's targets instead (`SLOW_FAULT_TARGETS`).
   */
  slowFault?: boolean;
  /** The targets under `--continue` (the route continues cut streams), when they differ. */
  continuationTargets?: TargetId[];
}

const ALL_TARGETS: TargetId[] = [
  'success',
  'detection',
  'ttft-after-detection',
  'amplification',
  'gradual-return',
];

/**
 * Issue 11, for slow faults under a first-token timeout longer than the slow-call floor: detection
 * within 2.5 s, amplification ≤ 1.17 in the fault window, no request waiting longer than that.
 */
export const SLOW_FAULT_TARGETS: TargetId[] = [
  'success',
  'slow-detection',
  'fault-amplification',
  'longest-wait',
  'ttft-after-detection',
];

const outage503: Fault = { kind: 'status', status: 503 };

/** Flapping: 2 s down, 3 s up, six times. */
const flaps: FaultWindow[] = Array.from({ length: 6 }, (_, i) => ({
  fromS: 10 + i * 5,
  toS: 12 + i * 5,
  fault: outage503,
}));

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  outage: {
    name: 'outage',
    title: 'Hard outage of the primary',
    description:
      'From 10 s to 25 s every request to the primary is answered 503 at once; then it is healthy again.',
    durationS: 50,
    windows: [{ fromS: 10, toS: 25, fault: outage503 }],
    targets: ALL_TARGETS,
  },
  'rate-limit-storm': {
    name: 'rate-limit-storm',
    title: '429 storm with retry-after',
    description:
      'From 10 s to 30 s every request to the primary gets 429 rate_limit_exceeded with `retry-after: 2`.',
    durationS: 45,
    windows: [
      { fromS: 10, toS: 30, fault: { kind: 'status', status: 429, retryAfterSeconds: 2, limit: 'requests' } },
    ],
    targets: [],
  },
  'slow-ttft': {
    name: 'slow-ttft',
    title: 'Primary time to first token degrades to 5 s',
    description:
      'From 10 s to 30 s the primary answers normally but its first token takes 5 s instead of 150-300 ms.',
    durationS: 50,
    windows: [{ fromS: 10, toS: 30, behavior: { ttftMs: 5_000 } }],
    targets: ALL_TARGETS,
    slowFault: true,
  },
  hang: {
    name: 'hang',
    title: 'Primary accepts requests and never answers',
    description:
      'From 10 s to 30 s the primary accepts every request (the connection stays open) and never sends a byte back; then it is healthy again.',
    durationS: 50,
    windows: [{ fromS: 10, toS: 30, fault: { kind: 'hang' } }],
    targets: ALL_TARGETS,
    slowFault: true,
  },
  'mid-stream-cuts': {
    name: 'mid-stream-cuts',
    title: 'Mid-stream cuts on 10 % of streams',
    description:
      "From 10 s to 30 s, 10 % of the primary's streams are cut (socket destroyed, no terminator) after 4 chunks, i.e. after the first tokens reached the client.",
    durationS: 45,
    windows: [{ fromS: 10, toS: 30, fault: { kind: 'cut', afterChunks: 4 }, faultRate: 0.1 }],
    targets: [],
    // Issue 12: with the route continuing cut streams, the client sees ≥ 99.9 % success.
    continuationTargets: ['success'],
  },
  flapping: {
    name: 'flapping',
    title: 'Flapping primary',
    description: 'From 10 s to 40 s the primary alternates: 2 s of 503s, 3 s healthy, six times.',
    durationS: 60,
    windows: flaps,
    targets: [],
  },
  recovery: {
    name: 'recovery',
    title: 'Recovery after an outage',
    description:
      'From 5 s to 15 s the primary resets every connection (hard down); then it is healthy for 30 s. Watch the breaker probe it and the traffic ramp back over the slow-start window.',
    durationS: 45,
    windows: [{ fromS: 5, toS: 15, fault: { kind: 'reset' } }],
    targets: ['success', 'amplification', 'gradual-return'],
  },
};

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** The windows of a scenario with every time multiplied by `scale` (for shortened runs). */
export function scaledWindows(scenario: Scenario, scale: number): FaultWindow[] {
  return scenario.windows.map((w) => ({ ...w, fromS: w.fromS * scale, toS: w.toS * scale }));
}

/** The span from the first window's start to the last one's end. */
export function incidentSpan(windows: readonly FaultWindow[]): { fromS: number; toS: number } {
  return {
    fromS: Math.min(...windows.map((w) => w.fromS)),
    toS: Math.max(...windows.map((w) => w.toS)),
  };
}

/**
 * The simulator schedule for the windows, to be started at t = 0: healthy gaps (`fault: null`)
 * between the windows; after the last phase the simulator is back to its normal behaviour.
 */
export function toPhases(windows: readonly FaultWindow[]): FaultPhase[] {
  const phases: FaultPhase[] = [];
  let at = 0;
  for (const w of [...windows].sort((a, b) => a.fromS - b.fromS)) {
    if (w.fromS > at) phases.push({ durationMs: Math.round((w.fromS - at) * 1000), fault: null });
    phases.push({
      durationMs: Math.round((w.toS - w.fromS) * 1000),
      fault: w.fault ?? null,
      ...(w.faultRate !== undefined ? { faultRate: w.faultRate } : {}),
      ...(w.behavior ? { behavior: w.behavior } : {}),
    });
    at = w.toS;
  }
  return phases;
}
