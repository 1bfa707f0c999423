/**
 * Virtual keys in PostgreSQL (database `test`, a schema of its own, dropped afterwards): two gateway
 * instances on one key store; a key made on one is used on the other, and revoked there. The gateway's
 * logs and request store never carry the secret.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import OpenAI, { APIError } from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sy_keys_it_${process.pid}_${Date.now().toString(36)}`;
const ADMIN = 'sy-admin-pg-0123456789abcdef';
let logged = '';
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    if (logged.length < 1_000_000) logged += chunk.toString();
    done();
  },
});

let a: Harness;
let b: Harness;
beforeAll(async () => {
  const config = {
    admin: { keys: [ADMIN] },
    server: { port: 0, requestLog: true },
    log: { level: 'debug' },
    store: { enabled: true, driver: 'postgres', url: PG_URL, schema, batch: { flushIntervalMs: 50 } },
  };
  a = await startHarness({ config, gateway: { logDestination: logSink } });
  b = await startHarness({ config: { ...config, store: { ...config.store, enabled: false } } });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

const ask = (h: Harness, apiKey: string) =>
  new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({
    model: 'm',
    messages: userMessage(),
  });

it('a key made on one instance works on another, and is refused there once revoked', async () => {
  const created = await request(`${a.gateway.url}/v1/switchyard/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'pg-svc' }),
  });
  expect(created.statusCode).toBe(201);
  const { id, secret } = (await created.body.json()) as { id: string; secret: string };
  await a.gateway.keys.registry!.refresh();
  await b.gateway.keys.registry!.refresh();
  await ask(a, secret);
  await ask(b, secret);
  const revoked = await request(`${a.gateway.url}/v1/switchyard/keys/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(revoked.statusCode).toBe(200);
  await revoked.body.text();
  // B reloads on NOTIFY or on its next interval tick; one reload stands for either.
  await b.gateway.keys.registry!.refresh();
  const refused = await ask(b, secret).catch((e: unknown) => e);
  expect((refused as APIError).status).toBe(401);

  // Usage per key, by name; the secret nowhere in the store or the logs.
  await a.gateway.store!.flush();
  const records = await a.gateway.store!.store!.recent({ key: 'pg-svc', limit: 10 });
  expect(records.length).toBe(1);
  expect(JSON.stringify(await a.gateway.store!.store!.recent({ limit: 100 }))).not.toContain(secret);
  expect(logged).toContain('pg-svc');
  expect(logged).not.toContain(secret);
  expect(logged).not.toContain(secret.slice(12));
});
