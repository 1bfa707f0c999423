/**
 * The SQL both backends share: the tables (one migration list, two id types), a record ↔ row mapping,
 * and the query behind `recent()` (stats-sql.ts has those behind `stats()`). Only placeholders (`?`
 * or `$n`) and the id column differ between SQLite and PostgreSQL; everything here is plain SQL both
 * understand (window functions included), so the two backends answer the same question the same way.
 */
import type { TraceEntry } from '../core/trace.js';
import type { RecentFilter, StoredRequest } from './types.js';

export type SqlValue = string | number | null;
export interface Sql {
  text: string;
  values: SqlValue[];
}

/** How a backend writes what differs. */
export interface Dialect {
  /** The placeholder for the n-th value (1-based). */
  param(n: number): string;
  /** An auto-increasing 64-bit primary key column. */
  idColumn: string;
}

/**
 * Versioned migrations, applied in order, each once. Never edit one that has shipped: add another.
 * Version 3 is PostgreSQL's alone (its `batches` table, postgres.ts): the next shared one is 4.
 */
export function migrations(
  table: (name: string) => string,
  d: Dialect,
): { version: number; sql: string[] }[] {
  return [
    {
      version: 1,
      sql: [
        `CREATE TABLE ${table('requests')} (
          id ${d.idColumn}, time_ms BIGINT NOT NULL, request_id TEXT NOT NULL, route TEXT NOT NULL,
          key_name TEXT, endpoint TEXT NOT NULL, stream INTEGER NOT NULL, status INTEGER NOT NULL,
          outcome TEXT NOT NULL, ok INTEGER NOT NULL, error_class TEXT, target TEXT, provider TEXT,
          model TEXT, attempts INTEGER NOT NULL, fallback INTEGER NOT NULL,
          latency_ms DOUBLE PRECISION NOT NULL, ttft_ms DOUBLE PRECISION, prompt_tokens BIGINT,
          completion_tokens BIGINT, cached_tokens BIGINT, tokens_estimated INTEGER,
          cost_usd DOUBLE PRECISION, fallback_reason TEXT, warnings TEXT, trace TEXT NOT NULL)`,
        `CREATE INDEX requests_time ON ${table('requests')} (time_ms)`,
        `CREATE TABLE ${table('attempts')} (
          id ${d.idColumn}, time_ms BIGINT NOT NULL, request_id TEXT NOT NULL, route TEXT NOT NULL,
          key_name TEXT, target TEXT NOT NULL, action TEXT NOT NULL, ok INTEGER NOT NULL,
          error_class TEXT, latency_ms DOUBLE PRECISION, prompt_tokens BIGINT, completion_tokens BIGINT,
          cost_usd DOUBLE PRECISION)`,
        `CREATE INDEX attempts_time ON ${table('attempts')} (time_ms)`,
      ],
    },
    {
      // store.capture: the redacted prompt and completion; reading one request by its id.
      version: 2,
      sql: [
        `ALTER TABLE ${table('requests')} ADD COLUMN prompt TEXT`,
        `ALTER TABLE ${table('requests')} ADD COLUMN completion TEXT`,
        `CREATE INDEX requests_request_id ON ${table('requests')} (request_id)`,
      ],
    },
  ];
}

export const REQUEST_COLUMNS = [
  'time_ms',
  'request_id',
  'route',
  'key_name',
  'endpoint',
  'stream',
  'status',
  'outcome',
  'ok',
  'error_class',
  'target',
  'provider',
  'model',
  'attempts',
  'fallback',
  'latency_ms',
  'ttft_ms',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'tokens_estimated',
  'cost_usd',
  'fallback_reason',
  'warnings',
  'trace',
  'prompt',
  'completion',
] as const;

/** What a list reads: every column but the captured text (read one request at a time, by `get()`). */
const LIST_COLUMNS = ['id', ...REQUEST_COLUMNS.filter((c) => c !== 'prompt' && c !== 'completion')].join(
  ', ',
);

export const ATTEMPT_COLUMNS = [
  'time_ms',
  'request_id',
  'route',
  'key_name',
  'target',
  'action',
  'ok',
  'error_class',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'cost_usd',
] as const;

const finite = (n: number | undefined): number | null =>
  typeof n === 'number' && Number.isFinite(n) ? n : null;

/**
 * A fallback: a successful request answered by another target than the first of its plan (the trace's
 * first entry), whether the first failed, was skipped (breaker open, cooldown, …) or lost a hedge.
 */
export function isFallback(r: StoredRequest): boolean {
  const first = r.trace[0]?.target;
  return r.outcome === 'ok' && r.target !== undefined && first !== undefined && r.target !== first;
}

export function requestRow(r: StoredRequest): SqlValue[] {
  const ok = r.outcome === 'ok';
  return [
    Math.round(r.time),
    r.requestId,
    r.route,
    r.key ?? null,
    r.endpoint,
    r.stream ? 1 : 0,
    r.status,
    r.outcome,
    ok ? 1 : 0,
    ok ? null : r.outcome,
    r.target ?? null,
    r.provider ?? null,
    r.model ?? null,
    r.attempts,
    isFallback(r) ? 1 : 0,
    finite(r.totalMs) ?? 0,
    finite(r.ttftMs),
    finite(r.tokens?.prompt),
    finite(r.tokens?.completion),
    finite(r.tokens?.cached),
    r.tokens ? (r.tokens.estimated ? 1 : 0) : null,
    finite(r.costUsd),
    r.fallbackReason ?? null,
    r.warnings ? JSON.stringify(r.warnings) : null,
    JSON.stringify(r.trace),
    r.prompt ?? null,
    r.completion ?? null,
  ];
}

