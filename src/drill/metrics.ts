/**
 * The drill's measurements, as pure functions of the client-side records (no I/O, no clock), so they
 * can be tested on synthetic timelines. Definitions (also in docs/DRILL.md):
 *
 * - A request **avoids** a target when the gateway made no upstream attempt on it.
 * - **Detection**: the first request start D ≥ fault start such that, of the requests started in
 *   [D, D + 1 s), at least 95 % avoid the bad target. Time to detect = D − fault start; requests to
 *   detect = requests started in [fault start, D) that attempted the bad target.
 * - **Recovery**: the first request start R ≥ fault end such that, of the requests started in
 *   [R, R + 1 s), at least 95 % are served by the primary. Time to recover = R − fault end.
 * - **Gradual return**: the primary's share of requests per second from its first answer after the
 *   fault (F) to R. The return is gradual when the share in [F, F + 1 s) is at most 50 % and R − F is
 *   at least half the slow-start window: traffic ramped back instead of returning all at once.
 * - Percentiles are nearest-rank.
 */
import type { RequestRecord } from './load.js';

/** Nearest-rank percentile (q in [0, 1]) of unsorted values; undefined when there are none. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export interface TtftSummary {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export function ttftSummary(records: readonly RequestRecord[]): TtftSummary {
  const values = records.filter((r) => r.ok && r.ttftMs !== undefined).map((r) => r.ttftMs!);
  const out: TtftSummary = { count: values.length };
  for (const [key, q] of [
    ['p50', 0.5],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const v = percentile(values, q);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export function successRate(records: readonly RequestRecord[]): number {
  return records.length === 0 ? 1 : records.filter((r) => r.ok).length / records.length;
}

export const WINDOW_MS = 1_000;
export const SHARE = 0.95;

/**
 * The first request start t ≥ fromMs at which the requests started in [t, t + 1 s) satisfy `good`
 * at least 95 % of the time. Windows holding fewer than `minCount` requests (the end of the run) are
 * not judged.
 */
function firstGoodWindow(
  records: readonly RequestRecord[],
  fromMs: number,
  good: (r: RequestRecord) => boolean,
  minCount: number,
): number | undefined {
  const sorted = records.filter((r) => r.startMs >= fromMs).sort((a, b) => a.startMs - b.startMs);
  let end = 0;
  let goodInWindow = 0;
  for (let start = 0; start < sorted.length; start++) {
    const t = sorted[start]!.startMs;
    while (end < sorted.length && sorted[end]!.startMs < t + WINDOW_MS) {
      if (good(sorted[end]!)) goodInWindow++;
      end++;
    }
    const count = end - start;
    if (count >= minCount && goodInWindow >= SHARE * count) return t;
    if (good(sorted[start]!)) goodInWindow--;
  }
  return undefined;
}

export interface Detection {
  /** When traffic left the bad target, ms from the start of the load. */
  atMs: number;
  seconds: number;
  /** Requests started after the fault began that still attempted the bad target. */
  requests: number;
}

export function detect(
  records: readonly RequestRecord[],
  fault: { fromMs: number },
  badTarget: string,
  minCount = 5,
): Detection | undefined {
  const avoids = (r: RequestRecord): boolean => !r.tried.includes(badTarget);
  const atMs = firstGoodWindow(records, fault.fromMs, avoids, minCount);
  if (atMs === undefined) return undefined;
  const requests = records.filter(
    (r) => r.startMs >= fault.fromMs && r.startMs < atMs && r.tried.includes(badTarget),
  ).length;
  return { atMs, seconds: (atMs - fault.fromMs) / 1_000, requests };
}

export interface Recovery {
  /** The primary's first answer after the fault ended, ms from the start of the load. */
  firstReturnMs?: number;
  /** When the primary was back to its full share, ms from the start of the load. */
  fullMs?: number;
  /** fullMs − fault end, in seconds. */
  seconds?: number;
  /** The primary's share of requests per second from firstReturnMs on (to fullMs + 1 s). */
  sharePerSecond: number[];
  gradual: boolean;
  /** Why the return is or is not gradual, with the numbers. */
  verdict: string;
}

