/**
 * The embedded key store: a SQLite file of its own (`keys.db` next to the request store's
 * `requests.db`), run on a worker thread by the request store's generic SQL executor
 * (src/store/sqlite-thread.ts), so the event loop never waits on the disk. Loaded only when used.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SQLITE_THREAD_SOURCE } from '../store/sqlite-thread.js';
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
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`SQLite: ${m.error}`));
      else p.resolve(m.result);
    });
    const stopped = (error: Error): void => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', stopped);
    worker.on('exit', (code) =>
      stopped(new Error(`the key store's SQLite thread stopped (exit code ${code})`)),
    );
  }

  static async open(path: string): Promise<SqliteKeyStore> {
    mkdirSync(dirname(path), { recursive: true });
    const worker = new Worker(SQLITE_THREAD_SOURCE, {
      eval: true,
      workerData: { path, requireFrom: import.meta.url },
    });
    const store = new SqliteKeyStore(worker);
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
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, arg });
    });
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
    if (!this.closed) await this.call('close', null).catch(() => undefined);
    this.closed = true;
    await this.worker.terminate();
  }
}
