/**
 * The PostgreSQL key store through an outage, over real sockets: the gateway reaches the machine's
 * PostgreSQL (database `test`, a schema of its own, dropped afterwards) through a TCP proxy the test
 * controls (test/tcp-proxy.ts; the server is never stopped). While connections are refused, or hang,
 * the virtual keys read last stay in force, requests are not slowed, and reloading fails, counted;
 * once PostgreSQL answers again a reload succeeds.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { raw, startHarness, userMessage, type Harness } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sy_keys_outage_${process.pid}_${Date.now().toString(36)}`;
const ADMIN = 'sy-admin-outage-0123456789abcdef';

let proxy: TcpProxy;
let h: Harness;
let secret = '';

beforeAll(async () => {
  proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
  h = await startHarness({
    config: {
      admin: { keys: [ADMIN] },
      // The reloads are driven by the test (refresh()); the interval stays out of the way.
      keyStore: { refreshMs: 60_000 },
      store: {
        enabled: false,
        driver: 'postgres',
        url: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
        schema,
      },
    },
  });
  const created = await raw(`${h.gateway.url}/v1/switchyard/keys`, {
    headers: { authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ name: 'outage-svc' }),
  });
  expect(created.status).toBe(201);
  secret = (created.json() as { secret: string }).secret;
  await h.gateway.keys.registry!.refresh();
});
afterAll(async () => {
  await h?.close();
  await proxy?.close();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** One request with the virtual key; it must succeed without waiting on the key store. */
async function ask(): Promise<number> {
  const started = performance.now();
  const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
    headers: { authorization: `Bearer ${secret}` },
    body: JSON.stringify({ model: 'm', messages: userMessage() }),
  });
  expect(res.status).toBe(200);
  return performance.now() - started;
}

it('connections refused: the keys read last stay in force; the failed reload is counted', async () => {
  const registry = h.gateway.keys.registry!;
  expect(await ask()).toBeLessThan(1_000);
  // A reload still running (the key's creation notified one) would answer the refresh below.
  await registry.settled();
  proxy.refuse();
  const failures = registry.counters.refreshFailures;
  await registry.refresh();
  expect(registry.counters.refreshFailures).toBe(failures + 1);
  for (let i = 0; i < 3; i++) expect(await ask()).toBeLessThan(1_000);
  await proxy.restore();
  const refreshes = registry.counters.refreshes;
  await registry.refresh();
  expect(registry.counters.refreshes).toBe(refreshes + 1);
  expect(await ask()).toBeLessThan(1_000);
});

it('a hung connection: a reload waits on it, requests do not', async () => {
  const registry = h.gateway.keys.registry!;
  await registry.settled();
  proxy.hang();
  const failures = registry.counters.refreshFailures;
  const reload = registry.refresh();
  // The reload is stuck on the hung connection (its timeouts are seconds), the key still serves.
  for (let i = 0; i < 3; i++) expect(await ask()).toBeLessThan(1_000);
  expect(registry.counters.refreshFailures).toBe(failures);
  await proxy.restore();
  await reload;
  expect(registry.counters.refreshFailures).toBe(failures + 1);
  await vi.waitFor(async () => {
    const refreshes = registry.counters.refreshes;
    await registry.refresh();
    expect(registry.counters.refreshes).toBe(refreshes + 1);
  });
  expect(await ask()).toBeLessThan(1_000);
});