/** One row per attempt (and hedge) in the trace: what a target did for this request. */
export function attemptRows(r: StoredRequest): SqlValue[][] {
  const rows: SqlValue[][] = [];
  for (const t of r.trace) {
    if (t.action !== 'attempt' && t.action !== 'hedge') continue;
    const ok = t.result === 'ok';
    rows.push([
      Math.round(r.time),
      r.requestId,
      r.route,
      r.key ?? null,
      t.target,
      t.action,
      ok ? 1 : 0,
      ok ? null : t.result,
      finite(t.ms),
      finite(t.tokens?.prompt),
      finite(t.tokens?.completion),
      finite(t.costUsd),
    ]);
  }
  return rows;
}

/** A multi-row INSERT of `rows` (all of `columns`' length) starting at placeholder 1. */
export function insertSql(table: string, columns: readonly string[], rows: SqlValue[][], d: Dialect): Sql {
  const values: SqlValue[] = [];
  const tuples = rows.map((row) => {
    const marks = row.map((v) => {
      values.push(v);
      return d.param(values.length);
    });
    return `(${marks.join(', ')})`;
  });
  return { text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values };
}

export type Row = Record<string, unknown>;

/** Numbers come back as strings from PostgreSQL's BIGINT and NUMERIC. */
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const str = (v: unknown): string | undefined =>
  v === null || v === undefined ? undefined : String(v);

export function fromRow(row: Row): StoredRequest {
  const prompt = num(row.prompt_tokens);
  const completion = num(row.completion_tokens);
  const cached = num(row.cached_tokens);
  const opt = <K extends string, V>(key: K, value: V | undefined | null): { [k in K]?: V } =>
    (value === undefined || value === null ? {} : { [key]: value }) as { [k in K]?: V };
  return {
    time: Number(row.time_ms),
    requestId: String(row.request_id),
    route: String(row.route),
    ...opt('key', str(row.key_name)),
    endpoint: row.endpoint === 'embeddings' ? 'embeddings' : 'chat',
    stream: Number(row.stream) === 1,
    status: Number(row.status),
    outcome: String(row.outcome),
    ...opt('target', str(row.target)),
    ...opt('provider', str(row.provider)),
    ...opt('model', str(row.model)),
    attempts: Number(row.attempts),
    totalMs: Number(row.latency_ms),
    ...opt('ttftMs', num(row.ttft_ms)),
    ...(prompt !== null || completion !== null
      ? {
          tokens: {
            prompt: prompt ?? 0,
            completion: completion ?? 0,
            ...(cached !== null ? { cached } : {}),
            estimated: Number(row.tokens_estimated) === 1,
          },
        }
      : {}),
    ...opt('costUsd', num(row.cost_usd)),
    ...opt('fallbackReason', str(row.fallback_reason)),
    ...(row.warnings ? { warnings: JSON.parse(String(row.warnings)) as string[] } : {}),
    trace: JSON.parse(String(row.trace)) as TraceEntry[],
    ...opt('prompt', str(row.prompt)),
    ...opt('completion', str(row.completion)),
  };
}

/** Values for a statement's placeholders, numbered as they are added. */
export class Params {
  readonly values: SqlValue[] = [];
  constructor(private readonly d: Dialect) {}
  add(v: SqlValue): string {
    this.values.push(v);
    return this.d.param(this.values.length);
  }
}

export function recentSql(table: string, f: RecentFilter, d: Dialect): Sql {
  const p = new Params(d);
  const where: string[] = [];
  if (f.route !== undefined) where.push(`route = ${p.add(f.route)}`);
  if (f.key !== undefined) where.push(`key_name = ${p.add(f.key)}`);
  if (f.target !== undefined) where.push(`target = ${p.add(f.target)}`);
  if (f.status === 'ok') where.push('ok = 1');
  else if (f.status === 'error') where.push('ok = 0');
  else if (f.status !== undefined) where.push(`status = ${p.add(f.status)}`);
  if (f.since !== undefined) where.push(`time_ms >= ${p.add(f.since)}`);
  if (f.until !== undefined) where.push(`time_ms < ${p.add(f.until)}`);
  const text =
    `SELECT ${LIST_COLUMNS} FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}` +
    ` ORDER BY time_ms DESC, id DESC LIMIT ${p.add(f.limit)}`;
  return { text, values: p.values };
}

/** One request by its id, captured text included (the newest, should a client have reused an id). */
export function getSql(table: string, requestId: string, d: Dialect): Sql {
  const p = new Params(d);
  const text = `SELECT * FROM ${table} WHERE request_id = ${p.add(requestId)} ORDER BY id DESC LIMIT 1`;
  return { text, values: p.values };
}
