/**
 * The shared key store: PostgreSQL, in the request store's schema (`store.schema`), migrated at start
 * under an advisory lock as the request store is (src/store/postgres.ts), with its own version table.
 * Every write sends NOTIFY so that instances listening reload at once; the refresh interval bounds
 * the delay when a notification is lost. Loaded only when configured.
 */
import pg from 'pg';
import {
  KEY_COLUMNS,
  insertKeySql,
  isUniqueViolation,
  keyFromRow,
  keyMigrations,
  keyRow,
  updateKeySql,
  updateValues,
} from './key-sql.js';
import { assertPlainSchema, migrateOrEnd, survivePgConnectionErrors } from '../store/pg-migrate.js';
import { DuplicateKeyName, type KeyStore, type VirtualKeyRecord } from './types.js';

const param = (n: number): string => `$${n}`;
export const KEYS_CHANNEL = 'switchyard_keys';

export class PostgresKeyStore implements KeyStore {
  readonly driver = 'postgres';
  private listener: pg.Client | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly url: string,
  ) {}

  private table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  static async open(options: {
    url: string;
    schema: string;
    onError?: (error: Error) => void;
  }): Promise<PostgresKeyStore> {
    assertPlainSchema(options.schema);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 2,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      query_timeout: 10_000,
      application_name: 'switchyard-keys',
    });
    pool.on('error', (error) => options.onError?.(error));
    survivePgConnectionErrors(pool);
    const store = new PostgresKeyStore(pool, options.schema, options.url);
    await migrateOrEnd(pool, {
      schema: options.schema,
      lock: `switchyard-keys:${options.schema}`,
      versionsTable: store.table('switchyard_key_migrations'),
      migrations: keyMigrations((n) => store.table(n)),
    });
    return store;
  }

  /** LISTEN on a connection of its own: `onChange` runs when any instance writes a key. */
  async listen(onChange: () => void, onError: (error: Error) => void): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'switchyard-keys-listen' });
    client.on('error', (error) => {
      onError(error);
      if (this.listener === client) this.listener = undefined;
    });
    client.on('notification', (n) => {
      if (n.channel === KEYS_CHANNEL) onChange();
    });
    await client.connect();
    await client.query(`LISTEN ${KEYS_CHANNEL}`);
    this.listener = client;
  }

  async list(): Promise<VirtualKeyRecord[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT ${KEY_COLUMNS.join(', ')} FROM ${this.table('switchyard_keys')} ORDER BY created_at, id`,
    );
    return rows.map(keyFromRow);
  }

  private async write(text: string, values: unknown[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(text, values);
      await client.query(`SELECT pg_notify($1, '')`, [KEYS_CHANNEL]);
      await client.query('COMMIT');
    } catch (error) {
      // The connection may be dead or hung: never give it back to the pool (ending it rolls back).
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    client.release();
  }

  async insert(record: VirtualKeyRecord): Promise<void> {
    try {
      await this.write(insertKeySql(this.table('switchyard_keys'), param), keyRow(record));
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateKeyName(record.name);
      throw error;
    }
  }

  async update(record: VirtualKeyRecord): Promise<void> {
    await this.write(updateKeySql(this.table('switchyard_keys'), param), updateValues(record));
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
