/**
 * The key store's backends, one suite for each: SQLite (a file in the OS temp dir) and PostgreSQL
 * (database `test`, a schema of its own per run, dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyRegistry } from './registry.js';
import { PostgresKeyStore } from './postgres-keys.js';
import { SqliteKeyStore } from './sqlite-keys.js';
import { hashSecret, newSecret, visiblePrefix } from './secret.js';
import { DuplicateKeyName, type KeyStore, type VirtualKeyRecord } from './types.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sy_keys_${process.pid}_${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-keys-'));
let n = 0;

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const backends: { name: string; open: () => Promise<KeyStore> }[] = [
  { name: 'sqlite', open: () => SqliteKeyStore.open(join(dir, `keys-${n++}.db`)) },
  { name: 'postgres', open: () => PostgresKeyStore.open({ url: PG_URL, schema }) },
];

function record(name: string, extra: Partial<VirtualKeyRecord> = {}): VirtualKeyRecord & { secret: string } {
  const secret = newSecret();
  const id = `key_${(Date.now() + n++).toString(16).padStart(16, '0').slice(-16)}`;
  return {
    secret,
    id,
    name,
    prefix: visiblePrefix(secret),
    hash: hashSecret(secret),
    metadata: { team: 'search' },
    createdAt: 1_000,
    updatedAt: 1_000,
    ...extra,
  };
}

describe.each(backends)('key store: $name', ({ name, open }) => {
  it('stores a key by hash and reads it back whole; names are unique', async () => {
    const store = await open();
    try {
      const { secret, ...r } = record(`svc-${name}-${n}`, {
        models: ['m'],
        routing: { overrides: false, cap: { dailyUsd: 2 } },
        limits: { rpm: 10, tpm: 1000 },
        debug: false,
        expiresAt: 9_999_999_999_999,
      });
      await store.insert(r);
      const read = (await store.list()).find((k) => k.id === r.id);
      expect(read).toEqual(r);
      // Nothing in the store is the secret.
      expect(JSON.stringify(await store.list())).not.toContain(secret);
      await expect(store.insert({ ...record(r.name), name: r.name })).rejects.toBeInstanceOf(
        DuplicateKeyName,
      );
    } finally {
      await store.close();
    }
  });

  it('a revocation through one instance reaches another at its next refresh', async () => {
    const a = await open();
    // A second connection to the same database (PostgreSQL) or the same file's next reader (SQLite).
    const b = name === 'postgres' ? await open() : a;
    try {
      const { secret, ...r } = record(`rev-${name}-${n}`);
      await a.insert(r);
      const registry = new KeyRegistry({ store: b, wallNow: () => 2_000, refreshMs: 2_000 });
      await registry.refresh();
      expect(registry.lookup(secret).found).toBe(true);
      await a.update({ ...r, revokedAt: 1_500, updatedAt: 1_500 });
      await registry.refresh();
      expect(registry.lookup(secret).found).toBe(false);
      expect(registry.get(r.id)?.revokedAt).toBe(1_500);
    } finally {
      if (b !== a) await b.close();
      await a.close();
    }
  });

  it('migrates once: opening again (two at once) finds the table in place', async () => {
    if (name !== 'postgres') return;
    const both = await Promise.all([open(), open()]);
    await Promise.all(both.map((s) => s.close()));
  });
});

describe('PostgreSQL NOTIFY', () => {
  it('a write on one instance reaches a listening one', async () => {
    const writer = await PostgresKeyStore.open({ url: PG_URL, schema });
    const reader = await PostgresKeyStore.open({ url: PG_URL, schema });
    try {
      let heard!: () => void;
      const notified = new Promise<void>((resolve) => (heard = resolve));
      // listen() resolves once LISTEN is in place.
      await reader.listen(
        () => heard(),
        () => undefined,
      );
      const { secret: _secret, ...r } = record(`notify-${n}`);
      await writer.insert(r);
      await notified;
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('LazyKeyStore', () => {
  it('a store that cannot be opened is tried again on the next call (the gateway starts without it)', async () => {
    const { LazyKeyStore } = await import('./service.js');
    const { MemoryKeyStore } = await import('./types.js');
    let tries = 0;
    const lazy = new LazyKeyStore('memory', () => {
      tries++;
      return tries === 1
        ? Promise.reject(new Error('connection refused'))
        : Promise.resolve(new MemoryKeyStore());
    });
    await expect(lazy.list()).rejects.toThrow('connection refused');
    await expect(lazy.list()).resolves.toEqual([]);
    await lazy.list();
    expect(tries).toBe(2);
    await lazy.close();
  });
});
