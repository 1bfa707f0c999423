/**
 * The shared backend: PostgreSQL through a small `pg` Pool. Migrations are versioned in code
 * (sql.ts) and applied at start in one transaction under an advisory lock, recorded in
 * `switchyard_migrations`: idempotent, and two instances starting at once apply each migration once.
 * Loaded only when configured (open.ts imports it lazily).
 */
import pg from 'pg';
import {
  ATTEMPT_COLUMNS,
  REQUEST_COLUMNS,
  attemptRows,
  fromRow,
  getSql,
  migrations,
  recentSql,
  requestRow,
  type Dialect,
  type Sql,
  type SqlValue,
} from './sql.js';
import { assertPlainSchema, migrateOrEnd, survivePgConnectionErrors } from './pg-migrate.js';
import { assembleStats, statsSql } from './stats-sql.js';
import type {
  PruneLimits,
  RecentFilter,
  RequestStore,
  StatsGroup,
  StatsQuery,
  StoredRequest,
} from './types.js';

const DIALECT: Dialect = { param: (n) => `$${n}`, idColumn: 'BIGSERIAL PRIMARY KEY' };

export interface PostgresOptions {
  url: string;
  /** The schema the tables live in (created if missing). */
  schema: string;
  /** How long opening a connection may take (default 5 s). */
  connectTimeoutMs?: number;
  /** How long a query may wait for its answer (default 15 s); a connection that times out is dropped. */
  queryTimeoutMs?: number;
  /** Told about a pooled connection that failed while idle (a restart of the server, …). */
  onError?: (error: Error) => void;
}

export class PostgresStore implements RequestStore {
  readonly driver = 'postgres';
  private readonly table: (name: string) => string;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {
    this.table = (name) => `"${schema}".${name}`;
  }

  /** Connects and migrates; rejects when the server is unreachable or a migration fails. */
  static async open(options: PostgresOptions): Promise<PostgresStore> {
    assertPlainSchema(options.schema);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      application_name: 'switchyard',
    });
    // An idle client's error is emitted on the pool: unhandled, it would end the process.
    pool.on('error', (error) => options.onError?.(error));
    survivePgConnectionErrors(pool);
    const store = new PostgresStore(pool, options.schema);
    // An index lives in its table's schema, so its name need only be unique there.
    await migrateOrEnd(pool, {
      schema: options.schema,
      lock: `switchyard-store:${options.schema}`,
      versionsTable: store.table('switchyard_migrations'),
      migrations: [...migrations(store.table, DIALECT), batchesMigration(store.table)],
    });
    return store;
  }

  async insert(batch: readonly StoredRequest[], batchId?: string): Promise<void> {
    if (!batch.length) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (batchId !== undefined && !(await this.claimBatch(client, batchId, batch[0]!.time))) {
        // Committed by an earlier try whose reply was lost: already stored.
        await client.query('ROLLBACK');
        client.release();
        return;
      }
      await this.insertRows(client, 'requests', REQUEST_COLUMNS, batch.map(requestRow));
      await this.insertRows(client, 'attempts', ATTEMPT_COLUMNS, batch.flatMap(attemptRows));
      await client.query('COMMIT');
    } catch (error) {
      // The connection may be dead or hung (a query timed out): never give it back to the pool.
      client.release(toError(error));
      throw error;
    }
    client.release();
  }

  /** Records the batch's id in the batch's transaction; false when it is there already. */
  private async claimBatch(client: pg.PoolClient, id: string, time: number): Promise<boolean> {
    const claimed = await client.query(
      `INSERT INTO ${this.table('batches')} (id, time_ms) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
      [id, time],
    );
    return claimed.rowCount === 1;
  }

  /**
   * Every row in one JSON parameter, spread into the table's row type by the server: a fraction of
   * the event-loop time that thousands of bound parameters cost (bench/store-cost.mjs).
   */
  private async insertRows(
    client: pg.PoolClient,
    name: string,
    columns: readonly string[],
    rows: SqlValue[][],
  ): Promise<void> {
    if (!rows.length) return;
    const objects = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
    const list = columns.join(', ');
    await client.query(
      `INSERT INTO ${this.table(name)} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${this.table(name)}, $1::json)`,
      [JSON.stringify(objects)],
    );
  }

  private async all(sql: Sql): Promise<Record<string, unknown>[]> {
    return (await this.pool.query<Record<string, unknown>>(sql.text, sql.values)).rows;
  }

  async recent(filter: RecentFilter): Promise<StoredRequest[]> {
    return (await this.all(recentSql(this.table('requests'), filter, DIALECT))).map(fromRow);
  }

  async get(requestId: string): Promise<StoredRequest | undefined> {
    const [row] = await this.all(getSql(this.table('requests'), requestId, DIALECT));
    return row ? fromRow(row) : undefined;
  }

  async stats(query: StatsQuery): Promise<StatsGroup[]> {
    const q = statsSql(this.table, query, DIALECT);
    const [summary, errors, latency, ttft] = await Promise.all([
      this.all(q.summary),
      this.all(q.errors),
      this.all(q.latency),
      q.ttft ? this.all(q.ttft) : Promise.resolve(undefined),
    ]);
    return assembleStats(query, { summary, errors, latency, ...(ttft ? { ttft } : {}) });
  }

  async prune(limits: PruneLimits): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      let deleted =
        (await client.query(`DELETE FROM ${this.table('requests')} WHERE time_ms < $1`, [limits.before]))
          .rowCount ?? 0;
      await client.query(`DELETE FROM ${this.table('attempts')} WHERE time_ms < $1`, [limits.before]);
      await client.query(`DELETE FROM ${this.table('batches')} WHERE time_ms < $1`, [limits.before]);
      const edge = await client.query<{ id: string }>(
        `SELECT id FROM ${this.table('requests')} ORDER BY id DESC LIMIT 1 OFFSET $1`,
        [limits.maxRows],
      );
      const row = edge.rows[0];
      if (row) {
        deleted +=
          (await client.query(`DELETE FROM ${this.table('requests')} WHERE id <= $1`, [row.id])).rowCount ??
          0;
        // Attempts older than the oldest request kept belong to requests deleted.
        await client.query(
          `DELETE FROM ${this.table('attempts')} WHERE time_ms < (SELECT MIN(time_ms) FROM ${this.table('requests')})`,
        );
      }
      await client.query('COMMIT');
      client.release();
      return deleted;
    } catch (error) {
      client.release(toError(error));
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * PostgreSQL's own migration (the shared list in sql.ts has versions 1 and 2; the next shared one is 4):
 * the ids of the batches written, one row per batch, so that a retried batch is written once (`insert`).
 * Versions must ascend along the list the runner gets (shared ones, then this).
 */
function batchesMigration(table: (name: string) => string): { version: number; sql: string[] } {
  return {
    version: 3,
    sql: [
      `CREATE TABLE ${table('batches')} (id TEXT PRIMARY KEY, time_ms BIGINT NOT NULL)`,
      `CREATE INDEX batches_time ON ${table('batches')} (time_ms)`,
    ],
  };
}
