/**
 * The aggregates behind `stats()`, as SQL both backends run the same way: counts and sums per group,
 * failures per group and class, and exact percentiles, per window or per time bucket.
 */
import { Params, num, str, type Dialect, type Row, type Sql } from './sql.js';
import type { Percentiles, StatsGroup, StatsQuery } from './types.js';

const PERCENTILES = [50, 95, 99] as const;

/**
 * The queries behind one `stats()` call: counts and sums per group, failures per group and class, and
 * exact nearest-rank percentiles (the smallest value with at least p% of the group at or below it, as
 * PostgreSQL's percentile_disc) read with ROW_NUMBER over the window's rows. The database sorts;
 * only three rows per group and percentile come back.
 */
export function statsSql(
  table: (name: string) => string,
  q: StatsQuery,
  d: Dialect,
): { summary: Sql; errors: Sql; latency: Sql; ttft?: Sql } {
  const attempts = q.by === 'target';
  const from = table(attempts ? 'attempts' : 'requests');
  const column = { route: 'route', target: 'target', model: 'model', key: 'key_name' }[q.by];
  // A time series: the bucket's number since the window's start (integer division on both backends;
  // both numbers are validated integers, written inline so that neither backend has to infer a type).
  const bucket = q.bucketMs ? `((time_ms - ${bucketOrigin(q)}) / ${Math.trunc(q.bucketMs)})` : '0';
  // (A constant in GROUP BY would be read as a column position.)
  const keys = q.bucketMs ? `${bucket}, ${column}` : column;
  const where = (p: Params): string => {
    const w = [`time_ms >= ${p.add(q.since)}`, `time_ms < ${p.add(q.until)}`];
    if (q.route !== undefined) w.push(`route = ${p.add(q.route)}`);
    if (q.key !== undefined) w.push(`key_name = ${p.add(q.key)}`);
    return w.join(' AND ');
  };
  const build = (f: (p: Params) => string): Sql => {
    const p = new Params(d);
    return { text: f(p), values: p.values };
  };
  const summary = build(
    (p) =>
      `SELECT ${bucket} AS b, ${column} AS g, COUNT(*) AS n, SUM(ok) AS ok,` +
      ` ${attempts ? '0' : 'SUM(fallback)'} AS fallbacks, SUM(prompt_tokens) AS prompt,` +
      ` SUM(completion_tokens) AS completion, SUM(cost_usd) AS cost` +
      ` FROM ${from} WHERE ${where(p)} GROUP BY ${keys}`,
  );
  const errors = build(
    (p) =>
      `SELECT ${bucket} AS b, ${column} AS g, error_class AS c, COUNT(*) AS n FROM ${from}` +
      ` WHERE ${where(p)} AND ok = 0 GROUP BY ${keys}, error_class`,
  );
  const percentile = (value: string): Sql =>
    build(
      (p) =>
        `SELECT b, g, v, rn, n FROM (SELECT ${bucket} AS b, ${column} AS g, ${value} AS v,` +
        ` ROW_NUMBER() OVER (PARTITION BY ${keys} ORDER BY ${value}) AS rn,` +
        ` COUNT(*) OVER (PARTITION BY ${keys}) AS n` +
        ` FROM ${from} WHERE ${where(p)} AND ${value} IS NOT NULL) AS ranked` +
        ` WHERE ${PERCENTILES.map((pc) => `rn = (n * ${pc} + 99) / 100`).join(' OR ')}`,
    );
  return {
    summary,
    errors,
    latency: percentile('latency_ms'),
    ...(attempts ? {} : { ttft: percentile('ttft_ms') }),
  };
}

/** Buckets line up on whole multiples of their size since the epoch (a 1m bucket starts at :00). */
function bucketOrigin(q: Pick<StatsQuery, 'since' | 'bucketMs'>): number {
  const since = Math.trunc(q.since);
  return q.bucketMs ? since - (since % Math.trunc(q.bucketMs)) : since;
}

/**
 * Puts the rows of `statsSql`'s queries together: groups ordered by count (largest first), or, for a
 * time series, by bucket first.
 */
export function assembleStats(
  q: Pick<StatsQuery, 'by' | 'since' | 'bucketMs'>,
  rows: { summary: Row[]; errors: Row[]; latency: Row[]; ttft?: Row[] },
): StatsGroup[] {
  const unit = q.by === 'target' ? 'attempt' : 'request';
  const groups = new Map<string, StatsGroup & { bucket: number }>();
  const id = (r: Row): string =>
    `${Number(r.b)}\u0000${r.g === null || r.g === undefined ? '\u0001' : String(r.g)}`;
  for (const r of rows.summary) {
    const count = Number(r.n);
    const ok = Number(r.ok ?? 0);
    const cost = num(r.cost) ?? 0;
    const bucket = Number(r.b);
    groups.set(id(r), {
      ...(q.bucketMs ? { start: new Date(bucketOrigin(q) + bucket * q.bucketMs).toISOString() } : {}),
      bucket,
      group: str(r.g) ?? null,
      unit,
      count,
      ok,
      errors: count - ok,
      successRate: count ? ok / count : 0,
      fallbacks: Number(r.fallbacks ?? 0),
      latencyMs: { p50: null, p95: null, p99: null },
      ttftMs: rows.ttft ? { p50: null, p95: null, p99: null } : null,
      errorsByClass: {},
      tokens: { prompt: num(r.prompt) ?? 0, completion: num(r.completion) ?? 0 },
      costUsd: cost,
      costPerSuccessUsd: ok ? cost / ok : null,
    });
  }
  for (const r of rows.errors) {
    const g = groups.get(id(r));
    if (g) g.errorsByClass[str(r.c) ?? 'unknown'] = Number(r.n);
  }
  const place = (list: Row[], pick: (g: StatsGroup) => Percentiles | null): void => {
    for (const r of list) {
      const target = groups.get(id(r));
      const ps = target ? pick(target) : null;
      if (!ps) continue;
      const n = Number(r.n);
      const rn = Number(r.rn);
      for (const pc of PERCENTILES) {
        if (rn === Math.floor((n * pc + 99) / 100)) ps[`p${pc}`] = Number(r.v);
      }
    }
  };
  place(rows.latency, (g) => g.latencyMs);
  if (rows.ttft) place(rows.ttft, (g) => g.ttftMs);
  return [...groups.values()]
    .sort(
      (a, b) => a.bucket - b.bucket || b.count - a.count || String(a.group).localeCompare(String(b.group)),
    )
    .map(({ bucket: _bucket, ...group }) => group);
}