export function recover(
  records: readonly RequestRecord[],
  fault: { toMs: number },
  primary: string,
  slowStartWindowMs: number,
  minCount = 5,
): Recovery {
  const served = (r: RequestRecord): boolean => r.ok && r.target === primary;
  const after = records.filter((r) => r.startMs >= fault.toMs).sort((a, b) => a.startMs - b.startMs);
  const first = after.find(served);
  const fullMs = firstGoodWindow(records, fault.toMs, served, minCount);
  if (!first) return { sharePerSecond: [], gradual: false, verdict: 'the primary never served again' };
  const endMs = (fullMs ?? after.at(-1)!.startMs) + WINDOW_MS;
  const sharePerSecond: number[] = [];
  for (let t = first.startMs; t < endMs; t += WINDOW_MS) {
    const inWindow = after.filter((r) => r.startMs >= t && r.startMs < t + WINDOW_MS);
    if (inWindow.length) sharePerSecond.push(inWindow.filter(served).length / inWindow.length);
  }
  const base = { firstReturnMs: first.startMs, sharePerSecond };
  if (fullMs === undefined)
    return { ...base, gradual: false, verdict: 'the primary never got its full share back' };
  const rampMs = fullMs - first.startMs;
  const firstShare = sharePerSecond[0] ?? 1;
  const gradual = firstShare <= 0.5 && rampMs >= slowStartWindowMs / 2;
  const verdict =
    `${pct(firstShare)} in the first second, full share after ${(rampMs / 1_000).toFixed(1)} s ` +
    `(gradual: ≤ 50 % and ≥ ${(slowStartWindowMs / 2_000).toFixed(1)} s)`;
  return { ...base, fullMs, seconds: (fullMs - fault.toMs) / 1_000, gradual, verdict };
}

/**
 * Upstream attempts per client request over the requests sent in [fromMs, toMs): the amplification
 * of the fault window, attributed to the requests that caused it (`x-switchyard-attempts`; the
 * targets tried when the header is missing).
 */
export function attemptsPerRequest(
  records: readonly RequestRecord[],
  window: { fromMs: number; toMs: number },
): number {
  const inWindow = records.filter((r) => r.startMs >= window.fromMs && r.startMs < window.toMs);
  const attempts = inWindow.reduce((sum, r) => sum + (r.attempts ?? r.tried.length), 0);
  return inWindow.length === 0 ? 1 : attempts / inWindow.length;
}

/**
 * The longest any request sent in [fromMs, toMs) waited: its time to first token, or, without one,
 * its whole duration.
 */
export function longestWait(
  records: readonly RequestRecord[],
  window: { fromMs: number; toMs: number },
): number | undefined {
  let longest: number | undefined;
  for (const r of records) {
    if (r.startMs < window.fromMs || r.startMs >= window.toMs) continue;
    const waited = r.ttftMs ?? r.durationMs;
    if (longest === undefined || waited > longest) longest = waited;
  }
  return longest;
}

export const pct = (x: number, digits = 0): string => `${(x * 100).toFixed(digits)} %`;

export interface SecondBucket {
  second: number;
  /** Requests started in this second, by outcome: served by each target, or failed. */
  byTarget: Record<string, number>;
  failed: number;
  /** Requests started in this second that made an upstream attempt on the primary. */
  triedPrimary: number;
  ttftP95?: number;
}

/** Requests per second of start time, by who served them, with the p95 TTFT of the successful ones. */
export function perSecond(
  records: readonly RequestRecord[],
  durationS: number,
  primary: string,
): SecondBucket[] {
  const buckets: SecondBucket[] = Array.from({ length: Math.ceil(durationS) }, (_, second) => ({
    second,
    byTarget: {},
    failed: 0,
    triedPrimary: 0,
  }));
  const ttfts: number[][] = buckets.map(() => []);
  for (const r of records) {
    const i = Math.min(buckets.length - 1, Math.floor(r.startMs / 1_000));
    const bucket = buckets[i];
    if (!bucket) continue;
    if (r.tried.includes(primary)) bucket.triedPrimary++;
    if (!r.ok) bucket.failed++;
    else {
      const target = r.target ?? 'unknown';
      bucket.byTarget[target] = (bucket.byTarget[target] ?? 0) + 1;
      if (r.ttftMs !== undefined) ttfts[i]!.push(r.ttftMs);
    }
  }
  buckets.forEach((b, i) => {
    const p95 = percentile(ttfts[i]!, 0.95);
    if (p95 !== undefined) b.ttftP95 = p95;
  });
  return buckets;
}
