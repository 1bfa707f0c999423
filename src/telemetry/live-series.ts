/**
 * One rolling series of the status page: what a route's requests or a target's attempts did over the
 * last minutes, in time buckets (a ring, src/resilience/time-buckets.ts), plus today's totals (UTC day).
 *
 * Each bucket holds counters (calls, successes, errors by class, failovers, skips, failed attempts,
 * tokens, cost) and two small log-scale histograms (latency and time to first token), allocated the first
 * time a bucket gets a sample and reused after; running totals hold their sum, and a bucket leaving the
 * window is subtracted (as src/resilience/latency-window.ts does). Recording is O(1): a few increments
 * and one logarithm per histogram. Reading (a status poll) costs O(bins) for the window's figures and
 * O(buckets) for the chart points (a bucket's p95 is computed once, then kept until it changes). Memory
 * is fixed per series: at most `(buckets + 1) × 2 × 62` counters (about 45 KB for 90 buckets).
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

/** What a bucket counts, and (summed) what the whole window holds. */
interface Counters {
  calls: number;
  ok: number;
  errors: Uint32Array;
  failovers: number;
  skipped: number;
  failedAttempts: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

interface Slot extends Counters {
  latency: Uint32Array | null;
  ttft: Uint32Array | null;
  latencyN: number;
  ttftN: number;
  /** This bucket's p95s (-1: no sample), computed when read after the bucket changed (`stale`). */
  p95Latency: number;
  p95Ttft: number;
  stale: boolean;
}

const counters = (classes: number): Counters => ({
  calls: 0,
  ok: 0,
  errors: new Uint32Array(classes),
  failovers: 0,
  skipped: 0,
  failedAttempts: 0,
  tokensIn: 0,
  tokensOut: 0,
  costUsd: 0,
});

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

function observe(hist: Uint32Array | null, bin: number): Uint32Array {
  const h = hist ?? new Uint32Array(BINS);
  h[bin] = (h[bin] as number) + 1;
  return h;
}

export class LiveSeries {
  readonly #ring: TimeBuckets<Slot>;
  readonly #wall: { wallNow(): number };
  readonly #classes: readonly string[];
  /** The sum of the live buckets: a bucket leaving the window is subtracted (reads cost O(bins)). */
  readonly #total: Counters;
  readonly #latency = new Uint32Array(BINS);
  readonly #ttft = new Uint32Array(BINS);
  #latencyN = 0;
  #ttftN = 0;
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
    this.#total = counters(errorClasses.length);
    this.#ring = new TimeBuckets<Slot>(
      { now: () => wall.wallNow() },
      window,
      // Every field written here, in one order: one object shape for every slot.
      (): Slot => ({
        calls: 0,
        ok: 0,
        errors: new Uint32Array(errorClasses.length),
        failovers: 0,
        skipped: 0,
        failedAttempts: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        latency: null,
        ttft: null,
        latencyN: 0,
        ttftN: 0,
        p95Latency: -1,
        p95Ttft: -1,
        stale: false,
      }),
      (slot) => this.#evict(slot),
    );
  }

  record(sample: Sample): void {
    const slot = this.#ring.current();
    const total = this.#total;
    slot.calls++;
    total.calls++;
    if (sample.ok) {
      slot.ok++;
      total.ok++;
    } else {
      const c = sample.errorClass;
      if (c !== undefined && c >= 0 && c < slot.errors.length) {
        slot.errors[c] = (slot.errors[c] as number) + 1;
        total.errors[c] = (total.errors[c] as number) + 1;
      }
    }
    if (finite(sample.latencyMs)) {
      const bin = binOf(sample.latencyMs);
      slot.latency = observe(slot.latency, bin);
      observe(this.#latency, bin);
      slot.latencyN++;
      this.#latencyN++;
      slot.stale = true;
    }
    if (finite(sample.ttftMs)) {
      const bin = binOf(sample.ttftMs);
      slot.ttft = observe(slot.ttft, bin);
      observe(this.#ttft, bin);
      slot.ttftN++;
      this.#ttftN++;
      slot.stale = true;
    }
    const tokensIn = finite(sample.tokensIn) ? sample.tokensIn : 0;
    const tokensOut = finite(sample.tokensOut) ? sample.tokensOut : 0;
    const cost = finite(sample.costUsd) ? sample.costUsd : 0;
    slot.tokensIn += tokensIn;
    total.tokensIn += tokensIn;
    slot.tokensOut += tokensOut;
    total.tokensOut += tokensOut;
    slot.costUsd += cost;
    total.costUsd += cost;
    this.#rollDay();
    this.#todayCalls++;
    this.#todayCost += cost;
  }

  /** A failover away from this route's target (routes) or this target (targets). */
  failover(): void {
    this.#ring.current().failovers++;
    this.#total.failovers++;
  }

  /** A failed attempt of one of this route's requests (the request itself may still succeed). */
  attemptFailed(): void {
    this.#ring.current().failedAttempts++;
    this.#total.failedAttempts++;
  }

  /** A request that left this target out (breaker open, cooling down, …). */
  skipped(): void {
    this.#ring.current().skipped++;
    this.#total.skipped++;
  }

  summary(): SeriesSummary {
    this.#ring.advance();
    this.#rollDay();
    const t = this.#total;
    return {
      calls: t.calls,
      ok: t.ok,
      successRate: t.calls ? t.ok / t.calls : null,
      errors: Object.fromEntries(
        this.#classes.flatMap((name, i) =>
          (t.errors[i] as number) > 0 ? [[name, t.errors[i] as number]] : [],
        ),
      ),
      failovers: t.failovers,
      skipped: t.skipped,
      p50TtftMs: quantile(this.#ttft, this.#ttftN, 0.5),
      p95TtftMs: quantile(this.#ttft, this.#ttftN, 0.95),
      p50LatencyMs: quantile(this.#latency, this.#latencyN, 0.5),
      p95LatencyMs: quantile(this.#latency, this.#latencyN, 0.95),
      tokens: { input: t.tokensIn, output: t.tokensOut },
      costUsd: t.costUsd,
      today: { calls: this.#todayCalls, costUsd: this.#todayCost },
    };
  }

  points(): SeriesPoints {
    const entries = this.#ring.entries();
    const slots = entries.map((e) => e.slot);
    for (const slot of slots) {
      if (!slot.stale) continue;
      slot.stale = false;
      slot.p95Ttft = slot.ttft ? (quantile(slot.ttft, slot.ttftN, 0.95) ?? -1) : -1;
      slot.p95Latency = slot.latency ? (quantile(slot.latency, slot.latencyN, 0.95) ?? -1) : -1;
    }
    return {
      startMs: entries[0]?.startMs ?? 0,
      bucketMs: this.#ring.bucketMs,
      calls: slots.map((s) => s.calls),
      errors: slots.map((s) => s.calls - s.ok),
      failovers: slots.map((s) => s.failovers),
      skipped: slots.map((s) => s.skipped),
      failedAttempts: slots.map((s) => s.failedAttempts),
      p95TtftMs: slots.map((s) => (s.p95Ttft < 0 ? null : s.p95Ttft)),
      p95LatencyMs: slots.map((s) => (s.p95Latency < 0 ? null : s.p95Latency)),
    };
  }

  /** Takes a bucket leaving the window out of the totals, and resets it for reuse. */
  #evict(slot: Slot): void {
    const t = this.#total;
    t.calls -= slot.calls;
    t.ok -= slot.ok;
    t.failovers -= slot.failovers;
    t.skipped -= slot.skipped;
    t.failedAttempts -= slot.failedAttempts;
    for (let i = 0; i < t.errors.length; i++)
      t.errors[i] = (t.errors[i] as number) - (slot.errors[i] as number);
    t.tokensIn -= slot.tokensIn;
    t.tokensOut -= slot.tokensOut;
    // Sums of floats drift when taken apart again: an empty window holds exactly nothing.
    t.costUsd = t.calls === 0 ? 0 : Math.max(0, t.costUsd - slot.costUsd);
    if (slot.latency) {
      for (let b = 0; b < BINS; b++)
        this.#latency[b] = (this.#latency[b] as number) - (slot.latency[b] as number);
      slot.latency.fill(0);
    }
    if (slot.ttft) {
      for (let b = 0; b < BINS; b++) this.#ttft[b] = (this.#ttft[b] as number) - (slot.ttft[b] as number);
      slot.ttft.fill(0);
    }
    this.#latencyN -= slot.latencyN;
    this.#ttftN -= slot.ttftN;
    slot.calls = slot.ok = slot.failovers = slot.skipped = slot.failedAttempts = 0;
    slot.tokensIn = slot.tokensOut = slot.costUsd = slot.latencyN = slot.ttftN = 0;
    slot.errors.fill(0);
    slot.p95Latency = slot.p95Ttft = -1;
    slot.stale = false;
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
