/**
 * The PostgreSQL request store through an outage, over real sockets: the gateway talks to the machine's
 * PostgreSQL (database `test`, a schema of its own, dropped afterwards) through a TCP proxy the test
 * controls (test/tcp-proxy.ts; the server itself is never stopped). Refused and reset connections, a
 * hung connection, and a COMMIT whose reply is lost: no client request is slowed or failed, records
 * are buffered up to `store.batch.maxQueued` (shown on /v1/switchyard/state and /metrics), drops beyond
 * it are counted and logged once, and once PostgreSQL is back every buffered record is written, in
 * order, none twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi, type MockInstance } from 'vitest';
import { raw, startHarness, userMessage, type Harness } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const PG_HOST = { host: '127.0.0.1', port: 5432 };
const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sy_store_outage_${process.pid}_${Date.now().toString(36)}`;
const MAX_QUEUED = 20;
/** The hung connection's query timeout: a request that waited on the store would take at least this. */
const QUERY_TIMEOUT_MS = 3_000;

let proxy: TcpProxy;
let h: Harness;
let errors: MockInstance<typeof console.error>;
/** Request ids in the order their responses ended. */
const sent: string[] = [];
let seq = 0;

beforeAll(async () => {
  proxy = await TcpProxy.start(PG_HOST);
  errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  h = await startHarness({
    config: {
      metrics: { enabled: true },
      store: {
        enabled: true,
        driver: 'postgres',
        url: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
        schema,
        connectTimeoutMs: 1_000,
        queryTimeoutMs: QUERY_TIMEOUT_MS,
        batch: { flushIntervalMs: 50, maxQueued: MAX_QUEUED },
        retention: { pruneIntervalMs: 3_600_000 },
      },
    },
    // Backoff between failed writes at a tenth of its range (50 ms, 100 ms, … up to 3 s).
    gateway: { random: () => 0.1 },
  });
});
afterAll(async () => {
  await h?.close();
  await proxy?.close();
  errors?.mockRestore();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** Sends `n` requests one after another; each must succeed, none may wait on the store. */
async function send(n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = `outage-${++seq}`;
    const started = performance.now();
    const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
      headers: { 'x-request-id': id },
      body: JSON.stringify({ model: 'm', messages: userMessage() }),
    });
    times.push(performance.now() - started);
    expect(res.status).toBe(200);
    sent.push(id);
  }
  return times;
}

const state = async () =>
  (await raw(`${h.gateway.url}/v1/switchyard/state`, { method: 'GET' })).json() as {
    store: {
      queued: number;
      maxQueued: number;
      dropped: number;
      written: number;
      failingSince: number | null;
    };
  };

const metric = async (name: string): Promise<number> => {
  const text = (await raw(`${h.gateway.url}/metrics`, { method: 'GET' })).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
};

const recorder = () => h.gateway.store!;
const dropLines = () =>
  errors.mock.calls.filter((c) => String(c[0]).includes('request store: dropping records')).length;

async function stored(): Promise<string[]> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ request_id: string }>(
      `SELECT request_id FROM "${schema}".requests ORDER BY id`,
    );
    return rows.map((r) => r.request_id);
  } finally {
    await client.end();
  }
}

it('refused and reset connections: requests unaffected, records buffered, then written', async () => {
  await send(3);
  await vi.waitFor(() => expect(recorder().counters.written).toBe(3), { timeout: 10_000 });

  proxy.refuse();
  const failuresBefore = recorder().counters.failures;
  const times = await send(5);
  expect(Math.max(...times)).toBeLessThan(QUERY_TIMEOUT_MS / 2);
  await vi.waitFor(() => expect(recorder().counters.failures).toBeGreaterThan(failuresBefore), {
    timeout: 10_000,
  });
  const during = await state();
  expect(during.store).toMatchObject({ queued: 5, maxQueued: MAX_QUEUED, dropped: 0, written: 3 });
  expect(during.store.failingSince).toBeGreaterThan(0);
  expect(await metric('switchyard_store_queued_records')).toBe(5);

  await proxy.restore();
  await vi.waitFor(() => expect(recorder().counters.written).toBe(8), { timeout: 15_000 });
  expect((await state()).store).toMatchObject({ queued: 0, failingSince: null });
  expect(await stored()).toEqual(sent);
});

it('a hung connection: requests unaffected, the buffer bounded, drops counted and logged once', async () => {
  proxy.hang();
  const times = await send(MAX_QUEUED + 5);
  // Not one request waited for the hung store (it would have taken the query timeout).
  expect(Math.max(...times)).toBeLessThan(QUERY_TIMEOUT_MS / 2);
  await vi.waitFor(() => expect(recorder().queued + recorder().counters.dropped).toBe(MAX_QUEUED + 5));
  expect(await state()).toMatchObject({ store: { queued: MAX_QUEUED, dropped: 5 } });
  expect(await metric('switchyard_store_records_dropped_total')).toBe(5);
  expect(await metric('switchyard_store_queued_records')).toBe(MAX_QUEUED);
  expect(dropLines()).toBe(1);
  // The writes time out on the hung connection and are retried on new ones, which hang too.
  const failures = recorder().counters.failures;
  await vi.waitFor(() => expect(recorder().counters.failures).toBeGreaterThan(failures), {
    timeout: 10_000,
  });

  await proxy.restore();
  await vi.waitFor(() => expect(recorder().counters.written).toBe(8 + MAX_QUEUED), { timeout: 20_000 });
  // The last five found the buffer full: everything before them is stored, in order.
  const kept = sent.slice(0, 8 + MAX_QUEUED);
  expect(await stored()).toEqual(kept);
  expect(dropLines()).toBe(1);
  sent.splice(0, sent.length, ...kept);
});

it('a COMMIT whose reply is lost: the batch is retried and stored once', async () => {
  proxy.cutAfterCommit();
  const failures = recorder().counters.failures;
  await send(3);
  await vi.waitFor(() => expect(recorder().counters.written).toBe(8 + MAX_QUEUED + 3), { timeout: 15_000 });
  expect(proxy.cuts).toBe(1);
  expect(recorder().counters.failures).toBeGreaterThan(failures);
  const rows = await stored();
  expect(new Set(rows).size).toBe(rows.length);
  expect(rows).toEqual(sent);
});
