/**
 * The key table both backends share (SQLite, PostgreSQL): versioned migrations like the request
 * store's (src/store/sql.ts), kept apart from them (their own version counter) so that neither list
 * constrains the other. Scopes, limits and metadata live in one JSON column: they are read whole.
 */
import type { VirtualKeyRecord } from './types.js';

export type KeySqlValue = string | number | null;

export function keyMigrations(table: (name: string) => string): { version: number; sql: string[] }[] {
  return [
    {
      version: 1,
      sql: [
        `CREATE TABLE ${table('switchyard_keys')} (
          id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
          previous_hash TEXT, previous_prefix TEXT, previous_until BIGINT, expires_at BIGINT,
          created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revoked_at BIGINT, spec TEXT NOT NULL)`,
      ],
    },
  ];
}

export const KEY_COLUMNS = [
  'id',
  'name',
  'prefix',
  'hash',
  'previous_hash',
  'previous_prefix',
  'previous_until',
  'expires_at',
  'created_at',
  'updated_at',
  'revoked_at',
  'spec',
] as const;

export function keyRow(r: VirtualKeyRecord): KeySqlValue[] {
  const spec = {
    ...(r.models ? { models: r.models } : {}),
    ...(r.routing ? { routing: r.routing } : {}),
    ...(r.limits ? { limits: r.limits } : {}),
    ...(r.debug !== undefined ? { debug: r.debug } : {}),
    metadata: r.metadata,
  };
  return [
    r.id,
    r.name,
    r.prefix,
    r.hash,
    r.previousHash ?? null,
    r.previousPrefix ?? null,
    r.previousUntil ?? null,
    r.expiresAt ?? null,
    r.createdAt,
    r.updatedAt,
    r.revokedAt ?? null,
    JSON.stringify(spec),
  ];
}

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export function keyFromRow(row: Record<string, unknown>): VirtualKeyRecord {
  const spec = JSON.parse(String(row.spec)) as Pick<
    VirtualKeyRecord,
    'models' | 'routing' | 'limits' | 'debug' | 'metadata'
  >;
  const optional = {
    previousHash: row.previous_hash ?? undefined,
    previousPrefix: row.previous_prefix ?? undefined,
    previousUntil: num(row.previous_until),
    expiresAt: num(row.expires_at),
    revokedAt: num(row.revoked_at),
  };
  return {
    id: String(row.id),
    name: String(row.name),
    prefix: String(row.prefix),
    hash: String(row.hash),
    ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Partial<
      Pick<VirtualKeyRecord, 'previousHash' | 'previousPrefix' | 'previousUntil' | 'expiresAt' | 'revokedAt'>
    >),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...spec,
    metadata: spec.metadata ?? {},
  };
}

/** `UPDATE … SET every column but id … WHERE id = ?`, with the dialect's placeholders. */
export function updateKeySql(table: string, param: (n: number) => string): string {
  const sets = KEY_COLUMNS.slice(1).map((c, i) => `${c} = ${param(i + 1)}`);
  return `UPDATE ${table} SET ${sets.join(', ')} WHERE id = ${param(KEY_COLUMNS.length)}`;
}

export function insertKeySql(table: string, param: (n: number) => string): string {
  return `INSERT INTO ${table} (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((_, i) => param(i + 1)).join(', ')})`;
}

/** The values for updateKeySql: every column but id, then id. */
export const updateValues = (r: VirtualKeyRecord): KeySqlValue[] => {
  const [id, ...rest] = keyRow(r);
  return [...rest, id!];
};

export const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Error && /UNIQUE|duplicate key/i.test(error.message);
