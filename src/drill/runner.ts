/**
 * Runs one scenario: two simulated providers on loopback, the gateway in front of them (in this
 * process), a short calibration of the healthy fallback's TTFT, then the scripted incident on the
 * primary under steady load, while the gateway's status endpoint and the simulators' hit counters are
 * sampled for the timeline. Everything is closed before it returns.
 */
import { request } from 'undici';
import { resolveConfig } from '../config/load.js';
import { startGateway } from '../main.js';
import { defaultStorePath } from '../store/open.js';
import { silentLogger } from '../telemetry/logger.js';
import { seededRandom } from '../simulator/random.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import {
  drillAlertConfig,
  drillRawConfig,
  DRILL_MODEL,
  FALLBACK_KEY,
  FALLBACK_TARGET,
  FALLBACK_ONLY_MODEL,
  PRIMARY_KEY,
  PRIMARY_TARGET,
  PROVIDER_PROFILES,
  scaledTimings,
  UPSTREAM_MODEL,
  DEFAULT_VARIANT,
  type DrillAlertSinks,
  type DrillObserver,
  type DrillTimings,
  type DrillVariant,
} from './config.js';
import { runLoad, type RequestRecord } from './load.js';
import { scaledWindows, toPhases, type FaultWindow, type Scenario } from './scenarios.js';

export interface RunOptions {
  rps: number;
  /** Seconds of load; defaults to the scenario's own. The timeline is rescaled to it. */
  durationS?: number;
  /** Seconds of fallback-only load before the scenario, to measure its healthy TTFT. Default 3. */
  calibrationS?: number;
  seed?: number;
  /** First-token timeout and hedging (default: 0.8 s, no hedge). */
  variant?: DrillVariant;
  log?: (line: string) => void;
  /** Webhooks that get the gateway's alerts during the run (`--slack-webhook`, `--webhook`). */
  alerts?: DrillAlertSinks;
  /** Watches the gateway during the run (src/drill/config.ts). */
  observe?: DrillObserver;
  /** Changes the raw gateway config before it is validated (experiments and tests; not on the CLI). */
  tune?: (raw: Record<string, unknown>) => void;
}

/** One sample of the gateway's view of the primary and of the upstream hit counters. */
export interface Sample {
  tMs: number;
  primaryState: string;
  primaryWeight: number;
  trippedBy: string | null;
  /** Cumulative requests received by each simulator since the start of the load. */
  primaryUpstream: number;
  fallbackUpstream: number;
}

export interface RunResult {
  scenario: Scenario;
  durationS: number;
  rps: number;
  /** The timeline as run (rescaled when `durationS` differs from the scenario's). */
  windows: FaultWindow[];
  timings: DrillTimings;
  variant: DrillVariant;
  /** Client-side records of the fallback-only calibration load. */
  calibration: RequestRecord[];
  records: RequestRecord[];
  samples: Sample[];
  upstream: { primary: number; fallback: number };
  startedAt: string;
}

const SAMPLE_EVERY_MS = 200;
/** How often each simulator's TTFT is redrawn, so that consecutive requests differ. */
const JITTER_EVERY_MS = 25;

/** Redraws each simulator's healthy TTFT from its profile every few ms (seeded). */
function startJitter(sims: { primary: Simulator; fallback: Simulator }, seed: number): () => void {
  const random = seededRandom(seed);
  const draw = (): void => {
    for (const name of ['primary', 'fallback'] as const) {
      const p = PROVIDER_PROFILES[name];
      const ttftMs = Math.round(p.ttftMinMs + random() * (p.ttftMaxMs - p.ttftMinMs));
      sims[name].setBehavior(UPSTREAM_MODEL, { ttftMs });
    }
  };
  draw();
  const timer = setInterval(draw, JITTER_EVERY_MS);
  return () => clearInterval(timer);
}

interface StatusBody {
  targets: { id: string; state: string; weight: number; trippedBy: string | null }[];
}

async function readStatus(url: string): Promise<StatusBody['targets'][number] | undefined> {
  const res = await request(`${url}/v1/switchyard/status`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.body.json()) as StatusBody;
  return body.targets.find((t) => t.id === PRIMARY_TARGET);
}

