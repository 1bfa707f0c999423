/**
 * The embedded backend: SQLite on local disk (better-sqlite3) in WAL mode. better-sqlite3 is
 * synchronous, so the database lives on its own worker thread (sqlite-thread.ts): the gateway's event
 * loop only posts a batch or a query and awaits the answer (docs/observability.md#request-store has
 * the measurements). The SQL is built here, from the statements both backends share (sql.ts). Loaded
 * only when used (open.ts imports this module lazily), so a gateway without the store never starts
 * the thread or loads the native module. A thread that dies is started again on the next call, and so
 * is one closed for want of work: after `idleCloseMs` without a call the database is closed and the
 * thread ends (an idle gateway gives back the ~10 MB a thread with its own V8 isolate holds).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteThread } from './sqlite-client.js';
import {
  ATTEMPT_COLUMNS,
  REQUEST_COLUMNS,
  attemptRows,
  fromRow,
  getSql,
  insertSql,
  migrations,
  recentSql,
  requestRow,
  type Dialect,
  type Sql,
  type SqlValue,
} from './sql.js';
import { assembleStats, statsSql } from './stats-sql.js';
import type {
  PruneLimits,
  RecentFilter,
  RequestStore,
  StatsGroup,
  StatsQuery,
  StoredRequest,
} from './types.js';

const DIALECT: Dialect = { param: () => '?', idColumn: 'INTEGER PRIMARY KEY AUTOINCREMENT' };
const table = (name: string): string => name;
type Row = Record<string, unknown>;
const oneRow = (name: string, columns: readonly string[]): string =>
  insertSql(name, columns, [columns.map(() => null)], DIALECT).text;
const INSERT_REQUEST = oneRow('requests', REQUEST_COLUMNS);
const INSERT_ATTEMPT = oneRow('attempts', ATTEMPT_COLUMNS);

/** How long the thread waits without a call before it closes the database and ends. */
export const SQLITE_IDLE_CLOSE_MS = 15_000;

export interface SqliteStoreOptions {
  /** Default `SQLITE_IDLE_CLOSE_MS`; the thread starts again on the next call. */
  idleCloseMs?: number;
}

export class SqliteStore implements RequestStore {
  readonly driver = 'sqlite';
  private sqlite: SqliteThread | undefined;
  private closed = false;
  /** Calls not yet answered; the idle timer runs only when there are none. */
  private inFlight = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Threads closed for idleness that are still closing their database. */
  private readonly retiring = new Set<Promise<void>>();
  private readonly idleCloseMs: number;

  private constructor(
    private readonly path: string,
    options: SqliteStoreOptions,
  ) {
    this.idleCloseMs = options.idleCloseMs ?? SQLITE_IDLE_CLOSE_MS;
  }

  /** Whether the thread is running now (not before the first call, nor after an idle close). */
  get threadRunning(): boolean {
    return this.sqlite !== undefined && !this.sqlite.stopped;
  }

  /** Opens (creating it and its directory if need be) and migrates the database at `path`. */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    mkdirSync(dirname(path), { recursive: true });
    const store = new SqliteStore(path, options);
    try {
      await store.track(store.thread().migrated);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** The thread, started (and its migrations queued first) if it is not running. */
  private thread(): { sqlite: SqliteThread; migrated: Promise<unknown> } {
    if (this.sqlite && !this.sqlite.stopped) return { sqlite: this.sqlite, migrated: Promise.resolve() };
    const sqlite = new SqliteThread(this.path, 'the');
    this.sqlite = sqlite;
    const migrated = sqlite.call('migrate', migrations(table, DIALECT));
    migrated.catch(() => undefined); // the caller that started the thread reports it; later calls fail on their own
    return { sqlite, migrated };
  }

  private call(op: 'write' | 'read', arg: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the SQLite store is closed'));
    return this.track(this.thread().sqlite.call(op, arg));
  }

  /** Counts a call in flight until it settles; the last one to settle starts the idle timer. */
  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight++;
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    const settled = (): void => {
      if (--this.inFlight > 0 || this.closed) return;
      this.idleTimer = setTimeout(() => this.closeIdle(), this.idleCloseMs);
      this.idleTimer.unref();
    };
    call.then(settled, settled);
    return call;
  }

  /** No call for `idleCloseMs`: the database is closed and the thread ends; the next call starts one. */
  private closeIdle(): void {
    this.idleTimer = undefined;
    const sqlite = this.sqlite;
    if (this.inFlight > 0 || this.closed || !sqlite || sqlite.stopped) return;
    this.sqlite = undefined;
    const closing = sqlite.close().catch(() => undefined);
    this.retiring.add(closing);
    void closing.then(() => this.retiring.delete(closing));
  }

  private async write(statements: { text: string; rows: SqlValue[][] }[]): Promise<number[]> {
    return (await this.call('write', statements)) as number[];
  }

  private async read(queries: Sql[]): Promise<Row[][]> {
    return (await this.call('read', queries)) as Row[][];
  }

  async insert(batch: readonly StoredRequest[]): Promise<void> {
    await this.write([
      { text: INSERT_REQUEST, rows: batch.map(requestRow) },
      { text: INSERT_ATTEMPT, rows: batch.flatMap(attemptRows) },
    ]);
  }

  async recent(filter: RecentFilter): Promise<StoredRequest[]> {
    const [rows] = await this.read([recentSql('requests', filter, DIALECT)]);
    return rows!.map(fromRow);
  }

  async get(requestId: string): Promise<StoredRequest | undefined> {
    const [rows] = await this.read([getSql('requests', requestId, DIALECT)]);
    const row = rows![0];
    return row ? fromRow(row) : undefined;
  }

  async stats(query: StatsQuery): Promise<StatsGroup[]> {
    const q = statsSql(table, query, DIALECT);
    const [summary, errors, latency, ttft] = await this.read([
      q.summary,
      q.errors,
      q.latency,
      ...(q.ttft ? [q.ttft] : []),
    ]);
    return assembleStats(query, {
      summary: summary!,
      errors: errors!,
      latency: latency!,
      ...(ttft ? { ttft } : {}),
    });
  }

  async prune(limits: PruneLimits): Promise<number> {
    const [byAge = 0, , byCount = 0] = await this.write([
      { text: 'DELETE FROM requests WHERE time_ms < ?', rows: [[limits.before]] },
      { text: 'DELETE FROM attempts WHERE time_ms < ?', rows: [[limits.before]] },
      // The newest maxRows stay: everything at or below the id just past them goes.
      {
        text: 'DELETE FROM requests WHERE id <= (SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET ?)',
        rows: [[limits.maxRows]],
      },
      // Attempts older than the oldest request kept belong to requests deleted.
      { text: 'DELETE FROM attempts WHERE time_ms < (SELECT MIN(time_ms) FROM requests)', rows: [[]] },
    ]);
    return byAge + byCount;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await Promise.all(this.retiring);
    if (this.sqlite && !this.sqlite.stopped) await this.sqlite.close();
  }
}
