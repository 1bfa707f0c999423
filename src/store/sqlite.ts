/**
 * The embedded backend: SQLite on local disk (better-sqlite3), in WAL mode so that readers (the query
 * API) never wait for the writer. Each batch is one transaction of prepared statements. Loaded only
 * when used (open.ts imports this module lazily), so a gateway without the store never loads the
 * native module. better-sqlite3 is synchronous: a batch of 200 costs well under a millisecond of the
 * event loop (docs/observability.md#request-store), run from a timer, never from a request.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  ATTEMPT_COLUMNS,
  REQUEST_COLUMNS,
  assembleStats,
  attemptRows,
  fromRow,
  insertSql,
  migrations,
  recentSql,
  requestRow,
  statsSql,
  type Dialect,
  type Sql,
  type SqlValue,
} from './sql.js';
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

type Statement = Database.Statement<SqlValue[], Record<string, unknown>>;

export class SqliteStore implements RequestStore {
  readonly driver = 'sqlite';
  private readonly db: Database.Database;
  private readonly insertRequest: Statement;
  private readonly insertAttempt: Statement;
  private readonly writeBatch: (batch: readonly StoredRequest[]) => void;
  private readonly statements = new Map<string, Statement>();

  /** Opens (creating it and its directory if need be) and migrates the database at `path`. */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Two gateways on one file (a restart overlapping the old process) wait for each other's writes.
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    const one = (name: string, columns: readonly string[]): Statement =>
      this.db.prepare<SqlValue[], Record<string, unknown>>(
        insertSql(name, columns, [columns.map(() => null)], DIALECT).text,
      );
    this.insertRequest = one('requests', REQUEST_COLUMNS);
    this.insertAttempt = one('attempts', ATTEMPT_COLUMNS);
    this.writeBatch = this.db.transaction((batch: readonly StoredRequest[]) => {
      for (const r of batch) {
        this.insertRequest.run(...requestRow(r));
        for (const a of attemptRows(r)) this.insertAttempt.run(...a);
      }
    });
  }

  /** `PRAGMA user_version` is the schema version; each migration and its version bump in one transaction. */
  private migrate(): void {
    this.db
      .transaction(() => {
        const current = Number(this.db.pragma('user_version', { simple: true }));
        for (const m of migrations(table, DIALECT)) {
          if (m.version <= current) continue;
          for (const statement of m.sql) this.db.exec(statement);
          this.db.pragma(`user_version = ${m.version}`);
        }
      })
      .immediate();
  }

  private run(sql: Sql): Record<string, unknown>[] {
    let statement = this.statements.get(sql.text);
    if (!statement) {
      statement = this.db.prepare<SqlValue[], Record<string, unknown>>(sql.text);
      // Bounded: the query shapes are few (filters present or not), but never let it grow.
      if (this.statements.size < 256) this.statements.set(sql.text, statement);
    }
    return statement.all(...sql.values);
  }

  insert(batch: readonly StoredRequest[]): Promise<void> {
    return this.attempt(() => this.writeBatch(batch));
  }

  recent(filter: RecentFilter): Promise<StoredRequest[]> {
    return this.attempt(() => this.run(recentSql('requests', filter, DIALECT)).map(fromRow));
  }

  stats(query: StatsQuery): Promise<StatsGroup[]> {
    return this.attempt(() => {
      const q = statsSql(table, query, DIALECT);
      return assembleStats(query.by, {
        summary: this.run(q.summary),
        errors: this.run(q.errors),
        latency: this.run(q.latency),
        ...(q.ttft ? { ttft: this.run(q.ttft) } : {}),
      });
    });
  }

  prune(limits: PruneLimits): Promise<number> {
    return this.attempt(() =>
      this.db.transaction(() => {
        let deleted = this.db.prepare('DELETE FROM requests WHERE time_ms < ?').run(limits.before).changes;
        this.db.prepare('DELETE FROM attempts WHERE time_ms < ?').run(limits.before);
        // The newest maxRows stay: everything at or below the id just past them goes.
        const edge = this.db
          .prepare('SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET ?')
          .get(limits.maxRows) as { id: number } | undefined;
        if (edge) {
          deleted += this.db.prepare('DELETE FROM requests WHERE id <= ?').run(edge.id).changes;
          // Attempts older than the oldest request kept belong to requests deleted.
          this.db.prepare('DELETE FROM attempts WHERE time_ms < (SELECT MIN(time_ms) FROM requests)').run();
        }
        return deleted;
      })(),
    );
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  private attempt<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}
