/**
 * Rolling per-target statistics for latency- and quality-aware routing, fed by the `attempt.started` /
 * `attempt.ended` events (subscribed only when a route's policy reads them):
 *
 * - **peak EWMA** of time to first token (streams) and of duration (non-streaming answers), as in
 *   Finagle's and tower's load balancers: a sample above the average replaces it at once (a target that
 *   slows is seen at once), a sample below it is blended in with weight `1 − e^(−Δt/τ)` where Δt is the
 *   time since the last sample. The estimate also **decays** towards zero while no sample comes
 *   (`× e^(−Δt/τ)` when read, as tower's `PeakEwma`), so a target avoided after one slow spell is
 *   tried again after a few τ, and either earns its place back or jumps back up at its next slow answer.
 * - an EWMA of output tokens per second (throughput, for `balanced`; never used to rank streams) and of
 *   the error rate (failures that count against the target's health), per sample (α = 0.2 and 0.1);
 * - attempts in flight, and when the target was last chosen first (for exploration).
 *
 * Streams are ranked by time to first token only, never by TTFT divided by tokens (a slow target that
 * writes long answers would look fast). The clock is injected.
 *
 * **Fleet view** (with Redis, src/state/shared-stats.ts): at each sync the other instances' summaries
 * (`summaries()`) come back through `setFleet`, which folds them at once into one estimate per target:
 * the highest of their decayed TTFT (and duration) estimates, and the sample-weighted mean of their
 * tokens/s and error rates. Reads then merge: latency = max(local decayed estimate, fleet decayed
 * estimate), i.e. peak semantics across the fleet (a target seen slow anywhere is slow everywhere, and
 * every estimate decays with the same τ); tokens/s and error rate = local when this instance has one,
 * else the fleet's. In-flight counts and exploration stay local. Cost per read: one more map lookup.
 */
import type { Clock } from '../core/clock.js';
import type { GatewayEvents } from '../core/events.js';

interface Ewma {
  value: number;
  at: number;
}

export interface TargetStat {
  ttft?: Ewma;
  duration?: Ewma;
  tokensPerSecond?: Ewma;
  errorRate?: Ewma;
  inFlight: number;
  lastChosen: number;
  samples: number;
}

/** One instance's summary of a target as shared: estimates with their age (ms) instead of a clock time. */
export interface StatSummary {
  ttft?: { value: number; ageMs: number };
  duration?: { value: number; ageMs: number };
  tokensPerSecond?: number;
  errorRate?: number;
  samples: number;
}

/** The other instances' view of a target, folded at each sync. */
interface FleetStat {
  ttft?: Ewma;
  duration?: Ewma;
  tokensPerSecond?: number;
  errorRate?: number;
}

/** Most targets tracked at once (bounded: ids come from the config, this only guards mistakes). */
const MAX_TARGETS = 10_000;