function startSampler(
  gatewayUrl: string,
  sims: { primary: Simulator; fallback: Simulator },
  base: { primary: number; fallback: number },
  t0: number,
): { stop: () => Promise<Sample[]> } {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const tMs = performance.now() - t0;
      const primaryUpstream = sims.primary.stats().requests - base.primary;
      const fallbackUpstream = sims.fallback.stats().requests - base.fallback;
      const status = await readStatus(gatewayUrl).catch(() => undefined);
      samples.push({
        tMs,
        primaryState: status?.state ?? 'unknown',
        primaryWeight: status?.weight ?? NaN,
        trippedBy: status?.trippedBy ?? null,
        primaryUpstream,
        fallbackUpstream,
      });
      await new Promise((r) => setTimeout(r, Math.max(0, tMs + SAMPLE_EVERY_MS - (performance.now() - t0))));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const durationS = options.durationS ?? scenario.durationS;
  const scale = durationS / scenario.durationS;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => undefined);
  const windows = scaledWindows(scenario, scale);
  const timings = scaledTimings(scale);
  const profile = (p: (typeof PROVIDER_PROFILES)['primary' | 'fallback']) => ({
    ttftMs: p.ttftMinMs,
    tokensPerSecond: p.tokensPerSecond,
    replyTokens: p.replyTokens,
  });
  const primary = await startSimulator({
    apiKey: PRIMARY_KEY,
    seed,
    defaultBehavior: profile(PROVIDER_PROFILES.primary),
  });
  const fallback = await startSimulator({
    apiKey: FALLBACK_KEY,
    seed: seed + 1,
    defaultBehavior: profile(PROVIDER_PROFILES.fallback),
  });
  const sims = { primary, fallback };
  const variant = options.variant ?? DEFAULT_VARIANT;
  const raw = drillRawConfig({ primaryUrl: primary.url, fallbackUrl: fallback.url }, timings, variant);
  if (options.alerts?.slackWebhook || options.alerts?.webhook)
    Object.assign(raw, drillAlertConfig(options.alerts, scale));
  // What an operator would watch during an incident: the drill has them all on (metrics are off by default).
  raw.metrics = { enabled: true };
  options.tune?.(raw);
  // The drill reports what happened itself; the gateway's own log would interleave with it.
  const gateway = await startGateway(resolveConfig(raw, { env: {} }), { log: silentLogger });
  const stopJitter = startJitter(sims, seed + 2);
  log(`  watch it: ${gateway.url}/status (status page), ${gateway.url}/metrics (Prometheus)`);
  try {
    const calibrationS = options.calibrationS ?? 3;
    log(`  calibrating the fallback alone for ${calibrationS} s…`);
    const calibration = await runLoad({
      url: gateway.url,
      model: FALLBACK_ONLY_MODEL,
      rps: options.rps,
      durationMs: calibrationS * 1_000,
    });
    const base = { primary: primary.stats().requests, fallback: fallback.stats().requests };
    const startedAt = new Date().toISOString();
    log(`  running ${scenario.name} for ${durationS} s at ${options.rps} rps…`);
    let sampler: { stop: () => Promise<Sample[]> } | undefined;
    const records = await runLoad(
      {
        url: gateway.url,
        model: DRILL_MODEL,
        routeTargets: [PRIMARY_TARGET, FALLBACK_TARGET],
        rps: options.rps,
        durationMs: durationS * 1_000,
      },
      (t0) => {
        primary.schedule(UPSTREAM_MODEL, toPhases(windows));
        sampler = startSampler(gateway.url, sims, base, t0);
        options.observe?.started?.(gateway, windows);
      },
    );
    const samples = await sampler!.stop();
    await options.observe?.finished?.(gateway);
    return {
      scenario,
      durationS,
      rps: options.rps,
      windows,
      timings,
      variant,
      calibration,
      records,
      samples,
      upstream: {
        primary: primary.stats().requests - base.primary,
        fallback: fallback.stats().requests - base.fallback,
      },
      startedAt,
    };
  } finally {
    stopJitter();
    await gateway.close();
    await Promise.all([primary.close(), fallback.close()]);
    const { store } = gateway.config;
    if (gateway.store && store.driver === 'sqlite') {
      const path = store.path ?? defaultStorePath();
      log(`  request store: npx switchyard stats --store ${path} --by target --bucket 2s --window 2m`);
    }
    if (gateway.alerts) {
      const { notifications, sinks } = gateway.alerts.stats();
      const per = Object.entries(sinks).map(
        ([name, d]) => `${name}: ${d.delivered} delivered, ${d.dropped} dropped`,
      );
      log(`  alerts: ${notifications} sent (${per.join('; ')})`);
    }
  }
}
