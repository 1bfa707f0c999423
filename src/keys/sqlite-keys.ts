/**
 * The embedded key store: a SQLite file of its own (`keys.db` next to the request store's
 * `requests.db`), run on a worker thread by the request store's generic SQL executor
 * (src/store/sqlite-thread.ts), so the event loop never waits on the disk. Loaded only when used.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteThread } from '../store/sqlite-client.js';
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
import { DuplicateKeyName, type KeyStore, type VirtualKeyRecord } from './types.js';

const INSERT = insertKeySql('switchyard_keys', () => '?');
const UPDATE = updateKeySql('switchyard_keys', () => '?');
const SELECT = `SELECT ${KEY_COLUMNS.join(', ')} FROM switchyard_keys ORDER BY created_at, id`;

export class SqliteKeyStore implements KeyStore {
  readonly driver = 'sqlite';
  private closed = false;

  private constructor(private readonly sqlite: SqliteThread) {}

  static async open(path: string): Promise<SqliteKeyStore> {
    mkdirSync(dirname(path), { recursive: true });
    const store = new SqliteKeyStore(new SqliteThread(path, "the key store's"));
    try {
      await store.call(
        'migrate',
        keyMigrations((n) => n),
      );
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private call(op: string, arg: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the key store is closed'));
    return this.sqlite.call(op, arg);
  }

  async list(): Promise<VirtualKeyRecord[]> {
    const [rows] = (await this.call('read', [{ text: SELECT, values: [] }])) as Record<string, unknown>[][];
    return rows!.map(keyFromRow);
  }

  async insert(record: VirtualKeyRecord): Promise<void> {
    try {
      await this.call('write', [{ text: INSERT, rows: [keyRow(record)] }]);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateKeyName(record.name);
      throw error;
    }
  }

  async update(record: VirtualKeyRecord): Promise<void> {
    await this.call('write', [{ text: UPDATE, rows: [updateValues(record)] }]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sqlite.close().catch(() => undefined);
  }
}
