/**
 * Opens the configured backend. Each is imported only here, when used: a gateway with the store off
 * never loads better-sqlite3 (native) or pg.
 */
import { join, resolve } from 'node:path';
import type { StoreSettings } from '../config/types.js';
import type { RequestStore } from './types.js';

/** Where the SQLite file goes without `store.path`: `requests.db` in SWITCHYARD_DATA_DIR or ./.switchyard. */
export function defaultStorePath(env: Record<string, string | undefined> = process.env): string {
  return resolve(join(env.SWITCHYARD_DATA_DIR || '.switchyard', 'requests.db'));
}

export async function openRequestStore(
  settings: StoreSettings,
  log: (line: string) => void = (line) => console.error(line),
): Promise<RequestStore> {
  if (settings.driver === 'postgres') {
    const { PostgresStore } = await import('./postgres.js');
    return PostgresStore.open({
      url: settings.url ?? '',
      schema: settings.schema,
      connectTimeoutMs: settings.connectTimeoutMs,
      queryTimeoutMs: settings.queryTimeoutMs,
      onError: (error) => log(`switchyard: request store: PostgreSQL connection failed: ${error.message}`),
    });
  }
  const { SqliteStore } = await import('./sqlite.js');
  return SqliteStore.open(settings.path ?? defaultStorePath());
}
