/**
 * One rolling series of the status page: what a route's requests or a target's attempts did over the
 * last minutes, in time buckets (a ring, src/resilience/time-buckets.ts), plus today's totals (UTC day).
 *
 * Each bucket holds counters (calls, successes, errors by class, failovers, skips, tokens, cost) and two
 * small log-scale histograms (latency and time to first token), allocated the first time a bucket gets a
 * sample and reused after. Recording is O(1): a few increments and one logarithm per histogram. Reading
 * (a status poll) merges the buckets: O(buckets × bins). Memory is fixed per series: at most
 * `buckets × 2 × 62` counters (about 45 KB for 90 buckets), nothing per request.
 *
 * Quantiles report the geometric middle of their bin: within ±10 % (√1.2 − 1) of a true value, between
 * 10 ms and 10 min (values outside read as the nearest edge).
 */
import { TimeBuckets } from '../resilience/time-buckets.js';

const MIN_MS = 10;
const MAX_MS = 10 * 60_000;
const GROWTH = 1.2;
const LOG_GROWTH = Math.log(GROWTH);
const BINS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1;
const DAY_MS = 86_400_000;

interface Slot {
  calls: number;
  ok: number;
  errors: Uint32Array;
  failovers: number;
  skipped: number;
  failedAttempts: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latency: Uint32Array | null;
  ttft: Uint32Array | null;
}

export interface Sample {
  ok: boolean;
  /** Index into the series' error classes (failures only). */
  errorClass?: number | undefined;
  latencyMs?: number | undefined;
  ttftMs?: number | undefined;
  tokensIn?: number | undefined;
  tokensOut?: number | undefined;
  costUsd?: number | undefined;
}

export interface SeriesSummary {
  calls: number;
  ok: number;
  /** Successes / (calls), null without calls. */
  successRate: number | null;
  errors: Record<string, number>;
  failovers: number;
  skipped: number;
  p50TtftMs: number | null;
  p95TtftMs: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  tokens: { input: number; output: number };
  costUsd: number;
  today: { calls: number; costUsd: number };
}

/** Per bucket, oldest first; `startMs` is the wall time (Unix ms) the first bucket starts at. */
export interface SeriesPoints {
  startMs: number;
  bucketMs: number;
  calls: number[];
  errors: number[];
  failovers: number[];
  skipped: number[];
  /** Routes: failed attempts of the route's requests (hidden from clients by failover or retry). */
  failedAttempts: number[];
  p95TtftMs: (number | null)[];
  p95LatencyMs: (number | null)[];
}

const finite = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

function binOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BINS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH - 1e-9));
}

function valueOf(bin: number): number {
  if (bin === 0) return MIN_MS;
  const upper = Math.min(MAX_MS, MIN_MS * GROWTH ** bin);
  return Math.round(Math.sqrt(MIN_MS * GROWTH ** (bin - 1) * upper));
}

/** The q-quantile of a histogram holding `count` samples; null when empty. */
function quantile(bins: Uint32Array, count: number, q: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let bin = 0; bin < BINS; bin++) {
    seen += bins[bin] as number;
    if (seen >= rank) return valueOf(bin);
  }
  return MAX_MS;
}

function observe(hist: Uint32Array | null, ms: number | undefined): Uint32Array | null {
  if (!finite(ms)) return hist;
  const h = hist ?? new Uint32Array(BINS);
  const bin = binOf(ms);
  h[bin] = (h[bin] as number) + 1;
  return h;
}

function sum(a: Uint32Array | null): number {
  if (!a) return 0;
  let n = 0;
  for (const v of a) n += v;
  return n;
}

export class LiveSeries {
  readonly #ring: TimeBuckets<Slot>;
  readonly #wall: { wallNow(): number };
  readonly #classes: readonly string[];
  #day = -1;
  #todayCalls = 0;
  #todayCost = 0;

