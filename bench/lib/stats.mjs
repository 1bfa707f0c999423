/** Small statistics helpers (nearest-rank percentiles, medians). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export const median = (values) => percentile(values, 50);

export function medianBy(items, pick) {
  return median(items.map(pick).filter((v) => Number.isFinite(v)));
}
