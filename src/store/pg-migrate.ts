/**
 * Versioned migrations on PostgreSQL, shared by the request store and the key store: in one
 * transaction under an advisory lock per schema and purpose, so that a second instance starting at the
 * same time waits, then finds every migration applied.
 */
import type pg from 'pg';

export interface PgMigration {
  version: number;
  sql: string[];
}

/**
 * pg emits `error` on a client whose connection breaks (reset, closed) even while it is checked out and
 * its query is failing with the same error; the pool listens only to idle clients, so without this an
 * outage of PostgreSQL mid-query was an uncaught exception that ended the gateway (test/store-outage.test.ts).
 * The failing query reports the error to its caller; idle clients' errors still reach `pool.on('error')`.
 */
export function survivePgConnectionErrors(pool: pg.Pool): void {
  pool.on('connect', (client) => client.on('error', () => undefined));
}

/** A schema name goes into SQL text: only a plain identifier is taken. */
export function assertPlainSchema(schema: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`store.schema: "${schema}" is not a plain SQL identifier`);
  }
}

/** Migrates a freshly made pool; on failure the pool is ended (nothing left connected) and it rejects. */
export async function migrateOrEnd(
  pool: pg.Pool,
  options: Parameters<typeof applyPgMigrations>[1],
): Promise<void> {
  try {
    await applyPgMigrations(pool, options);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

export async function applyPgMigrations(
  pool: pg.Pool,
  options: {
    /** The schema the tables live in (created if missing). */
    schema: string;
    /** Names the advisory lock, e.g. `switchyard-store:public`. */
    lock: string;
    /** The table recording applied versions, schema-qualified and quoted. */
    versionsTable: string;
    migrations: PgMigration[];
  },
): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lock]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${options.versionsTable} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT MAX(version) AS v FROM ${options.versionsTable}`,
    );
    const current = rows[0]?.v ?? 0;
    for (const m of options.migrations) {
      if (m.version <= current) continue;
      for (const statement of m.sql) await client.query(statement);
      await client.query(`INSERT INTO ${options.versionsTable} (version) VALUES ($1)`, [m.version]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