export class TargetStats {
  private readonly stats = new Map<string, TargetStat>();
  private fleet = new Map<string, FleetStat>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    /** Time constant τ of the latency estimates, ms (route setting `decayMs`). */
    readonly tauMs = 10_000,
  ) {}

  get(id: string): TargetStat {
    let stat = this.stats.get(id);
    if (!stat) {
      if (this.stats.size >= MAX_TARGETS) this.stats.clear();
      stat = { inFlight: 0, lastChosen: -Infinity, samples: 0 };
      this.stats.set(id, stat);
    }
    return stat;
  }

  /**
   * The latency a request of this kind can expect from the target (ms), undefined before a sample.
   * `now`: the clock's time, when the caller has read it already (a policy scoring several targets).
   */
  latencyMs(id: string, stream: boolean, now = this.clock.now()): number | undefined {
    const stat = this.stats.get(id);
    const fleet = this.fleet.get(id);
    if (!fleet) {
      const avg = stream ? (stat?.ttft ?? stat?.duration) : (stat?.duration ?? stat?.ttft);
      return avg && decayed(avg, now, this.tauMs);
    }
    // The kind asked for from whoever has it (local or fleet), else the other kind: the higher one.
    const [first, second] = stream ? (['ttft', 'duration'] as const) : (['duration', 'ttft'] as const);
    const kind = stat?.[first] || fleet[first] ? first : second;
    const local = stat?.[kind] && decayed(stat[kind], now, this.tauMs);
    const remote = fleet[kind] && decayed(fleet[kind], now, this.tauMs);
    return local === undefined ? remote : remote === undefined ? local : Math.max(local, remote);
  }

  /** Output tokens per second: this instance's estimate, else the fleet's. */
  tokensPerSecond(id: string): number | undefined {
    return this.stats.get(id)?.tokensPerSecond?.value ?? this.fleet.get(id)?.tokensPerSecond;
  }

  /** Error rate: this instance's estimate, else the fleet's. */
  errorRate(id: string): number | undefined {
    return this.stats.get(id)?.errorRate?.value ?? this.fleet.get(id)?.errorRate;
  }

  /** This instance's own estimates (never the fleet's) of targets with a sample in the last `maxAgeMs`. */
  summaries(maxAgeMs: number): Map<string, StatSummary> {
    const now = this.clock.now();
    const out = new Map<string, StatSummary>();
    const age = (e: Ewma | undefined) => e && { value: e.value, ageMs: Math.max(0, now - e.at) };
    for (const [id, s] of this.stats) {
      const last = Math.max(
        s.ttft?.at ?? -Infinity,
        s.duration?.at ?? -Infinity,
        s.errorRate?.at ?? -Infinity,
      );
      if (now - last > maxAgeMs) continue;
      const summary: StatSummary = { samples: s.samples };
      if (s.ttft) summary.ttft = age(s.ttft);
      if (s.duration) summary.duration = age(s.duration);
      if (s.tokensPerSecond) summary.tokensPerSecond = s.tokensPerSecond.value;
      if (s.errorRate) summary.errorRate = s.errorRate.value;
      out.set(id, summary);
    }
    return out;
  }

  /**
   * The other instances' summaries per target (replacing the last ones): latency estimates decayed to
   * now and the highest kept (peak across the fleet); tokens/s and error rate averaged by samples.
   */
  setFleet(others: Map<string, StatSummary[]>): void {
    const now = this.clock.now();
    const fleet = new Map<string, FleetStat>();
    const peak = (list: StatSummary[], kind: 'ttft' | 'duration'): Ewma | undefined => {
      let best: number | undefined;
      for (const s of list) {
        const e = s[kind];
        if (e) best = Math.max(best ?? 0, e.value * Math.exp(-e.ageMs / this.tauMs));
      }
      return best === undefined ? undefined : { value: best, at: now };
    };
    const mean = (list: StatSummary[], field: 'tokensPerSecond' | 'errorRate'): number | undefined => {
      let sum = 0;
      let weight = 0;
      for (const s of list) {
        const v = s[field];
        if (v === undefined) continue;
        const w = Math.max(1, s.samples);
        sum += v * w;
        weight += w;
      }
      return weight ? sum / weight : undefined;
    };
    for (const [id, list] of others) {
      if (!list.length || fleet.size >= MAX_TARGETS) continue;
      const f: FleetStat = {};
      const ttft = peak(list, 'ttft');
      const duration = peak(list, 'duration');
      const tps = mean(list, 'tokensPerSecond');
      const errors = mean(list, 'errorRate');
      if (ttft) f.ttft = ttft;
      if (duration) f.duration = duration;
      if (tps !== undefined) f.tokensPerSecond = tps;
      if (errors !== undefined) f.errorRate = errors;
      fleet.set(id, f);
    }
    this.fleet = fleet;
  }

  started(id: string): void {
    this.get(id).inFlight++;
  }

  chosen(id: string, now = this.clock.now()): void {
    this.get(id).lastChosen = now;
  }

  /** One attempt's end: what it says about the target's latency, throughput and errors. */
  ended(
    e: Pick<
      GatewayEvents['attempt.ended'],
      'target' | 'outcome' | 'durationMs' | 'ttftMs' | 'tokens' | 'countsAgainstBreaker'
    >,
  ): void {
    const stat = this.get(e.target);
    if (stat.inFlight > 0) stat.inFlight--;
    const now = this.clock.now();
    if (e.outcome === 'cancelled') {
      // Lost a race or the client left: the time waited is a lower bound of the latency, no more.
      if (e.ttftMs === undefined) raiseTo(stat, e.durationMs, now, this.tauMs);
      return;
    }
    stat.samples++;
    const failed = e.outcome !== 'ok';
    if (failed && !e.countsAgainstBreaker) return;
    stat.errorRate = average(stat.errorRate, failed ? 1 : 0, now, 0.1);
    if (e.ttftMs !== undefined) stat.ttft = blend(stat.ttft, e.ttftMs, now, this.tauMs);
    else if (failed) raiseTo(stat, e.durationMs, now, this.tauMs);
    if (!failed) {
      stat.duration = blend(stat.duration, e.durationMs, now, this.tauMs);
      const out = e.tokens?.completion ?? 0;
      const streamingMs = e.durationMs - (e.ttftMs ?? 0);
      if (out > 1 && streamingMs > 0)
        stat.tokensPerSecond = average(stat.tokensPerSecond, (out * 1000) / streamingMs, now, 0.2);
    }
  }

  /** What the status endpoint shows per target. */
  snapshot(id: string): Record<string, number> {
    const s = this.stats.get(id);
    if (!s) return {};
    const out: Record<string, number> = { inFlight: s.inFlight };
    const now = this.clock.now();
    if (s.ttft) out.ewmaTtftMs = Math.round(decayed(s.ttft, now, this.tauMs));
    if (s.duration) out.ewmaDurationMs = Math.round(decayed(s.duration, now, this.tauMs));
    if (s.tokensPerSecond) out.tokensPerSecond = Math.round(s.tokensPerSecond.value * 10) / 10;
    if (s.errorRate) out.errorRate = Math.round(s.errorRate.value * 1000) / 1000;
    const f = this.fleet.get(id);
    if (f?.ttft) out.fleetTtftMs = Math.round(decayed(f.ttft, now, this.tauMs));
    if (f?.duration) out.fleetDurationMs = Math.round(decayed(f.duration, now, this.tauMs));
    return out;
  }

  clear(): void {
    this.stats.clear();
    this.fleet.clear();
  }
}

/** The latency estimate as of `now`: decayed towards zero since its last sample. */
function decayed(avg: Ewma, now: number, tau: number): number {
  return avg.value * Math.exp(-Math.max(0, now - avg.at) / tau);
}

/** Peak EWMA: a higher sample replaces the (decayed) estimate; a lower one is blended in by elapsed time. */
function blend(avg: Ewma | undefined, sample: number, now: number, tau: number): Ewma {
  if (!avg) return { value: sample, at: now };
  const current = decayed(avg, now, tau);
  if (sample > current) return { value: sample, at: now };
  const w = Math.exp(-Math.max(0, now - avg.at) / tau);
  return { value: current * w + sample * (1 - w), at: now };
}

/** A plain per-sample EWMA. */
function average(avg: Ewma | undefined, sample: number, now: number, alpha: number): Ewma {
  return { value: avg ? avg.value * (1 - alpha) + sample * alpha : sample, at: now };
}

/** A lower bound of the time to first token (a timeout, a lost race): raises the estimate, never lowers it. */
function raiseTo(stat: TargetStat, ms: number, now: number, tau: number): void {
  const avg = stat.ttft;
  if (!avg || ms > decayed(avg, now, tau)) stat.ttft = { value: ms, at: now };
}