  /** `errorClasses`: the names failures are counted under (a sample names one by index). */
  constructor(
    wall: { wallNow(): number },
    window: { windowMs: number; buckets: number },
    errorClasses: readonly string[],
  ) {
    this.#wall = wall;
    this.#classes = errorClasses;
    const n = errorClasses.length;
    this.#ring = new TimeBuckets<Slot>(
      { now: () => wall.wallNow() },
      window,
      () => ({
        calls: 0,
        ok: 0,
        errors: new Uint32Array(n),
        failovers: 0,
        skipped: 0,
        failedAttempts: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        latency: null,
        ttft: null,
      }),
      (slot) => {
        slot.calls = slot.ok = slot.failovers = slot.skipped = slot.failedAttempts = 0;
        slot.tokensIn = slot.tokensOut = slot.costUsd = 0;
        slot.errors.fill(0);
        slot.latency?.fill(0);
        slot.ttft?.fill(0);
      },
    );
  }

  record(sample: Sample): void {
    const slot = this.#ring.current();
    slot.calls++;
    if (sample.ok) slot.ok++;
    else if (
      sample.errorClass !== undefined &&
      sample.errorClass >= 0 &&
      sample.errorClass < slot.errors.length
    ) {
      slot.errors[sample.errorClass] = (slot.errors[sample.errorClass] as number) + 1;
    }
    slot.latency = observe(slot.latency, sample.latencyMs);
    slot.ttft = observe(slot.ttft, sample.ttftMs);
    if (finite(sample.tokensIn)) slot.tokensIn += sample.tokensIn;
    if (finite(sample.tokensOut)) slot.tokensOut += sample.tokensOut;
    const cost = finite(sample.costUsd) ? sample.costUsd : 0;
    slot.costUsd += cost;
    this.#rollDay();
    this.#todayCalls++;
    this.#todayCost += cost;
  }

  /** A failover away from this route's target (routes) or this target (targets). */
  failover(): void {
    this.#ring.current().failovers++;
  }

  /** A failed attempt of one of this route's requests (the request itself may still succeed). */
  attemptFailed(): void {
    this.#ring.current().failedAttempts++;
  }

  /** A request that left this target out (breaker open, cooling down, …). */
  skipped(): void {
    this.#ring.current().skipped++;
  }

  summary(): SeriesSummary {
    const latency = new Uint32Array(BINS);
    const ttft = new Uint32Array(BINS);
    const errors = new Uint32Array(this.#classes.length);
    const s = { calls: 0, ok: 0, failovers: 0, skipped: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 };
    for (const { slot } of this.#ring.entries()) {
      s.calls += slot.calls;
      s.ok += slot.ok;
      s.failovers += slot.failovers;
      s.skipped += slot.skipped;
      s.tokensIn += slot.tokensIn;
      s.tokensOut += slot.tokensOut;
      s.costUsd += slot.costUsd;
      for (let i = 0; i < errors.length; i++) errors[i] = (errors[i] as number) + (slot.errors[i] as number);
      if (slot.latency)
        for (let b = 0; b < BINS; b++) latency[b] = (latency[b] as number) + (slot.latency[b] as number);
      if (slot.ttft) for (let b = 0; b < BINS; b++) ttft[b] = (ttft[b] as number) + (slot.ttft[b] as number);
    }
    const nLatency = sum(latency);
    const nTtft = sum(ttft);
    this.#rollDay();
    return {
      calls: s.calls,
      ok: s.ok,
      successRate: s.calls ? s.ok / s.calls : null,
      errors: Object.fromEntries(
        this.#classes.flatMap((name, i) => ((errors[i] as number) > 0 ? [[name, errors[i] as number]] : [])),
      ),
      failovers: s.failovers,
      skipped: s.skipped,
      p50TtftMs: quantile(ttft, nTtft, 0.5),
      p95TtftMs: quantile(ttft, nTtft, 0.95),
      p50LatencyMs: quantile(latency, nLatency, 0.5),
      p95LatencyMs: quantile(latency, nLatency, 0.95),
      tokens: { input: s.tokensIn, output: s.tokensOut },
      costUsd: s.costUsd,
      today: { calls: this.#todayCalls, costUsd: this.#todayCost },
    };
  }

  points(): SeriesPoints {
    const entries = this.#ring.entries();
    const p95 = (h: Uint32Array | null) => (h ? quantile(h, sum(h), 0.95) : null);
    return {
      startMs: entries[0]?.startMs ?? 0,
      bucketMs: this.#ring.bucketMs,
      calls: entries.map((e) => e.slot.calls),
      errors: entries.map((e) => e.slot.calls - e.slot.ok),
      failovers: entries.map((e) => e.slot.failovers),
      skipped: entries.map((e) => e.slot.skipped),
      failedAttempts: entries.map((e) => e.slot.failedAttempts),
      p95TtftMs: entries.map((e) => p95(e.slot.ttft)),
      p95LatencyMs: entries.map((e) => p95(e.slot.latency)),
    };
  }

  /** Today's totals restart at 00:00 UTC. */
  #rollDay(): void {
    const day = Math.floor(this.#wall.wallNow() / DAY_MS);
    if (day === this.#day) return;
    this.#day = day;
    this.#todayCalls = 0;
    this.#todayCost = 0;
  }
}
