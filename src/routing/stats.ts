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

/** Most targets tracked at once (bounded: ids come from the config, this only guards mistakes). */
const MAX_TARGETS = 10_000;

export class TargetStats {
  private readonly stats = new Map<string, TargetStat>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    /** Time constant τ of the latency estimates, ms (route setting `decayMs`). */
    private readonly tauMs = 10_000,
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

  /** The latency a request of this kind can expect from the target (ms), undefined before a sample. */
  latencyMs(id: string, stream: boolean): number | undefined {
    const stat = this.stats.get(id);
    const avg = stream ? (stat?.ttft ?? stat?.duration) : (stat?.duration ?? stat?.ttft);
    return avg && decayed(avg, this.clock.now(), this.tauMs);
  }

  started(id: string): void {
    this.get(id).inFlight++;
  }

  chosen(id: string): void {
    this.get(id).lastChosen = this.clock.now();
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
    return out;
  }

  clear(): void {
    this.stats.clear();
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
