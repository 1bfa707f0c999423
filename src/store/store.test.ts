/**
 * One contract, two backends: the same cases against SQLite (a temp file) and the machine's real
 * PostgreSQL (database `test`, a schema of its own per run, dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TraceEntry } from '../core/trace.js';
import Database from 'better-sqlite3';
import { PostgresStore } from './postgres.js';
import { REQUEST_COLUMNS, insertSql, migrations, requestRow } from './sql.js';
import { SqliteStore } from './sqlite.js';
import type { RequestStore, StoredRequest } from './types.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.UTC(2026, 0, 1);

function request(over: Partial<StoredRequest> & { time: number }): StoredRequest {
  return {
    requestId: `r-${over.time}`,
    route: 'm',
    endpoint: 'chat',
    stream: false,
    status: 200,
    outcome: 'ok',
    target: 'primary/model-a',
    provider: 'primary',
    model: 'model-a',
    attempts: 1,
    totalMs: 100,
    trace: [{ target: 'primary/model-a', action: 'attempt', result: 'ok', ms: 100 }],
    ...over,
  };
}

const failover = (time: number, key?: string): StoredRequest => {
  const trace: TraceEntry[] = [
    { target: 'primary/model-a', action: 'attempt', result: 'upstream_503', ms: 5, costUsd: 0 },
    { target: 'backup/model-b', action: 'attempt', result: 'ok', ms: 40, costUsd: 0.002 },
  ];
  return request({
    time,
    ...(key ? { key } : {}),
    target: 'backup/model-b',
    provider: 'backup',
    model: 'model-b',
    attempts: 2,
    totalMs: 45,
    fallbackReason: 'upstream_503',
    tokens: { prompt: 10, completion: 5, estimated: false },
    costUsd: 0.002,
    trace,
  });
};

interface Backend {
  name: string;
  open(): Promise<RequestStore>;
  cleanup(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-'));
let sqliteCount = 0;
const schema = `sy_test_${process.pid}_${Date.now().toString(36)}`;
let pgCount = 0;

const backends: Backend[] = [
  {
    name: 'sqlite',
    open: () => SqliteStore.open(join(dir, `t${sqliteCount++}.db`)),
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  },
  {
    name: 'postgres',
    // Each test its own schema, so that tests never see each other's rows.
    open: () => PostgresStore.open({ url: PG_URL, schema: `${schema}_${pgCount++}` }),
    async cleanup() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      for (let i = 0; i < pgCount; i++) await client.query(`DROP SCHEMA IF EXISTS "${schema}_${i}" CASCADE`);
      await client.end();
    },
  },
];

describe.each(backends)('request store contract: $name', (backend) => {
  let store: RequestStore;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
  });

  it('stores a batch and reads it back newest first, every field intact', async () => {
    await store.insert([
      request({ time: T0 + 1 }),
      failover(T0 + 2, 'team-a'),
      request({
        time: T0 + 3,
        status: 503,
        outcome: 'upstream_503',
        stream: true,
        ttftMs: 12.5,
        warnings: ['dropped seed'],
        trace: [{ target: 'primary/model-a', action: 'attempt', result: 'upstream_503', ms: 7 }],
      }),
    ]);
    const all = await store.recent({ limit: 10 });
    expect(all.map((r) => r.time)).toEqual([T0 + 3, T0 + 2, T0 + 1]);
    expect(all[1]).toEqual(failover(T0 + 2, 'team-a'));
    expect(all[0]).toMatchObject({ status: 503, stream: true, ttftMs: 12.5, warnings: ['dropped seed'] });
    expect(all[2]).not.toHaveProperty('key');
  });

  it('filters by route, key, target, status and time, and limits', async () => {
    const times = async (f: Parameters<RequestStore['recent']>[0]): Promise<number[]> =>
      (await store.recent(f)).map((r) => r.time - T0);
    expect(await times({ key: 'team-a', limit: 10 })).toEqual([2]);
    expect(await times({ target: 'backup/model-b', limit: 10 })).toEqual([2]);
    expect(await times({ status: 'error', limit: 10 })).toEqual([3]);
    expect(await times({ status: 'ok', limit: 10 })).toEqual([2, 1]);
    expect(await times({ status: 503, limit: 10 })).toEqual([3]);
    expect(await times({ since: T0 + 2, until: T0 + 3, limit: 10 })).toEqual([2]);
    expect(await times({ route: 'other', limit: 10 })).toEqual([]);
    expect(await times({ limit: 1 })).toEqual([3]);
  });
});

describe.each(backends)('request store captured text: $name', (backend) => {
  let store: RequestStore;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(async () => {
    await store.close();
  });

  it('keeps a request’s prompt and completion for get(), never in recent()', async () => {
    const prompt = 'system: Be brief.\n\nuser: Hello… ünïcode';
    await store.insert([
      request({ time: T0 + 1, requestId: 'with-text', prompt, completion: 'Hi!' }),
      request({ time: T0 + 2, requestId: 'without-text' }),
    ]);
    expect(await store.get('with-text')).toEqual(
      request({ time: T0 + 1, requestId: 'with-text', prompt, completion: 'Hi!' }),
    );
    expect(await store.get('without-text')).toEqual(request({ time: T0 + 2, requestId: 'without-text' }));
    expect(await store.get('nope')).toBeUndefined();
    const listed = await store.recent({ limit: 10 });
    expect(listed.map((r) => r.requestId)).toEqual(['without-text', 'with-text']);
    expect(listed[1]).not.toHaveProperty('prompt');
    expect(listed[1]).not.toHaveProperty('completion');
  });
});

describe.each(backends)('request store fallbacks: $name', (backend) => {
  it('counts a request answered past a skipped first target, not one retried on it', async () => {
    const store = await backend.open();
    await store.insert([
      request({
        time: T0,
        fallbackReason: 'primary/model-a: upstream_503',
        attempts: 2,
        trace: [
          { target: 'primary/model-a', action: 'attempt', result: 'upstream_503', ms: 5 },
          { target: 'primary/model-a', action: 'wait', result: 'backoff', ms: 20 },
          { target: 'primary/model-a', action: 'attempt', result: 'ok', ms: 50 },
        ],
      }),
      request({
        time: T0 + 1,
        target: 'backup/model-b',
        trace: [
          { target: 'primary/model-a', action: 'skip', result: 'breaker-open' },
          { target: 'backup/model-b', action: 'attempt', result: 'ok', ms: 50 },
        ],
      }),
    ]);
    const [m] = await store.stats({ since: T0, until: T0 + 2, by: 'route' });
    expect(m).toMatchObject({ count: 2, ok: 2, fallbacks: 1 });
    await store.close();
  });
});

describe.each(backends)('request store aggregates: $name', (backend) => {
  let store: RequestStore;
  beforeAll(async () => {
    store = await backend.open();
    const batch: StoredRequest[] = [];
    // Route m: 100 requests, latencies 1..100 ms, the last 10 failed; route s: 3 streams.
    for (let i = 1; i <= 100; i++) {
      const failed = i > 90;
      batch.push(
        request({
          time: T0 + i,
          totalMs: i,
          costUsd: 0.01,
          tokens: { prompt: 2, completion: 1, estimated: false },
          ...(failed ? { status: 502, outcome: i % 2 ? 'upstream_503' : 'first_token_timeout' } : {}),
        }),
      );
    }
    for (const [i, ttft] of [10, 20, 30].entries()) {
      batch.push(request({ time: T0 + 200 + i, route: 's', stream: true, ttftMs: ttft, totalMs: ttft * 2 }));
    }
    batch.push(failover(T0 + 300, 'team-a'));
    await store.insert(batch);
  });
  afterAll(async () => {
    await store.close();
  });

  it('per route: counts, success rate, exact nearest-rank percentiles, errors by class, tokens, cost', async () => {
    const groups = await store.stats({ since: T0, until: T0 + 250, by: 'route' });
    expect(groups.map((g) => g.group)).toEqual(['m', 's']);
    const m = groups[0]!;
    expect(m).toMatchObject({
      unit: 'request',
      count: 100,
      ok: 90,
      errors: 10,
      successRate: 0.9,
      fallbacks: 0,
    });
    expect(m.latencyMs).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(m.ttftMs).toEqual({ p50: null, p95: null, p99: null });
    expect(m.errorsByClass).toEqual({ upstream_503: 5, first_token_timeout: 5 });
    expect(m.tokens).toEqual({ prompt: 200, completion: 100 });
    expect(m.costUsd).toBeCloseTo(1);
    expect(m.costPerSuccessUsd).toBeCloseTo(1 / 90);
    const s = groups[1]!;
    expect(s.ttftMs).toEqual({ p50: 20, p95: 30, p99: 30 });
    expect(s.latencyMs).toEqual({ p50: 40, p95: 60, p99: 60 });
    expect(s.costPerSuccessUsd).toBe(0);
  });

  it('per target: every attempt counts, so a failed target shows even when failover saved the request', async () => {
    const groups = await store.stats({ since: T0 + 300, until: T0 + 301, by: 'target' });
    expect(groups).toHaveLength(2);
    const primary = groups.find((g) => g.group === 'primary/model-a')!;
    const backup = groups.find((g) => g.group === 'backup/model-b')!;
    expect(primary).toMatchObject({ unit: 'attempt', count: 1, ok: 0, successRate: 0, ttftMs: null });
    expect(primary.errorsByClass).toEqual({ upstream_503: 1 });
    expect(primary.costPerSuccessUsd).toBeNull();
    expect(backup).toMatchObject({ count: 1, ok: 1, errorsByClass: {} });
    expect(backup.latencyMs.p50).toBe(40);
  });

  it('per key and model, with the time window and filters applied', async () => {
    const byKey = await store.stats({ since: T0, until: T0 + 1_000, by: 'key' });
    expect(byKey.map((g) => [g.group, g.count])).toEqual([
      [null, 103],
      ['team-a', 1],
    ]);
    const fallbacks = await store.stats({ since: T0, until: T0 + 1_000, by: 'model', key: 'team-a' });
    expect(fallbacks).toMatchObject([{ group: 'model-b', count: 1, fallbacks: 1 }]);
    expect(await store.stats({ since: T0 + 1_000, until: T0 + 2_000, by: 'route' })).toEqual([]);
    expect((await store.stats({ since: T0, until: T0 + 11, by: 'route', route: 'm' }))[0]!.count).toBe(10);
  });

  it('as a time series: one entry per bucket and group, empty buckets absent', async () => {
    // Buckets of 50 ms from T0: requests 1–49, 50–99 (failures 91–99), 100 (failed); 200–202; 300.
    const series = await store.stats({ since: T0, until: T0 + 400, by: 'route', bucketMs: 50 });
    expect(series.map((g) => [g.start, g.group, g.count, g.ok])).toEqual([
      [new Date(T0).toISOString(), 'm', 49, 49],
      [new Date(T0 + 50).toISOString(), 'm', 50, 41],
      [new Date(T0 + 100).toISOString(), 'm', 1, 0],
      [new Date(T0 + 200).toISOString(), 's', 3, 3],
      [new Date(T0 + 300).toISOString(), 'm', 1, 1],
    ]);
    expect(series[1]!.errorsByClass).toEqual({ upstream_503: 5, first_token_timeout: 4 });
    expect(series[1]!.latencyMs).toEqual({ p50: 74, p95: 97, p99: 99 });
    // Buckets line up on multiples of their size: a window from T0 + 10 still starts its first at T0.
    const aligned = await store.stats({ since: T0 + 10, until: T0 + 60, by: 'route', bucketMs: 50 });
    expect(aligned.map((g) => [g.start, g.count])).toEqual([
      [new Date(T0).toISOString(), 40],
      [new Date(T0 + 50).toISOString(), 10],
    ]);
    const targets = await store.stats({ since: T0 + 250, until: T0 + 350, by: 'target', bucketMs: 50 });
    expect(targets.map((g) => [g.start, g.group, g.ok])).toEqual([
      [new Date(T0 + 300).toISOString(), 'backup/model-b', 1],
      [new Date(T0 + 300).toISOString(), 'primary/model-a', 0],
    ]);
  });

  it('prunes by age, then by row count, requests and attempts alike', async () => {
    expect(await store.prune({ before: T0 + 51, maxRows: 1_000 })).toBe(50);
    expect((await store.recent({ limit: 1_000 })).length).toBe(54);
    expect(await store.prune({ before: 0, maxRows: 4 })).toBe(50);
    const left = await store.recent({ limit: 1_000 });
    expect(left.map((r) => r.time - T0)).toEqual([300, 202, 201, 200]);
    const targets = await store.stats({ since: T0, until: T0 + 1_000, by: 'target' });
    expect(targets.reduce((n, g) => n + g.count, 0)).toBe(5);
  });
});

describe.each(backends)('request store migrations: $name', (backend) => {
  it('applies once: opening again (or two at once) finds the schema in place', async () => {
    if (backend.name === 'postgres') {
      const name = `${schema}_${pgCount++}`;
      const both = await Promise.all([0, 1].map(() => PostgresStore.open({ url: PG_URL, schema: name })));
      await both[0]!.insert([request({ time: T0 })]);
      expect(await both[1]!.recent({ limit: 5 })).toHaveLength(1);
      await Promise.all(both.map((s) => s.close()));
      const again = await PostgresStore.open({ url: PG_URL, schema: name });
      expect(await again.recent({ limit: 5 })).toHaveLength(1);
      await again.close();
    } else {
      const path = join(dir, 'reopen.db');
      const first = await SqliteStore.open(path);
      await first.insert([request({ time: T0 })]);
      await first.close();
      const second = await SqliteStore.open(path);
      expect(await second.recent({ limit: 5 })).toHaveLength(1);
      await second.close();
    }
  });
});

describe.each(backends)('request store upgrade to captured text (migration 2): $name', (backend) => {
  it('adds the columns to a store made before them; its rows read as before', async () => {
    const v1 = migrations((n) => n, { param: () => '?', idColumn: '' })[0]!;
    expect(v1.version).toBe(1);
    const old = request({ time: T0, requestId: 'old' });
    const columns = REQUEST_COLUMNS.filter((c) => c !== 'prompt' && c !== 'completion');
    const row = requestRow(old).slice(0, columns.length);
    let reopened: RequestStore;
    if (backend.name === 'postgres') {
      const name = `${schema}_${pgCount++}`;
      const table = (n: string): string => `"${name}".${n}`;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`CREATE SCHEMA "${name}"`);
      const dialect = { param: (n: number) => `$${n}`, idColumn: 'BIGSERIAL PRIMARY KEY' };
      for (const sql of migrations(table, dialect)[0]!.sql) await client.query(sql);
      await client.query(
        `CREATE TABLE ${table('switchyard_migrations')} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      await client.query(`INSERT INTO ${table('switchyard_migrations')} (version) VALUES (1)`);
      const insert = insertSql(table('requests'), columns, [row], dialect);
      await client.query(insert.text, insert.values);
      await client.end();
      reopened = await PostgresStore.open({ url: PG_URL, schema: name });
    } else {
      const path = join(dir, 'v1.db');
      const db = new Database(path);
      const dialect = { param: () => '?', idColumn: 'INTEGER PRIMARY KEY AUTOINCREMENT' };
      for (const sql of migrations((n) => n, dialect)[0]!.sql) db.exec(sql);
      db.pragma('user_version = 1');
      const insert = insertSql('requests', columns, [row], dialect);
      db.prepare(insert.text).run(...insert.values);
      db.close();
      reopened = await SqliteStore.open(path);
    }
    try {
      expect(await reopened.get('old')).toEqual(old);
      await reopened.insert([
        request({ time: T0 + 1, requestId: 'new', prompt: 'user: hi', completion: 'hey' }),
      ]);
      expect(await reopened.get('new')).toMatchObject({ prompt: 'user: hi', completion: 'hey' });
    } finally {
      await reopened.close();
    }
  });
});

describe('SQLite thread', () => {
  it('is started again when it dies', async () => {
    const store = await SqliteStore.open(join(dir, 'thread.db'));
    await store.insert([request({ time: T0 })]);
    const { worker } = (store as unknown as { sqlite: { worker: { terminate(): Promise<number> } } }).sqlite;
    await worker.terminate();
    await store.insert([request({ time: T0 + 1 })]);
    expect((await store.recent({ limit: 5 })).map((r) => r.time - T0)).toEqual([1, 0]);
    await store.close();
    await expect(store.recent({ limit: 1 })).rejects.toThrow(/closed/);
  });
  it('ends after a while without calls and starts again on the next one, losing nothing', async () => {
    const store = await SqliteStore.open(join(dir, 'idle.db'), { idleCloseMs: 50 });
    expect(store.threadRunning).toBe(true); // opened: migrated
    await store.insert([request({ time: T0 })]);
    await new Promise((done) => setTimeout(done, 30));
    expect(store.threadRunning).toBe(true); // the write restarted the wait
    await vi.waitFor(() => expect(store.threadRunning).toBe(false), { timeout: 2_000, interval: 10 });
    await Promise.all([store.insert([request({ time: T0 + 1 })]), store.insert([request({ time: T0 + 2 })])]);
    expect(store.threadRunning).toBe(true);
    expect((await store.recent({ limit: 5 })).map((r) => r.time - T0)).toEqual([2, 1, 0]);
    await vi.waitFor(() => expect(store.threadRunning).toBe(false), { timeout: 2_000, interval: 10 });
    await store.close(); // with no thread running
    await expect(store.recent({ limit: 1 })).rejects.toThrow(/closed/);
  });

  it('closes cleanly while an idle thread is still closing', async () => {
    const store = await SqliteStore.open(join(dir, 'idle-close.db'), { idleCloseMs: 1 });
    await store.insert([request({ time: T0 })]);
    await vi.waitFor(() => expect(store.threadRunning).toBe(false), { timeout: 2_000, interval: 1 });
    await store.close();
    const again = await SqliteStore.open(join(dir, 'idle-close.db'));
    expect(await again.recent({ limit: 5 })).toHaveLength(1);
    await again.close();
  });
});

afterAll(async () => {
  for (const b of backends) await b.cleanup();
});
